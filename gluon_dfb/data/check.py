"""Checking a list file against its videos before training: every entry opened, its
frame count and frame size read and the training sampling of a model decoded once; the
problems go to a report, the usable entries to a cleaned list."""
import collections
import functools
import os

import numpy as np

from .decode import VideoReadError, probe_video, read_folder_frames
from .parallel import READ_TIMEOUT, parallel_map
from .protocols import training_protocol
from .sampling import clip_span
from .video_list import read_video_list, repeated_entries

__all__ = ['check_list', 'describe_check', 'check_video', 'frames_needed',
           'count_frame_files', 'PROBLEMS', 'KEPT_PROBLEMS']

# the problems a report names, in the order they are looked for (one per entry)
PROBLEMS = ('bad line', 'repeated', 'missing', 'empty', 'unreadable', 'truncated',
            'too short', 'frame count')
KEPT_PROBLEMS = ('frame count',)  # kept in the cleaned list, with the count found


def frames_needed(arch, num_segments, new_length, new_step):
    """Frames the training sampling of ``arch`` takes without looping: TSN one frame
    in each of ``num_segments`` segments, I3D a clip of ``new_length`` frames
    ``new_step`` apart."""
    return num_segments if arch == 'tsn' else clip_span(new_length, new_step)


def count_frame_files(folder, pattern):
    """Frames of a frame folder: its files named ``pattern.format(1)``,
    ``pattern.format(2)``... (those with the pattern's extension must all be numbered
    without a gap); raises :class:`~gluon_dfb.data.decode.VideoReadError`."""
    if not os.path.isdir(folder):
        raise VideoReadError(folder, 'no such frame folder', 'missing')
    names = set(os.listdir(folder))
    extension = os.path.splitext(pattern.format(1))[1]
    count = sum(1 for name in names if name.endswith(extension))
    if not count:
        raise VideoReadError(folder, 'no %s frames' % extension, 'empty')
    for number in range(1, count + 1):
        if pattern.format(number) not in names:
            raise VideoReadError(folder, 'frame %s is missing (%d %s files)'
                                 % (pattern.format(number), count, extension))
    return count


def check_video(item, root, sampling, frame_pattern=None):
    """Check one list entry.

    Parameters
    ----------
    item : (int, VideoRecord)
        Index in the list (seeds the random sampling) and entry.
    root : str
        Folder the list's paths are relative to.
    sampling : dict
        ``arch``, ``num_segments``, ``new_length``, ``new_step`` of the training
        sampling, which is decoded once together with the last frame.
    frame_pattern : str, optional
        The entries are frame folders (e.g. ``'{:05d}.jpg'``), not video files.

    Returns
    -------
    (str, int, tuple, str)
        The problem (one of :data:`PROBLEMS`, ``''`` if none), the frame count found
        (0 if unreadable), the frame size ``(height, width)`` (None if unreadable) and
        what is wrong in words.
    """
    index, record = item
    path = os.path.join(root, record.path)
    protocol = training_protocol(**sampling)
    rng = np.random.RandomState(index)

    def sampled_and_last(num_frames):
        return np.append(protocol.indices(num_frames, rng).ravel(), num_frames - 1)
    try:
        if frame_pattern is None:
            num_frames, frames = probe_video(path, sampled_and_last)
        else:
            num_frames = count_frame_files(path, frame_pattern)
            frames = read_folder_frames(path, frame_pattern, num_frames, sampled_and_last,
                                        None)
    except VideoReadError as err:
        return err.kind, 0, None, err.reason
    size = frames.shape[1:3]
    needed = frames_needed(**sampling)
    if num_frames < needed:
        return 'too short', num_frames, size, '%d frames, the %s sampling takes %d' % (
            num_frames, protocol.name, needed)
    if num_frames != record.num_frames:
        return 'frame count', num_frames, size, '%d frames, the list says %d' % (
            num_frames, record.num_frames)
    return '', num_frames, size, ''


def check_list(list_file, root, sampling, clean_file, report_file, frame_pattern=None,
               num_classes=None, workers=2, timeout=READ_TIMEOUT):
    """Check every entry of a list file (in ``workers`` processes, with a progress bar).

    Bad lines, entries that repeat an earlier one's path, and entries that are missing,
    empty, unreadable, truncated or shorter than the sampling takes, are left out of the
    cleaned list; entries whose frame count differs from the list's are kept with the
    count found. Each problem is one line of
    the report: ``path<TAB>problem<TAB>details`` (for a bad line ``LIST:LINE`` as path).

    Parameters
    ----------
    list_file : str
        ``path num_frames label`` per line.
    root : str
        Folder the list's paths are relative to.
    sampling : dict
        See :func:`check_video`.
    clean_file, report_file : str
        The cleaned list and the report to write.
    frame_pattern : str, optional
        The entries are frame folders named like this.
    num_classes : int, optional
        Labels must lie in ``[0, num_classes)``.
    workers : int, default 2
        Processes.
    timeout : float, default :data:`~gluon_dfb.data.parallel.READ_TIMEOUT`
        Seconds an entry may take; one that takes longer (or whose worker dies) is
        reported unreadable.

    Returns
    -------
    (collections.Counter, list of int)
        Entries per problem (``''``: no problem), and the short sides of the kept
        videos.
    """
    bad_lines = []
    records = read_video_list(list_file, num_classes, bad_lines)
    repeats = repeated_entries(records)
    checked = [item for item in enumerate(records) if item[0] not in repeats]
    found = dict(zip([index for index, _ in checked], parallel_map(
        functools.partial(check_video, root=root, sampling=sampling,
                          frame_pattern=frame_pattern),
        checked, workers, 'checking %s' % os.path.basename(list_file), timeout,
        lambda reason: ('unreadable', 0, None, reason))))
    for index, first in repeats.items():
        found[index] = ('repeated', 0, None, 'listed before with label %d (left out here)' %
                        records[first].label)
    results = [found[index] for index in range(len(records))]
    counts = collections.Counter({'bad line': len(bad_lines)} if bad_lines else {})
    short_sides = []
    with open(clean_file, 'w') as clean, open(report_file, 'w') as report:
        for number, message in bad_lines:
            report.write('%s:%d\tbad line\t%s\n' % (list_file, number, message))
        for record, (problem, num_frames, size, details) in zip(records, results):
            counts[problem] += 1
            if problem:
                report.write('%s\t%s\t%s\n' % (os.path.join(root, record.path), problem,
                                               details))
            if problem in ('',) + KEPT_PROBLEMS:
                clean.write('%s %d %d\n' % (record.path, num_frames, record.label))
                short_sides.append(min(size))
    return counts, short_sides


def describe_check(counts, short_sides):
    """What :func:`check_list` found, in words (entries kept and left out per problem,
    short sides of the kept videos)."""
    kept = sum(counts[p] for p in ('',) + KEPT_PROBLEMS)
    left_out = ['%d %s' % (counts[p], p) for p in PROBLEMS if counts[p] and p not in KEPT_PROBLEMS]
    text = '%d entries checked: %d kept (%d with the frame count found, not the listed one), ' \
        '%d left out%s' % (sum(counts.values()), kept, counts['frame count'],
                           sum(counts.values()) - kept,
                           ' (%s)' % ', '.join(left_out) if left_out else '')
    if short_sides:
        text += '\nshort sides of the kept videos: min %d, median %d, max %d' % (
            min(short_sides), np.median(short_sides), max(short_sides))
    return text
