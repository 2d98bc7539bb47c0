"""The head-only probe: a pretrained trunk frozen up to stage 4, its features computed
once per video frame and cached, and only what a head variant adds after stage 4
trained on them (GB: stage 5, pooling, classifier; the full model also the filter bank
and the random local stage 5 with its skip). It isolates what a head contributes from
how fast the trunk moves, and costs a small fraction of fine-tuning. TSN networks."""
import logging

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon
from tqdm import tqdm

from ..data import VideoDataset, evaluation_protocol
from ..nn import DFBLoss

__all__ = ['stage4_features', 'head_parameters', 'train_head', 'head_probabilities']

logger = logging.getLogger(__name__)


def stage4_features(net, list_file, root, frames, size, short_side):
    """Stage-4 features of ``frames`` evenly spaced, centre-cropped frames of every
    video of a list, computed in inference mode.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        float32 features ``(videos, frames, C4, h, w)`` and int labels ``(videos,)``.
    """
    dataset = VideoDataset(list_file, evaluation_protocol('1clip', 'tsn', num_segments=frames,
                                                          size=size),
                           root=root, short_side=short_side, strict=True)
    features, labels = [], []
    for i in tqdm(range(len(dataset)), desc='stage-4 features of %s' % list_file):
        views, label = dataset[i]
        features.append(net.stage4(mx.nd, mx.nd.array(views)).asnumpy())
        labels.append(label)
    return np.stack(features), np.array(labels)


def head_parameters(net):
    """The parameters after stage 4 (those a head variant trains in the probe)."""
    trunk = {id(p) for blocks in net.trunk_stages() for block in blocks
             for p in block.collect_params().values()}
    return {name: p for name, p in net.collect_params().items() if id(p) not in trunk}


def _segment_frames(frames, segments, rng=None):
    """One cached frame per segment: random within it (training) or its centre."""
    bounds = np.linspace(0, frames, segments + 1)
    if rng is None:
        return ((bounds[:-1] + bounds[1:]) / 2).astype(int)
    return np.array([rng.randint(int(a), max(int(a) + 1, int(b)))
                     for a, b in zip(bounds[:-1], bounds[1:])])


def train_head(net, features, labels, lr, epochs, batch_size=8, wd=1e-4, momentum=0.9,
               seed=0, lr_steps=()):
    """Train the head of ``net`` (built with ``num_segments`` segments) on cached
    stage-4 ``features`` ``(videos, frames, C4, h, w)``: each step takes a random frame
    of each segment of every video of a shuffled batch. SGD, lr divided by 10 at each
    of ``lr_steps`` (epochs); the paper's four-term loss. Returns the per-epoch
    training losses."""
    rng = np.random.RandomState(seed)
    mx.random.seed(seed)
    params = head_parameters(net)
    trainer = gluon.Trainer(params, 'sgd', {'learning_rate': lr, 'wd': wd,
                                            'momentum': momentum})
    loss_fn = DFBLoss()
    segments = net.num_segments
    losses = []
    for epoch in range(epochs):
        trainer.set_learning_rate(lr * 0.1 ** sum(epoch >= s for s in lr_steps))
        order = rng.permutation(len(labels))
        total = 0.0
        for start in range(0, len(order) - batch_size + 1, batch_size):
            batch = order[start:start + batch_size]
            picks = np.stack([_segment_frames(features.shape[1], segments, rng)
                              for _ in batch])
            f4 = mx.nd.array(features[batch[:, None], picks].reshape(
                (-1,) + features.shape[2:]))
            with autograd.record():
                loss, _ = loss_fn(net.head_outputs(mx.nd, f4), mx.nd.array(labels[batch]))
            loss.backward()
            trainer.step(batch_size)
            total += loss.sum().asscalar()
        losses.append(total / (len(order) // batch_size * batch_size))
    return losses


def head_probabilities(net, features, batch_size=32):
    """Class probabilities (softmax of z_comb) of every video from the centre frames of
    its ``net.num_segments`` segments, in inference mode."""
    picks = _segment_frames(features.shape[1], net.num_segments)
    out = []
    for start in range(0, len(features), batch_size):
        f4 = mx.nd.array(features[start:start + batch_size, picks].reshape(
            (-1,) + features.shape[2:]))
        out.append(mx.nd.softmax(net.head_outputs(mx.nd, f4)[0]).asnumpy())
    return np.concatenate(out)
