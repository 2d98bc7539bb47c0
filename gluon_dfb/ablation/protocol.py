"""The ablation's protocol: every variant trained at every rate of a grid and several
seeds, a seed's grid widened where its chosen rate sits at the edge, the rate chosen
per variant and seed on the validation split, and the test figures reported at it."""
import logging

from .runs import VARIANTS, run_all
from .selection import choose_rate, edge_rates

__all__ = ['sweep', 'chosen_rows']

logger = logging.getLogger(__name__)


def sweep(run, setup, grid, seeds, processes, widen=1, desc='runs', variants=VARIANTS):
    """Run every variant of ``variants`` ((name, head) pairs) at every rate of ``grid``
    with every seed; then, up to
    ``widen`` times, add the next rate beyond an edge of a variant's grid for each seed
    that chose that edge, and run those too (a seed whose choice is inside its grid is
    done).

    Returns
    -------
    (dict, dict)
        ``{(head, lr, seed): result}`` and the final grid of each variant and seed,
        ``{(head, seed): rates}``.
    """
    grids = {(head, seed): sorted(grid) for _, head in variants for seed in seeds}
    results = {}
    for round_ in range(widen + 1):
        jobs = [(setup, head, lr, seed) for (head, seed), rates in grids.items()
                for lr in rates if (head, lr, seed) not in results]
        for job, result in zip(jobs, run_all(run, jobs, processes, desc)):
            results[job[1:]] = result
        if round_ == widen:
            break
        widened = False
        for (head, seed), rates in grids.items():
            added = edge_rates(rates, {choose_rate({lr: results[(head, lr, seed)]
                                                    for lr in rates})})
            if added:
                logger.info('%s seed %d: the chosen rate is at the edge of %s; adding %s',
                            head, seed, rates, added)
                grids[(head, seed)] = sorted(rates + added)
                widened = True
        if not widened:
            break
    return results, grids


def chosen_rows(results, grids, seeds, variants=VARIANTS):
    """For every variant of ``variants`` and seed, the rate chosen on validation and that
    run's result: ``{variant: [(seed, lr, result), ...]}``."""
    return {variant: [(seed, lr, results[(head, lr, seed)]) for seed in seeds
                      for lr in [choose_rate({r: results[(head, r, seed)]
                                              for r in grids[(head, seed)]})]]
            for variant, head in variants}
