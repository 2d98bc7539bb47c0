"""A list-file video dataset on decord (or frame folders) that survives bad videos."""
import logging
import os
import tempfile
import weakref

import numpy as np
from mxnet.gluon.data import Dataset

from .decode import VideoReadError, read_folder_frames, read_video_frames
from .video_list import read_video_list, repeated_entries

__all__ = ['VideoDataset', 'read_views']

logger = logging.getLogger(__name__)

MAX_REPLACEMENTS = 10


class VideoDataset(Dataset):
    """Videos of a GluonCV-style list file, sampled by a :mod:`protocol
    <gluon_dfb.data.protocols>`.

    A sample that cannot be read is replaced by the next readable entry of the list
    (deterministic), and its file and reason are recorded, also from DataLoader worker
    processes: see :meth:`failures`. With ``strict=True`` the error is raised instead.

    Parameters
    ----------
    list_file : str
        ``relative/path num_frames label`` per line.
    protocol : Protocol
        From :func:`~gluon_dfb.data.protocols.training_protocol` or ``evaluation_protocol``.
    root : str, default ''
        Folder the list's paths are relative to.
    num_classes : int, optional
        Checked against every label.
    frame_pattern : str, optional
        Read folders of frames named ``frame_pattern.format(i)`` (1-based, e.g.
        ``'{:05d}.jpg'`` for Something-Something-V1) instead of video files.
    short_side : int, default 256
        Frames are resized to this short side (smaller videos are not upscaled).
    strict : bool, default False
        Raise on an unreadable sample instead of replacing it.
    seed : int, default 0
        With :meth:`set_epoch`, makes the random sampling of every item reproducible
        whatever the number of workers.

    Items: ``(views, label)``, views as laid out by the protocol.
    """

    def __init__(self, list_file, protocol, root='', num_classes=None, frame_pattern=None,
                 short_side=256, strict=False, seed=0):
        self.records = read_video_list(list_file, num_classes)
        repeats = repeated_entries(self.records)
        if repeats:
            index, first = min(repeats.items())
            logger.warning('%s lists %d videos again (the first: %s, entries %d and %d): each '
                           'entry is sampled; prepare_data.py check leaves the repeats out',
                           list_file, len(repeats), self.records[index].path, first + 1,
                           index + 1)
        self.list_file, self.protocol, self.root = list_file, protocol, root
        self.frame_pattern, self.short_side, self.strict = frame_pattern, short_side, strict
        self.seed, self.epoch = seed, 0
        fd, self.failure_log = tempfile.mkstemp(prefix='gluon_dfb_failures_', suffix='.tsv')
        os.close(fd)
        weakref.finalize(self, _remove_quietly, self.failure_log)

    def __len__(self):
        return len(self.records)

    def set_epoch(self, epoch):
        """Select the epoch whose random sampling ``__getitem__`` reproduces."""
        self.epoch = epoch

    def path(self, idx):
        """Full path of entry ``idx``."""
        return os.path.join(self.root, self.records[idx].path)

    def read(self, idx, rng):
        """Views and label of entry ``idx``; raises :class:`VideoReadError`."""
        record = self.records[idx]
        views = read_views(self.path(idx), self.protocol, self.short_side, rng,
                           self.frame_pattern, record.num_frames)
        return views, record.label

    def __getitem__(self, idx):
        rng = np.random.RandomState([self.seed, self.epoch, idx])
        for attempt in range(min(MAX_REPLACEMENTS, len(self))):
            candidate = (idx + attempt) % len(self)
            try:
                return self.read(candidate, rng)
            except VideoReadError as err:
                if self.strict:
                    raise
                self.record_failure(err)
        raise VideoReadError(self.path(idx), 'it and the %d entries after it in %s are all '
                             'unreadable' % (MAX_REPLACEMENTS - 1, self.list_file))

    def record_failure(self, err):
        """Record a :class:`VideoReadError` (safe from DataLoader worker processes)."""
        with open(self.failure_log, 'a') as f:
            f.write('%s\t%s\n' % (err.path, err.reason.replace('\n', ' ')))

    def failures(self):
        """Unreadable entries met so far, as ``{path: reason}`` (each counted once)."""
        with open(self.failure_log) as f:
            return dict(line.rstrip('\n').split('\t', 1) for line in f if '\t' in line)

    def reset_failures(self):
        """Forget the recorded failures (e.g. at the start of an epoch)."""
        open(self.failure_log, 'w').close()

    def describe_failures(self):
        """The unreadable entries met so far, one ``  path: reason`` line each."""
        return '\n'.join('  %s: %s' % item for item in sorted(self.failures().items()))

    def report_failures(self):
        """Log the unreadable entries met so far and return how many there were."""
        failures = self.failures()
        if failures:
            logger.warning('%d unreadable entries of %s were replaced by others:\n%s',
                           len(failures), self.list_file, self.describe_failures())
        return len(failures)


def read_views(path, protocol, short_side=256, rng=None, frame_pattern=None, num_frames=0):
    """The views of one video (file, or frame folder with ``frame_pattern`` and
    ``num_frames``) as ``protocol`` lays them out; raises :class:`VideoReadError`."""
    index_fn = lambda n: protocol.indices(n, rng)  # noqa: E731
    if frame_pattern is None:
        frames = read_video_frames(path, index_fn, short_side)
    else:
        frames = read_folder_frames(path, frame_pattern, num_frames, index_fn, short_side)
    return protocol.arrange(protocol.spatial(frames, rng))


def _remove_quietly(path):
    if os.path.exists(path):
        os.remove(path)
