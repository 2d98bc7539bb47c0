"""Running one function over many videos in worker processes, with a progress bar; a
worker that hangs past a time limit or dies loses its item, not the run (decord can loop
for ever in native code on a damaged file, where no Python signal reaches it)."""
import collections
import multiprocessing
import signal
import time
import traceback
from multiprocessing.connection import wait

from tqdm import tqdm

__all__ = ['parallel_map', 'READ_TIMEOUT', 'WorkerLost', 'RemoteTraceback']

#: Seconds a worker may take to read one video before it is stopped and the video
#: reported unreadable.
READ_TIMEOUT = 600


def parallel_map(function, items, workers, desc, timeout=None, failed=None):
    """``[function(item) for item in items]``, computed by ``workers`` processes.

    Parameters
    ----------
    function : callable
        Run in processes forked from this one.
    items : sequence
        Its arguments (picklable, as its results must be).
    workers : int
        Processes.
    desc : str
        Label of the tqdm progress bar.
    timeout : float, optional
        Seconds one item may take; its worker is then killed and replaced.
    failed : callable, optional
        ``failed(reason)`` is the result of an item whose worker ran out of time or died
        (a sentence saying so); without it, that raises :class:`WorkerLost`. An
        exception that ``function`` raises is raised here as it is.

    Returns
    -------
    list
        The results, in the order of ``items``.
    """
    items = list(items)
    results = [None] * len(items)
    todo = collections.deque(range(len(items)))
    idle, busy = [], {}  # busy: worker -> (item index, start time)
    context = multiprocessing.get_context('fork')
    bar = tqdm(total=len(items), desc=desc)

    def lost(worker, reason):
        index = busy.pop(worker)[0]
        worker.stop()
        if failed is None:
            raise WorkerLost('%s: %s' % (items[index], reason))
        results[index] = failed(reason)
        bar.update()

    def died(worker):
        worker.process.join()
        lost(worker, 'its worker process died (exit code %s)' % worker.process.exitcode)
    try:
        while todo or busy:
            while todo and len(busy) < workers:
                while idle and not idle[-1].process.is_alive():
                    idle.pop().stop()
                worker = idle.pop() if idle else _Worker(context, function)
                index = todo.popleft()
                worker.connection.send(items[index])
                busy[worker] = index, time.time()
            waits = [start + timeout - time.time() for _, start in busy.values()] \
                if timeout else []
            ready = set(wait([w.connection for w in busy] + [w.process.sentinel for w in busy],
                             max(0, min(waits)) if waits else None))
            for worker in list(busy):
                if worker.connection in ready:
                    try:
                        done, value = worker.connection.recv()
                    except EOFError:
                        died(worker)
                        continue
                    if not done:
                        error, where = value
                        raise error from RemoteTraceback(where)
                    results[busy.pop(worker)[0]] = value
                    idle.append(worker)
                    bar.update()
                elif worker.process.sentinel in ready:
                    died(worker)
                elif timeout and time.time() - busy[worker][1] >= timeout:
                    lost(worker, 'no result after %g s (its worker was stopped)' % timeout)
    finally:
        bar.close()
        for worker in idle + list(busy):
            worker.stop()
    return results


class WorkerLost(RuntimeError):
    """A worker process of :func:`parallel_map` died or ran out of time on an item."""


class RemoteTraceback(Exception):
    """The traceback, in a worker, of an exception that :func:`parallel_map` raises."""


class _Worker(object):
    """A process computing ``function(item)`` for each item sent to it."""

    def __init__(self, context, function):
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(function, child), daemon=True)
        self.process.start()
        child.close()

    def stop(self):
        self.process.kill()
        self.process.join()
        self.connection.close()


def _serve(function, connection):
    # Ctrl-C reaches the parent alone (KeyboardInterrupt, which stops the workers), not
    # each worker with a traceback of its own
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            item = connection.recv()
        except EOFError:
            return
        try:
            connection.send((True, function(item)))
        except Exception as err:
            where = traceback.format_exc()
            try:
                connection.send((False, (err, where)))
            except Exception:  # the exception does not pickle
                connection.send((False, (RuntimeError(repr(err)), where)))
