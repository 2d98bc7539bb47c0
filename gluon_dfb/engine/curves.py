"""Training curves as PNG."""
from matplotlib.figure import Figure

__all__ = ['plot_curves']


def plot_curves(history, path):
    """Losses and accuracies per epoch from the records of :func:`train`, to ``path``."""
    epochs = [h['epoch'] for h in history]
    fig = Figure(figsize=(11, 4))
    losses, accuracies = fig.subplots(1, 2)
    for key in sorted(history[-1]):
        values = [h.get(key) for h in history]
        if key.startswith('train_loss'):
            losses.plot(epochs, values, marker='o', label=key[len('train_'):])
        elif 'top' in key:
            accuracies.plot(epochs, values, marker='o', label=key)
    losses.set(xlabel='epoch', ylabel='loss', title='training loss')
    accuracies.set(xlabel='epoch', ylabel='accuracy', title='accuracy', ylim=(0, 1))
    for ax in (losses, accuracies):
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
