"""List files in GluonCV's ``VideoClsCustom`` format: ``relative/path num_frames label``."""
import os
from collections import namedtuple

from ..errors import BadInputError, MissingFileError

__all__ = ['VideoRecord', 'read_video_list', 'repeated_entries']

VideoRecord = namedtuple('VideoRecord', ['path', 'num_frames', 'label'])


def read_video_list(list_file, num_classes=None, bad_lines=None):
    """Read and check a list file; every problem is reported with its line number.

    Parameters
    ----------
    list_file : str
        One ``path num_frames label`` per line; the path may contain spaces (the last
        two fields are the numbers). Blank lines are ignored.
    num_classes : int, optional
        Labels must lie in ``[0, num_classes)``.
    bad_lines : list, optional
        If given, a bad line is appended to it as ``(line_number, message)`` and
        skipped instead of raising :class:`BadInputError`.

    Returns
    -------
    list of VideoRecord
    """
    if not os.path.isfile(list_file):
        raise MissingFileError('List file %s does not exist' % list_file)
    records, skipped = [], 0
    with open(list_file, encoding='utf-8-sig') as f:  # a byte-order mark is no path
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                records.append(_parse_line(line, '%s, line %d (%r)' % (
                    list_file, number, line.rstrip('\n')), num_classes))
            except BadInputError as err:
                if bad_lines is None:
                    raise
                bad_lines.append((number, str(err)))
                skipped += 1
    if not records and not skipped:
        raise BadInputError('%s lists no videos' % list_file)
    return records


def _parse_line(line, where, num_classes):
    fields = line.rsplit(None, 2)
    try:
        path, num_frames, label = fields[0], int(fields[1]), int(fields[2])
    except (ValueError, IndexError):
        raise BadInputError('%s: expected "path num_frames label"' % where) from None
    if num_frames < 0:
        raise BadInputError('%s: negative frame count' % where)
    if label < 0 or (num_classes is not None and label >= num_classes):
        raise BadInputError('%s: label %d outside [0, %s)' % (
            where, label, num_classes if num_classes is not None else 'inf'))
    return VideoRecord(path, num_frames, label)


def repeated_entries(records):
    """The entries that repeat an earlier entry's path (with its label or another):
    ``{index: index of the first entry of that path}``."""
    first, repeats = {}, {}
    for index, record in enumerate(records):
        path = os.path.normpath(record.path)
        if path in first:
            repeats[index] = first[path]
        else:
            first[path] = index
    return repeats
