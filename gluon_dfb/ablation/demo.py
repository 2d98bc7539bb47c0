"""The main job (``make demo``): the paper's ablation (table 1) on the embedded
fine-grained set in a miniature of the paper's regime, within minutes on a CPU.

Takes the stand-in trunk (``--pretrained-base proxy``: the store's, or the one the
repository ships), fine-tunes GB and GB+DF+LB from it (seed 1; others with ``--seeds``),
each at the learning rate the committed full ablation (``make ablation``,
``model_zoo/finegrained_ablation.json``) chose for it on the validation split, tests them,
and prints the table beside the committed one.

    python -m gluon_dfb.demo [--out demo_out] [--seeds 1 [0 ...]] [--processes 2]
"""
import argparse
import copy
import json
import logging
import os
import time

import numpy as np

from ..arguments import non_negative_int, output_folder, positive_int
from ..errors import run_command
from ..zoo import read_zoo_file
from .experiment import DEFAULTS, prepare
from .runs import VARIANTS, finetune_run, run_all
from .report import trunk_line
from .tables import chosen_table, gain_lines

__all__ = ['committed_ablation', 'demo_rates', 'run_demo']

COMMITTED = 'finegrained_ablation.json'


def committed_ablation():
    """The committed results of the full ablation (``model_zoo/``)."""
    return json.loads(read_zoo_file(COMMITTED))


def demo_rates(section):
    """Each variant's rate for the demo: the one its seeds chose most often on
    validation (ties: the higher mean validation top-1 of the seeds that chose it)."""
    rates = {}
    for variant, rows in section['chosen'].items():
        votes = {}
        for row in rows:
            votes.setdefault(row['lr'], []).append(row['val']['top1'])
        rates[variant] = max(votes, key=lambda lr: (len(votes[lr]), np.mean(votes[lr])))
    return rates


#: The variants the demo compares: the full model and GB (the verdict's pair).
DEMO_VARIANTS = tuple(v for v in VARIANTS if v[0] in ('GB', 'GB+DF+LB'))


def run_demo(out='demo_out', seeds=(1,), processes=2):
    """Fine-tune and test GB and GB+DF+LB at their committed rates for each seed; write
    ``report.md`` and ``results.json``; returns the per-variant rows."""
    start = time.time()
    committed = committed_ablation()
    config = copy.deepcopy(DEFAULTS)
    # the committed ablation's data and recipe; the trunk is today's stand-in trunk
    # (``--pretrained-base proxy``), made once into the weight store
    config.update({k: committed['config'][k] for k in ('model', 'videos_per_class', 'data_seed',
                                                       'frames', 'render', 'recipe')})
    config['videos_per_class'][1] = 0  # the rates are chosen: no validation split
    setup = prepare(out, config)
    setup['eval_splits'] = ('test',)
    rates = demo_rates(committed['finetune'])
    jobs = [(setup, head, rates[variant], seed) for variant, head in DEMO_VARIANTS
            for seed in seeds]
    rows = {variant: [] for variant, _ in DEMO_VARIANTS}
    for (_, head, lr, seed), result in zip(jobs, run_all(finetune_run, jobs, processes,
                                                         'fine-tuning the variants')):
        rows[dict((h, v) for v, h in DEMO_VARIANTS)[head]].append((seed, lr, result))
    write_demo_report(out, rows, committed, time.time() - start,
                      dict(setup['trunk_info'], file=setup['trunk']))
    return rows


def write_demo_report(out, rows, committed, seconds, trunk):
    """``report.md``: this run's table and gain beside the committed full ablation's."""
    full = {variant: [(r['seed'], r['lr'], {'val': r['val'], 'test': r['test']}) for r in rs]
            for variant, rs in committed['finetune']['chosen'].items()}
    lines = ['# gluon-dfb demo: the ablation at the committed learning rates', '',
             'Fine-tuned from the proxy-pretrained trunk, each variant at the rate that the '
             'full ablation (`make ablation`) chose for it on the validation split; the '
             'validation split is not used here (no column). Recipe and data as in '
             '`results/finegrained_ablation/report.md`.', '', trunk_line(trunk) + ' The '
             'committed ablation\'s trunk was %s (sha1 %s).' % (
                 committed['trunk']['file'], committed['trunk']['sha1'][:8]), '',
             '## This run (seed %s)' % ', '.join(str(s) for s, _, _ in next(iter(
                 rows.values()))), '']
    lines += chosen_table(rows)
    lines += [''] + gain_lines(rows, rates='the rate the full ablation chose for it')
    lines += ['', '## The committed full ablation (%d seeds, rates chosen on val)'
              % len(next(iter(full.values()))), '']
    lines += chosen_table(full) + [''] + gain_lines(full)
    lines += ['', 'Total time: %.0f s.' % seconds]
    with open(os.path.join(out, 'report.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    with open(os.path.join(out, 'results.json'), 'w') as f:
        json.dump({variant: [{'seed': s, 'lr': lr, 'test': r['test']} for s, lr, r in rs]
                   for variant, rs in rows.items()}, f, indent=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', type=output_folder, default='demo_out')
    parser.add_argument('--seeds', type=non_negative_int, nargs='+', default=[1],
                        help='one run of each variant per seed')
    parser.add_argument('--processes', type=positive_int, default=2,
                        help='runs at once, one thread each')
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(message)s')
    run_demo(args.out, tuple(args.seeds), args.processes)
    print(open(os.path.join(args.out, 'report.md')).read())


if __name__ == '__main__':
    run_command(main)
