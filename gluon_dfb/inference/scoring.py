"""What predicting a video and testing on a list share: a video's class probabilities
from its views, and its top classes."""
import mxnet as mx
import numpy as np

__all__ = ['video_probabilities', 'top_classes']


def video_probabilities(net, views, ctx=mx.cpu(), view_batch=0):
    """Class probabilities of one video: the mean over its views of softmax(z_comb).

    Parameters
    ----------
    net : Recognizer
        Built with ``num_segments=1`` (every view is scored on its own).
    views : numpy.ndarray
        The protocol's views of the video.
    view_batch : int, default 0
        Views per forward pass; 0 runs them all as one batch (the fastest, if memory
        allows: ten full-frame 32-frame clips need more than 24 GB on CPU).
    """
    step = view_batch or len(views)
    logits = [net(mx.nd.array(views[i:i + step], ctx=ctx)).astype('float32')
              for i in range(0, len(views), step)]
    return mx.nd.softmax(mx.nd.concat(*logits, dim=0), axis=1).mean(axis=0).asnumpy()


def top_classes(probabilities, classes, k):
    """The ``k`` most probable classes, most probable first.

    Parameters
    ----------
    probabilities : numpy.ndarray
        ``(C,)``, e.g. from :func:`video_probabilities`.
    classes : list of str
        The class names.
    k : int

    Returns
    -------
    list of dict
        ``{'class': name, 'index': i, 'probability': p}`` each.
    """
    return [{'class': classes[i], 'index': int(i), 'probability': float(probabilities[i])}
            for i in np.argsort(-probabilities)[:k]]
