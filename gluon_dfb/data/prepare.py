"""Building list files and class lists from the official annotations of Kinetics-400
and Something-Something-V1; unreadable entries go to a rejects file with the reason."""
import csv
import os

import decord

from ..errors import BadInputError
from .decode import DECORD_ERRORS
from .parallel import READ_TIMEOUT, parallel_map

__all__ = ['prepare_kinetics', 'prepare_sthsthv1', 'count_video_frames',
           'count_all_video_frames']

VIDEO_EXTENSIONS = ('.mp4', '.mkv', '.webm', '.avi')


def count_video_frames(path):
    """``(frames, '')`` of a video file, or ``(0, reason)`` if it cannot be read."""
    if not os.path.isfile(path):
        return 0, 'no such file'
    if os.path.getsize(path) == 0:
        return 0, 'empty file'
    try:
        frames = len(decord.VideoReader(path, num_threads=1))
    except DECORD_ERRORS as err:
        return 0, 'decord cannot open it (%s)' % str(err).strip().splitlines()[0][:200]
    return (frames, '') if frames else (0, 'no decodable frames')


def count_all_video_frames(paths, workers, desc):
    """:func:`count_video_frames` of each path, in ``workers`` processes; a video whose
    reading runs past :data:`~gluon_dfb.data.parallel.READ_TIMEOUT` or kills its worker
    is ``(0, reason)``."""
    return parallel_map(count_video_frames, paths, workers, desc, READ_TIMEOUT,
                        lambda reason: (0, reason))


def count_folder_frames(folder):
    """``(frames, '')`` of a folder of ``.jpg`` frames, or ``(0, reason)``."""
    if not os.path.isdir(folder):
        return 0, 'no such frame folder'
    frames = sum(1 for name in os.listdir(folder) if name.endswith('.jpg'))
    return (frames, '') if frames else (0, 'no .jpg frames')


def _write_outputs(entries, counts, out_list, rejects_file, root):
    """Write ``path frames label`` lines for readable entries, rejects for the rest."""
    kept = 0
    with open(out_list, 'w') as out, open(rejects_file, 'w') as rejects:
        for (path, label), (frames, reason) in zip(entries, counts):
            if frames:
                out.write('%s %d %d\n' % (os.path.relpath(path, root), frames, label))
                kept += 1
            else:
                rejects.write('%s\t%s\n' % (path, reason))
    return kept, len(entries) - kept


def _read_or_write_classes(names, classes_file):
    """The class list: read from ``classes_file`` if it exists (e.g. the training
    split's, so that validation labels agree), else the sorted ``names``, written there."""
    if os.path.exists(classes_file):
        with open(classes_file) as f:
            return [line.rstrip('\n') for line in f if line.strip()]
    classes = sorted(set(names))
    with open(classes_file, 'w') as f:
        f.write(''.join(c + '\n' for c in classes))
    return classes


def kinetics_video_path(root, label, youtube_id, start, end):
    """Where the common downloaders put a Kinetics clip: ``root/label/ID_000010_000020.ext``
    (label with spaces or underscores), or directly in ``root``; None if not found."""
    stem = '%s_%06d_%06d' % (youtube_id, int(float(start)), int(float(end)))
    for folder in (os.path.join(root, label), os.path.join(root, label.replace(' ', '_')), root):
        for ext in VIDEO_EXTENSIONS:
            path = os.path.join(folder, stem + ext)
            if os.path.exists(path):
                return path
    return os.path.join(root, label, stem + '.mp4')


def prepare_kinetics(annotation_csv, root, out_list, classes_file, rejects_file, num_workers=2):
    """List file from a Kinetics-400 ``kinetics_{train,val}.csv``
    (``label,youtube_id,time_start,time_end,split``).

    Returns
    -------
    (int, int)
        Entries written and rejected.
    """
    with open(annotation_csv, newline='') as f:
        rows = [r for r in csv.DictReader(f)]
    missing = {'label', 'youtube_id', 'time_start', 'time_end'} - set(rows[0] if rows else ())
    if missing:
        raise BadInputError('%s lacks the columns %s' % (annotation_csv, sorted(missing)))
    classes = _read_or_write_classes([r['label'] for r in rows], classes_file)
    index = {c: i for i, c in enumerate(classes)}
    entries = []
    for line, r in enumerate(rows, 2):
        if r['label'] not in index:
            raise BadInputError('%s, line %d: label %r is not in %s'
                                % (annotation_csv, line, r['label'], classes_file))
        entries.append((kinetics_video_path(root, r['label'], r['youtube_id'], r['time_start'],
                                            r['time_end']), index[r['label']]))
    counts = count_all_video_frames([p for p, _ in entries], num_workers,
                                    'frames of %s' % os.path.basename(annotation_csv))
    return _write_outputs(entries, counts, out_list, rejects_file, root)


def prepare_sthsthv1(labels_csv, split_csv, root, out_list, classes_file, rejects_file,
                     num_workers=2):
    """List file of frame folders from Something-Something-V1's
    ``something-something-v1-labels.csv`` (one class a line, in label order) and a
    ``something-something-v1-{train,validation}.csv`` (``id;label``); frames are
    ``root/ID/00001.jpg``...

    Returns
    -------
    (int, int)
        Entries written and rejected.
    """
    with open(labels_csv) as f:
        classes = [line.strip() for line in f if line.strip()]
    with open(classes_file, 'w') as f:
        f.write(''.join(c + '\n' for c in classes))
    index = {c: i for i, c in enumerate(classes)}
    entries = []
    with open(split_csv) as f:
        for line, text in enumerate(f, 1):
            if not text.strip():
                continue
            video_id, _, label = text.rstrip('\n').partition(';')
            if label not in index:
                raise BadInputError('%s, line %d: label %r is not in %s'
                                    % (split_csv, line, label, labels_csv))
            entries.append((os.path.join(root, video_id), index[label]))
    counts = parallel_map(count_folder_frames, [p for p, _ in entries], num_workers,
                          'frames of %s' % os.path.basename(split_csv))
    return _write_outputs(entries, counts, out_list, rejects_file, root)
