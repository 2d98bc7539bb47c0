"""Output files written whole or not at all: under temporary names beside them, renamed
into place together once everything succeeded, removed if anything failed."""
import contextlib
import os

__all__ = ['written_together']


@contextlib.contextmanager
def written_together(paths):
    """Yield a temporary path for each of ``paths`` (in the same folder, with the same
    extension, for tools that pick the format by it); when the block ends normally they
    are renamed to ``paths``, when it raises they are removed and nothing is left at
    ``paths``.

    Parameters
    ----------
    paths : list of str
        Their folders are made if missing.
    """
    partial = []
    for path in paths:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        stem, extension = os.path.splitext(path)
        partial.append('%s.partial%d%s' % (stem, os.getpid(), extension))
    try:
        yield partial
    except BaseException:
        for path in partial:
            if os.path.exists(path):
                os.remove(path)
        raise
    for path, target in zip(partial, paths):
        os.replace(path, target)
