"""Cost of a stand-in trunk recipe (``gluon-dfb pretrain``, the most of ``make demo`` on
a fresh machine) against the default one (:data:`gluon_dfb.zoo.proxy.PROXY_RECIPE`), in
one run, interleaved.

    python benchmarks/proxy_trunk_cost.py --other steps=1600 silhouette=1.0 [--steps 150]
        [--rounds 2]

Each round pretrains ``--steps`` steps of each recipe (its images, its losses) and times
them; a recipe's cost is its median seconds a step, times its steps. Prints both costs
and their ratio. Run it with the ``OMP_NUM_THREADS`` that ``make demo`` uses.
"""
import argparse
import json
import os
import tempfile

import numpy as np

from gluon_dfb.engine.pretrain import pretrain_trunk
from gluon_dfb.zoo.proxy import PROXY_RECIPE


def recipe_change(text):
    """``NAME=VALUE`` (a JSON value, or a bare string) -> ``(name, value)``."""
    name, _, value = text.partition('=')
    if name not in PROXY_RECIPE:
        raise argparse.ArgumentTypeError('%r names no option of the recipe (%s)' % (
            name, ', '.join(PROXY_RECIPE)))
    try:
        return name, json.loads(value)
    except ValueError:
        return name, value


def seconds_a_step(recipe, steps, folder):
    """Wall seconds a step of ``recipe``, over ``steps`` steps (its held-out test on a
    few images)."""
    info = pretrain_trunk(os.path.join(folder, 'trunk.params'),
                          **dict(recipe, steps=steps, heldout=16))
    return info['seconds'] / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--other', type=recipe_change, nargs='+', required=True,
                        metavar='NAME=VALUE', help='how the other recipe differs')
    parser.add_argument('--steps', type=int, default=150)
    parser.add_argument('--rounds', type=int, default=2)
    args = parser.parse_args()
    recipes = {'default': PROXY_RECIPE, 'other': dict(PROXY_RECIPE, **dict(args.other))}
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
        print('%-7s %4d steps x %.3f s a step (rounds: %s) = %.0f s' % (
            name, recipe['steps'], step, ', '.join('%.3f' % t for t in times[name]),
            costs[name]))
    print('other: %s' % ', '.join('%s=%s' % change for change in args.other))
    print('default / other: %.2fx' % (costs['default'] / costs['other']))


if __name__ == '__main__':
    main()
