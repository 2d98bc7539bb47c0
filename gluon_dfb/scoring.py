"""How videos are scored, shared by training (validation), testing, inference and the
analysis: a video's class probabilities from its views, its top classes, and the accuracy
of class scores."""
import mxnet as mx
import numpy as np

__all__ = ['video_probabilities', 'mean_softmax', 'top_classes', 'topk_accuracy']


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
    logits = [net(mx.nd.array(views[i:i + step], ctx=ctx)).astype('float32').asnumpy()
              for i in range(0, len(views), step)]
    return mean_softmax(np.concatenate(logits))


def mean_softmax(logits):
    """A video's class probabilities from its views' logits: the mean over views of
    their softmax.

    Parameters
    ----------
    logits : numpy.ndarray
        ``(views, classes)``.

    Returns
    -------
    numpy.ndarray
        ``(classes,)``.
    """
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (exp / exp.sum(axis=1, keepdims=True)).mean(axis=0)


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



def topk_accuracy(probabilities, labels, k):
    """Fraction of videos whose label is among their ``k`` highest-scoring classes.

    Parameters
    ----------
    probabilities : numpy.ndarray
        ``(videos, classes)`` scores (probabilities or logits: only their order counts).
    labels : array_like of int
        The class index of each video.
    k : int
        Classes counted per video; capped at the number of classes.

    Returns
    -------
    float
        Top-k accuracy, between 0 and 1.
    """
    k = min(k, probabilities.shape[1])
    top = np.argsort(-probabilities, axis=1)[:, :k]
    return float(np.mean(np.any(top == np.asarray(labels)[:, None], axis=1)))
