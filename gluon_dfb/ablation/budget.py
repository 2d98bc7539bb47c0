"""Fitting the fine-tuning protocol to a time budget: from one run's measured time, the
largest grid of rates x seeds that fits, and what was dropped, in words."""
import math

__all__ = ['fit_budget', 'centre_rates']


def centre_rates(rates, count):
    """``count`` of the sorted ``rates``, those nearest the middle (edges dropped first,
    the higher edge before the lower)."""
    kept, high = sorted(rates), True
    while len(kept) > count:
        kept.pop(-1 if high else 0)
        high = not high
    return kept


def fit_budget(run_seconds, budget_seconds, processes, variants, lrs, seeds, widen):
    """The rates, seeds and widening that fit ``budget_seconds`` of fine-tuning.

    Runs go ``processes`` at a time, each taking ``run_seconds``. The grid kept is the one
    with the most runs (``variants``, a number, x rates x seeds) that fits, preferring more seeds
    at equal size (the spread over seeds is the protocol's error bar); widening is kept
    only if a full round of it (two more rates a variant and seed) fits too.

    Returns
    -------
    (list, list, int, list of str)
        The rates and seeds kept, the widening kept, and what was dropped in words.

    Raises
    ------
    ValueError
        Not even one run a variant fits.
    """
    fits = math.floor(budget_seconds * processes / run_seconds)
    if fits < variants:
        raise ValueError('one fine-tuning run takes %.0f s (%d at once): the fewest runs the '
                         'comparison needs (one a variant, %d) take %.1f minutes' % (
                             run_seconds, processes, variants,
                             math.ceil(variants / processes) * run_seconds / 60))
    shapes = [(r, s) for r in range(1, len(lrs) + 1) for s in range(1, len(seeds) + 1)
              if variants * r * s <= fits]
    rates_kept, seeds_kept = max(shapes, key=lambda rs: (rs[0] * rs[1], rs[1]))
    kept_lrs, kept_seeds = centre_rates(lrs, rates_kept), list(seeds)[:seeds_kept]
    runs = variants * rates_kept * seeds_kept
    kept_widen = widen if runs + widen * 2 * variants * seeds_kept <= fits else 0
    dropped = [name for name, values, kept in (
        ('rates', sorted(lrs), kept_lrs), ('seeds', list(seeds), kept_seeds))
        for name in ['%s %s' % (name, ' '.join('%g' % v for v in values if v not in kept))]
        if len(kept) < len(values)]
    if kept_widen < widen:
        dropped.append('widening')
    words = ['--budget-minutes %g: one fine-tuning run took %.0f s (%d at once), so %d runs '
             'fit; kept %d runs: rates %s, seeds %s, widening %s%s' % (
                 budget_seconds / 60, run_seconds, processes, fits, runs,
                 ' '.join('%g' % v for v in kept_lrs), ' '.join(map(str, kept_seeds)),
                 kept_widen or 'off', '; dropped %s' % ', '.join(dropped) if dropped
                 else '; nothing dropped')]
    return kept_lrs, kept_seeds, kept_widen, words
