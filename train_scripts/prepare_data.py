"""Build list files (``path num_frames label``), class lists and rejects files.

    python train_scripts/prepare_data.py kinetics400 --annotations kinetics_train.csv \
        --root videos/train --out train.txt --classes classes.txt
    python train_scripts/prepare_data.py sthsthv1 --labels something-something-v1-labels.csv \
        --annotations something-something-v1-train.csv --root 20bn-something-something-v1 \
        --out train.txt --classes classes.txt
"""
import argparse
import sys

from gluon_dfb.data.prepare import prepare_kinetics, prepare_sthsthv1
from gluon_dfb.errors import run_command


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('dataset', choices=['kinetics400', 'sthsthv1'])
    parser.add_argument('--annotations', required=True,
                        help='kinetics_{train,val}.csv or something-something-v1-{train,'
                             'validation}.csv')
    parser.add_argument('--labels', help='something-something-v1-labels.csv (sthsthv1)')
    parser.add_argument('--root', required=True, help='folder of the videos / frame folders')
    parser.add_argument('--out', required=True, help='list file to write')
    parser.add_argument('--classes', required=True,
                        help='class list: written, or for Kinetics read if it exists (use '
                             "the training split's for validation)")
    parser.add_argument('--rejects', help='unreadable entries and why (default OUT.rejects)')
    parser.add_argument('--num-workers', type=int, default=2)
    args = parser.parse_args(argv)
    rejects = args.rejects or args.out + '.rejects'
    if args.dataset == 'kinetics400':
        kept, rejected = prepare_kinetics(args.annotations, args.root, args.out, args.classes,
                                          rejects, args.num_workers)
    else:
        if not args.labels:
            parser.error('sthsthv1 needs --labels')
        kept, rejected = prepare_sthsthv1(args.labels, args.annotations, args.root, args.out,
                                          args.classes, rejects, args.num_workers)
    print('%d entries written to %s, %d rejected (see %s)' % (kept, args.out, rejected, rejects))
    return 0


if __name__ == '__main__':
    sys.exit(run_command(main))
