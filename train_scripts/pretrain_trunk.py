"""Pretrain a 2D ResNet v1b trunk on generated proxy images (the stand-in for ImageNet
where nothing can be downloaded) and write a GluonCV-layout parameter file, loadable as
``--pretrained-base`` (inflated for I3D), with a json beside it (sha1, recipe, held-out
accuracy).

    python train_scripts/pretrain_trunk.py --depth 18 --input-size 32 --out trunk.params
"""
import argparse
import logging

from gluon_dfb.arguments import (non_negative_float, non_negative_int, output_file,
                                 positive_float, positive_int)
from gluon_dfb.engine.pretrain import PRETRAIN_DEFAULTS, pretrain_trunk
from gluon_dfb.errors import run_command


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', required=True, type=output_file,
                        help='parameter file to write (.params)')
    for name, value in PRETRAIN_DEFAULTS.items():  # counts from 1, rates above 0
        kind = {'seed': non_negative_int, 'distractors': non_negative_int,
                'warmup_steps': non_negative_int, 'wd': non_negative_float}.get(
            name, positive_int if isinstance(value, int) else positive_float)
        parser.add_argument('--' + name.replace('_', '-'), type=kind, default=value)
    args = vars(parser.parse_args(argv))
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(message)s')
    out = args.pop('out')
    info = pretrain_trunk(out, **args)
    print('%s: held-out proxy top-1 %.3f of %d classes (shape %.3f, colour %.3f), sha1 %s'
          % (out, info['heldout']['top1'], info['classes'], info['heldout']['shape'],
             info['heldout']['colour'], info['sha1']))


if __name__ == '__main__':
    run_command(main)
