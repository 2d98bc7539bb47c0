"""Test-time evaluation (paper sec. 4.2): all views of a video in one batch, softmax
averaged over the views, per-video predictions saved for the analysis."""
import logging
import os

import mxnet as mx
import numpy as np
from tqdm import tqdm

from ..data import VideoDataset, VideoReadError
from ..errors import BadInputError, MissingFileError
from ..scoring import video_probabilities
from ..outputs import written_together

__all__ = ['evaluate_list', 'save_predictions', 'load_predictions']

logger = logging.getLogger(__name__)


def evaluate_list(args):
    """Score every video of ``args.test_list`` with ``args.protocol``; returns
    ``(probabilities, labels, paths, net)``. Unreadable videos are left out and reported;
    if none is readable, :class:`~gluon_dfb.errors.BadInputError` names them.

    Parameters
    ----------
    args : EvalConfig
    """
    ctx = mx.gpu(args.gpus[0]) if args.gpus else mx.cpu()
    net = args.build(pretrained=args.params, ctx=ctx, num_segments=1)
    net.hybridize(static_alloc=True)
    protocol = args.test_protocol()
    dataset = VideoDataset(args.test_list, protocol, root=args.data_root,
                           num_classes=net.nclass, frame_pattern=args.frame_pattern,
                           short_side=args.short_side)
    loader = mx.gluon.data.DataLoader(_ReadOrSkip(dataset), batch_size=1,
                                      batchify_fn=_single, num_workers=args.num_workers)
    probabilities, labels, paths = [], [], []
    for views, label, index in tqdm(loader, total=len(dataset),
                                    desc='testing (%s)' % args.protocol):
        if int(label) < 0:
            continue
        probabilities.append(video_probabilities(net, np.asarray(views), ctx,
                                                 args.view_batch))
        labels.append(int(label))
        paths.append(dataset.path(int(index)))
    if not labels:
        raise BadInputError('none of the %d videos of %s could be read:\n%s' % (
            len(dataset), args.test_list, dataset.describe_failures()))
    skipped = dataset.report_failures()
    logger.info('%d videos scored with the %s protocol, %d unreadable ones left out',
                len(labels), args.protocol, skipped)
    return np.stack(probabilities), np.array(labels), paths, net


def _single(items):
    """Batches of one video: its views already form the network's batch."""
    return items[0]


class _ReadOrSkip(mx.gluon.data.Dataset):
    """Items ``(views, label, index)`` of a :class:`VideoDataset`; an unreadable video
    gives label -1 (and is recorded by the dataset) instead of standing in another."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, idx):
        try:
            views, label = self.dataset.read(idx, np.random.RandomState(idx))
        except VideoReadError as err:
            self.dataset.record_failure(err)
            return np.zeros(1, np.float32), -1, idx
        return views, label, idx


def save_predictions(path, probabilities, labels, paths, classes, protocol, model):
    """Write per-video predictions for :mod:`gluon_dfb.analysis`, whole or not at all;
    returns the file written (``path``, ``.npz`` added if it lacks it)."""
    path = path if path.endswith('.npz') else path + '.npz'
    with written_together([path]) as partial:
        np.savez(partial[0], probabilities=probabilities, labels=labels, paths=np.array(paths),
                 classes=np.array(classes), protocol=protocol, model=model)
    return path


def load_predictions(path):
    """Read a predictions file; a dict of its arrays (``protocol`` and ``model`` as str)."""
    if not os.path.isfile(path):
        raise MissingFileError('%s: no such predictions file' % path)
    try:
        with np.load(path) as data:
            result = {k: data[k] for k in data.files}
    except (OSError, ValueError) as err:
        raise BadInputError('%s is not a predictions file of test_recognizer.py (%s)' % (
            path, err)) from None
    missing = {'probabilities', 'labels', 'classes', 'protocol', 'model'} - set(result)
    if missing:
        raise BadInputError('%s is not a predictions file of test_recognizer.py: it lacks %s'
                            % (path, ', '.join(sorted(missing))))
    result['protocol'], result['model'] = str(result['protocol']), str(result['model'])
    return result
