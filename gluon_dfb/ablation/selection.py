"""The fair protocol's arithmetic: a learning rate chosen per variant and seed on the
validation split only, the grid widened where a choice sits at its edge, and the
per-seed rows summarised (mean and standard deviation)."""
import numpy as np

__all__ = ['choose_rate', 'next_rate', 'edge_rates', 'mean_std', 'plus_minus']


def choose_rate(runs):
    """The learning rate whose run scored best on the validation split.

    Parameters
    ----------
    runs : dict
        Learning rate -> the run's figures, with ``runs[lr]['val']['top1']`` and
        ``['val']['nll']`` (mean negative log-probability of the true class).

    Returns
    -------
    float
        The rate of the highest validation top-1; ties go to the lower validation NLL,
        then to the lower rate. Test figures are never read.
    """
    return min(runs, key=lambda lr: (-runs[lr]['val']['top1'], runs[lr]['val']['nll'], lr))


def next_rate(rate, up=True):
    """The neighbour of ``rate`` on the ladder 1, 3, 10, 30, ... x 10^k (rates about 3x
    apart): e.g. 0.003 -> 0.01 (up) or 0.001 (down)."""
    exponent = int(np.floor(np.log10(rate) + 1e-9))
    mantissa = rate / 10.0 ** exponent
    ladder = [(m, exponent + e) for e in (-1, 0, 1) for m in (1, 3)]
    index = min(range(len(ladder)), key=lambda i: abs(np.log(
        ladder[i][0] * 10.0 ** (ladder[i][1] - exponent) / mantissa)))
    m, e = ladder[index + (1 if up else -1)]
    return float('%.1g' % (m * 10.0 ** e))


def edge_rates(grid, chosen):
    """Rates to add to ``grid`` because a choice sits at its edge: the next rate below
    if some chosen rate is the smallest, the next above if some is the largest."""
    grid = sorted(grid)
    added = []
    if grid[0] in chosen:
        added.append(next_rate(grid[0], up=False))
    if grid[-1] in chosen:
        added.append(next_rate(grid[-1], up=True))
    return added


def mean_std(values):
    """Mean and sample standard deviation (None for one value: its spread is unknown)."""
    values = np.asarray(values, float)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else None


def plus_minus(mean, std, form='%.1f', scale=100):
    """``'mean +- std'`` of :func:`mean_std` times ``scale``; the mean alone with
    ``(one seed)`` where there is no spread."""
    if std is None:
        return (form + ' (one seed)') % (scale * mean)
    return (form + ' +- %.1f') % (scale * mean, scale * std)
