"""Output files written whole or not at all: under temporary names beside them, renamed
into place together once everything succeeded, removed if anything failed."""
import contextlib
import math
import os

__all__ = ['written_together', 'partial_name', 'strict_json']


def strict_json(value):
    """``value`` (dicts, lists, numbers, strings) with every NaN or infinite float
    replaced by None, which JSON can say (``NaN`` is not JSON)."""
    if isinstance(value, dict):
        return {k: strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def partial_name(path):
    """The temporary name of ``path`` while it is written: in the same folder, with the
    same extension (for tools that pick the format by it), hidden, and this process's."""
    folder, name = os.path.split(path)
    return os.path.join(folder, '.partial%d-%s' % (os.getpid(), name))


@contextlib.contextmanager
def written_together(paths):
    """Yield :func:`partial_name` of each of ``paths``; when the block ends normally they
    are renamed to ``paths``, when it raises they are removed and nothing is left at
    ``paths`` (nor the folders made for them).

    Parameters
    ----------
    paths : list of str
        Their folders are made if missing.
    """
    made = []
    for folder in sorted({os.path.dirname(os.path.abspath(p)) for p in paths}):
        while not os.path.isdir(folder):
            made.append(folder)
            folder = os.path.dirname(folder)
    for folder in reversed(made):
        os.makedirs(folder, exist_ok=True)
    partial = [partial_name(path) for path in paths]
    try:
        yield partial
    except BaseException:
        for path in partial:
            if os.path.exists(path):
                os.remove(path)
        for folder in made:  # deepest first
            if os.path.isdir(folder) and not os.listdir(folder):
                os.rmdir(folder)
        raise
    for path, target in zip(partial, paths):
        os.replace(path, target)
