"""``make ablation``: the paper's ablation (table 1) with the fair protocol, fine-tuning
and the head-only probe, on the embedded fine-grained set.

    python -m gluon_dfb.ablation [--out ablation_out] [--seeds 0 1 2] [--lrs ...]
        [--probe-seeds ...] [--probe-lrs ...] [--epochs 4] [--probe-epochs 6]
        [--videos-per-class 32 32 32] [--pretrain-steps 600] [--processes 2]
"""
import argparse
import copy
import logging
import os

from ..arguments import non_negative_int, output_folder, positive_float, positive_int
from ..errors import run_command
from .experiment import DEFAULTS, run_ablation


def parse_config(argv=None):
    """The ablation's configuration: :data:`DEFAULTS` with the command line's changes."""
    config = copy.deepcopy(DEFAULTS)
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--out', type=output_folder, default='ablation_out')
    p.add_argument('--seeds', type=non_negative_int, nargs='+', default=list(config['seeds']))
    p.add_argument('--lrs', type=positive_float, nargs='+', default=list(config['lrs']),
                   help='fine-tuning rates (widened at an edge)')
    p.add_argument('--probe-seeds', type=non_negative_int, nargs='+',
                   default=list(config['probe_seeds']))
    p.add_argument('--probe-lrs', type=positive_float, nargs='+',
                   default=list(config['probe_lrs']))
    p.add_argument('--widen', type=non_negative_int, default=config['widen'],
                   help='times a grid may be widened where a chosen rate is at its edge')
    p.add_argument('--epochs', type=positive_int, default=config['recipe']['epochs'])
    p.add_argument('--probe-epochs', type=positive_int, default=config['probe']['epochs'])
    p.add_argument('--videos-per-class', type=positive_int, nargs=3,
                   default=list(config['videos_per_class']), metavar=('TRAIN', 'VAL', 'TEST'))
    p.add_argument('--pretrain-steps', type=positive_int, default=config['pretrain']['steps'])
    p.add_argument('--processes', type=positive_int, default=config['processes'],
                   help='runs at once, one thread each')
    args = p.parse_args(argv)
    config.update(seeds=args.seeds, lrs=args.lrs, probe_seeds=args.probe_seeds,
                  probe_lrs=args.probe_lrs, widen=args.widen, processes=args.processes,
                  videos_per_class=args.videos_per_class)
    config['recipe'].update(epochs=args.epochs, lr_steps=[max(1, args.epochs * 3 // 4)])
    config['probe'].update(epochs=args.probe_epochs,
                           lr_steps=[max(1, args.probe_epochs * 3 // 4)])
    config['pretrain']['steps'] = args.pretrain_steps
    return args.out, config


def main(argv=None):
    out, config = parse_config(argv)
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(message)s')
    run_ablation(out, config)
    print(open(os.path.join(out, 'report.md')).read())


if __name__ == '__main__':
    run_command(main)
