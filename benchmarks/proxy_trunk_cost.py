"""Cost of the stand-in trunk (``gluon-dfb pretrain``), the most of ``make demo`` on a
fresh machine: today's recipe (:data:`gluon_dfb.zoo.proxy.PROXY_RECIPE`) against the
recipe before it (2700 steps, silhouette loss weighted 0.2, no ``last_gamma``), in one
run, interleaved.

    python benchmarks/proxy_trunk_cost.py [--steps 150] [--rounds 2]

Each round pretrains ``--steps`` steps of each recipe (its images, its losses) and times
them; a recipe's cost is its median seconds a step, times its steps. Prints both costs
and their ratio. Run it with the ``OMP_NUM_THREADS`` that ``make demo`` uses.
"""
import argparse
import os
import tempfile

import numpy as np

from gluon_dfb.engine.pretrain import pretrain_trunk
from gluon_dfb.zoo.proxy import PROXY_RECIPE

BEFORE = dict(PROXY_RECIPE, steps=2700, silhouette=0.2, last_gamma=False)


def seconds_a_step(recipe, steps, folder):
    """Wall seconds a step of ``recipe``, over ``steps`` steps (its held-out test on a
    few images)."""
    info = pretrain_trunk(os.path.join(folder, 'trunk.params'),
                          **dict(recipe, steps=steps, heldout=16))
    return info['seconds'] / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--steps', type=int, default=150)
    parser.add_argument('--rounds', type=int, default=2)
    args = parser.parse_args()
    recipes = {'today': PROXY_RECIPE, 'before': BEFORE}
    times = {name: [] for name in recipes}
    with tempfile.TemporaryDirectory() as folder:
        for turn in range(args.rounds):
            order = list(recipes) if turn % 2 == 0 else list(recipes)[::-1]
            for name in order:
                times[name].append(seconds_a_step(recipes[name], args.steps, folder))
    costs = {}
    for name, recipe in recipes.items():
        step = float(np.median(times[name]))
        costs[name] = step * recipe['steps']
        print('%-6s %4d steps x %.3f s a step (rounds: %s) = %.0f s' % (
            name, recipe['steps'], step, ', '.join('%.3f' % t for t in times[name]),
            costs[name]))
    print('before / today: %.2fx' % (costs['before'] / costs['today']))


if __name__ == '__main__':
    main()
