"""Accuracy of class scores, shared by training (validation), testing and the analysis
(paper sec. 5)."""
import numpy as np

__all__ = ['topk_accuracy']


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
