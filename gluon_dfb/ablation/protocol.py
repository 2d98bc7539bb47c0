"""The ablation's protocol: every variant trained at every rate of a grid and several
seeds, the grid widened where a variant's chosen rate sits at its edge, the rate chosen
per variant and seed on the validation split, and the test figures reported at it."""
import logging

from .runs import VARIANTS, run_all
from .selection import choose_rate, edge_rates

__all__ = ['sweep', 'chosen_rows']

logger = logging.getLogger(__name__)


def sweep(run, setup, grid, seeds, processes, widen=1, desc='runs'):
    """Run every variant at every rate of ``grid`` with every seed; then, up to
    ``widen`` times, add the next rate beyond an edge of a variant's grid where one of
    its seeds chose that edge, and run those too.

    Returns
    -------
    (dict, dict)
        ``{(head, lr, seed): result}`` and each head's final grid.
    """
    grids = {head: sorted(grid) for _, head in VARIANTS}
    results = {}
    for round_ in range(widen + 1):
        jobs = [(setup, head, lr, seed) for head in grids for lr in grids[head]
                for seed in seeds if (head, lr, seed) not in results]
        for job, result in zip(jobs, run_all(run, jobs, processes, desc)):
            results[job[1:]] = result
        if round_ == widen:
            break
        added = {}
        for head, rates in grids.items():
            chosen = {choose_rate({lr: results[(head, lr, s)] for lr in rates}) for s in seeds}
            added[head] = edge_rates(rates, chosen)
            if added[head]:
                logger.info('%s: a chosen rate is at the edge of %s; adding %s', head, rates,
                            added[head])
            grids[head] = sorted(rates + added[head])
        if not any(added.values()):
            break
    return results, grids


def chosen_rows(results, grids, seeds):
    """For every variant and seed, the rate chosen on validation and that run's result:
    ``{variant: [(seed, lr, result), ...]}``."""
    return {variant: [(seed, lr, results[(head, lr, seed)]) for seed in seeds
                      for lr in [choose_rate({r: results[(head, r, seed)]
                                              for r in grids[head]})]]
            for variant, head in VARIANTS}
