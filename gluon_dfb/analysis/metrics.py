"""Accuracy figures of per-video predictions (paper sec. 5)."""
import numpy as np

from ..scoring import topk_accuracy

__all__ = ['topk_accuracy', 'confusion_matrix', 'per_class_accuracy', 'group_accuracy',
           'most_confused_pairs', 'group_index', 'coarse_accuracy', 'fine_accuracy']


def confusion_matrix(labels, predicted, nclass):
    """``C[i, j]``: videos of class ``i`` predicted as ``j``."""
    matrix = np.zeros((nclass, nclass), np.int64)
    np.add.at(matrix, (np.asarray(labels), np.asarray(predicted)), 1)
    return matrix


def per_class_accuracy(matrix):
    """Top-1 accuracy of each class (NaN for a class without videos)."""
    totals = matrix.sum(axis=1)
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(totals > 0, np.diag(matrix) / np.maximum(totals, 1), np.nan)


def group_accuracy(matrix, groups, class_index):
    """Top-1 accuracy of each group of classes (e.g. Kinetics-400 parent categories) as
    the paper defines it (sec. 5.2, table 2): the mean of its classes' top-1 accuracies,
    each class counting the same whatever its number of videos; classes without videos
    are left out, and a group without any is NaN. ``groups`` maps a group name to its
    class names."""
    per_class = per_class_accuracy(matrix)
    result = {}
    for name, members in groups.items():
        accuracies = per_class[[class_index[m] for m in members if m in class_index]]
        accuracies = accuracies[~np.isnan(accuracies)]
        result[name] = float(accuracies.mean()) if len(accuracies) else float('nan')
    return result


def most_confused_pairs(matrix, count=10):
    """The ``count`` (true, predicted) class pairs with the most confusions, as
    ``(true, predicted, videos)`` triples, most first."""
    off = matrix.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(-off, axis=None, kind='stable')[:count]
    pairs = [(int(i), int(j), int(off[i, j])) for i, j in zip(*np.unravel_index(order, off.shape))]
    return [p for p in pairs if p[2] > 0]


def group_index(groups, classes):
    """The group number of every class: ``groups`` maps a group name to its class names,
    ``classes`` lists the class names in label order."""
    number = {c: g for g, members in enumerate(groups.values()) for c in members}
    missing = [c for c in classes if c not in number]
    if missing:
        raise ValueError('Classes in no group: %s' % ', '.join(missing[:5]))
    return np.array([number[c] for c in classes])


def coarse_accuracy(probabilities, labels, group_of):
    """Fraction of videos whose top-1 class is in the true class's group (``group_of``:
    the group number of each class, see :func:`group_index`)."""
    labels = np.asarray(labels)
    return float(np.mean(group_of[probabilities.argmax(axis=1)] == group_of[labels]))


def fine_accuracy(probabilities, labels, group_of):
    """Fraction of videos whose true class is the most probable of its group's classes:
    how well the classes of a group are told apart, given the group."""
    labels = np.asarray(labels)
    inside = group_of[None, :] == group_of[labels][:, None]
    return float(np.mean(np.where(inside, probabilities, -np.inf).argmax(axis=1) == labels))
