"""Running one function over many videos in worker processes, with a progress bar."""
import signal
from multiprocessing import Pool

from tqdm import tqdm

__all__ = ['parallel_map']


def parallel_map(function, items, workers, desc, chunksize=1):
    """``[function(item) for item in items]``, computed by ``workers`` processes.

    Parameters
    ----------
    function : callable
        Picklable (a module-level function or a ``functools.partial`` of one).
    items : sequence
        Its arguments.
    workers : int
        Processes.
    desc : str
        Label of the tqdm progress bar.
    chunksize : int, default 1
        Items handed to a process at a time (more for quick functions).

    Returns
    -------
    list
        The results, in the order of ``items``.
    """
    # Ctrl-C reaches the parent alone (KeyboardInterrupt, which ends the pool), not each
    # worker with a traceback of its own
    with Pool(workers, initializer=signal.signal, initargs=(signal.SIGINT, signal.SIG_IGN)) \
            as pool:
        return list(tqdm(pool.imap(function, items, chunksize=chunksize), total=len(items),
                         desc=desc))
