"""Markdown tables of the ablation: one row per variant and seed at the rate chosen on
validation, mean and standard deviation over the seeds, the full model's gain over GB
seed by seed, and the validation top-1 of every rate tried."""
import numpy as np

from .runs import FIGURES, VARIANTS
from .selection import mean_std, plus_minus

__all__ = ['summary', 'chosen_table', 'gain_lines', 'grid_table']


def reported(rows):
    """The figures of :data:`FIGURES` that the runs have (fine and coarse need groups)."""
    first = next(iter(rows.values()))[0][2]['test']
    return [k for k in FIGURES if k in first]


def summary(rows):
    """Mean and standard deviation over the seeds of every test figure and, where the
    runs have one, of the validation top-1: ``{variant: {figure: (mean, std)}}``."""
    stats = {}
    for variant, seeds in rows.items():
        stats[variant] = {k: mean_std([r['test'][k] for _, _, r in seeds])
                          for k in reported(rows)}
        if all('val' in r for _, _, r in seeds):
            stats[variant]['val_top1'] = mean_std([r['val']['top1'] for _, _, r in seeds])
    return stats


def chosen_table(rows):
    """Rows ``variant | seed | lr | [val top-1 |] test top-1 | top-5 | fine | coarse``
    (the validation column where the runs have one), then a mean +- std row per
    variant run with more than one seed."""
    stats, shown = summary(rows), reported(rows)
    with_val = all('val_top1' in s for s in stats.values())
    names = {'top1': 'test top-1', 'top5': 'test top-5', 'fine': 'fine', 'coarse': 'coarse'}
    lines = ['| variant | seed | lr%s | %s |' % (
        ' (chosen on val) | val top-1' if with_val else '',
        ' | '.join(names[k] for k in shown)),
        '|---|---|---|%s%s' % ('---|' if with_val else '', '---|' * len(shown))]
    for variant in rows:
        for seed, lr, result in rows[variant]:
            lines.append('| %s | %d | %g |%s %s |' % (
                variant, seed, lr, ' %.1f |' % (100 * result['val']['top1']) if with_val else '',
                ' | '.join('%.1f' % (100 * result['test'][k]) for k in shown)))
        s = stats[variant]
        if len(rows[variant]) > 1:
            lines.append('| **%s** | mean +- std | |%s %s |' % (
                variant, ' %s |' % plus_minus(*s['val_top1']) if with_val else '',
                ' | '.join(('**%s**' if k == 'top1' else '%s') % plus_minus(*s[k])
                           for k in shown)))
    return lines


def gain_lines(rows, ours='GB+DF+LB', base='GB', rates='its own validation-chosen rate'):
    """The test top-1 gain of ``ours`` over ``base`` per seed, its mean and standard
    deviation, and whether it is positive in every seed; ``rates`` says how each
    variant's rate was set."""
    gains = [100 * (a['test']['top1'] - b['test']['top1'])
             for (_, _, a), (_, _, b) in zip(rows[ours], rows[base])]
    if len(gains) == 1:
        return ['%s - %s, test top-1, each at %s: **%+.1f points** (one seed: no spread).'
                % (ours, base, rates, gains[0])]
    return ['%s - %s, test top-1, each at %s: %s; '
            '**mean %s points**; above %s in %d of %d seeds.' % (
                ours, base, rates, ', '.join('seed %d: %+.1f' % (seed, g) for (seed, _, _), g
                                      in zip(rows[ours], gains)),
                plus_minus(*mean_std(gains), form='%+.1f', scale=1), base,
                int(np.sum(np.array(gains) > 0)), len(gains))]


def grid_table(results, grids, seeds, variants=VARIANTS):
    """Validation top-1 of every variant at every rate tried, the mean over the seeds
    whose grid holds that rate (how many, where not all); the test top-1 beside it,
    which chose nothing."""
    rates = sorted({lr for g in grids.values() for lr in g})
    lines = ['| variant | %s |' % ' | '.join('lr %g' % lr for lr in rates),
             '|---|%s' % ('---|' * len(rates))]
    for variant, head in variants:
        cells = []
        for lr in rates:
            runs = [results[(head, lr, s)] for s in seeds if lr in grids[(head, s)]]
            if not runs:
                cells.append('')
                continue
            some = '' if len(runs) == len(seeds) else '; %d of %d seeds' % (len(runs), len(seeds))
            cells.append('%.1f (test %.1f%s)' % (100 * np.mean([r['val']['top1'] for r in runs]),
                                                100 * np.mean([r['test']['top1'] for r in runs]),
                                                some))
        lines.append('| %s | %s |' % (variant, ' | '.join(cells)))
    return lines
