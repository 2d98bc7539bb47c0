"""Confusion matrices as PNG (paper fig. 3)."""
import numpy as np
from matplotlib.figure import Figure

__all__ = ['plot_confusion']


def plot_confusion(matrix, names, path, title):
    """Row-normalised confusion matrix with class names, to ``path``."""
    rows = matrix.sum(axis=1, keepdims=True)
    normalised = matrix / np.maximum(rows, 1)
    size = min(4 + 0.35 * len(names), 40)
    fig = Figure(figsize=(size + 2, size))
    ax = fig.subplots()
    image = ax.imshow(normalised, cmap='Blues', vmin=0, vmax=1)
    ax.set(title=title, xlabel='predicted', ylabel='true')
    if len(names) <= 60:
        ax.set_xticks(range(len(names)))
        ax.set_yticks(range(len(names)))
        ax.set_xticklabels(names, rotation=90, fontsize=7)
        ax.set_yticklabels(names, fontsize=7)
        for (i, j), count in np.ndenumerate(matrix):
            if count:
                ax.text(j, i, str(count), ha='center', va='center', fontsize=6,
                        color='white' if normalised[i, j] > 0.5 else 'black')
    fig.colorbar(image, ax=ax, fraction=0.046, label='fraction of the true class')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
