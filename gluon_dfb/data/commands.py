"""``gluon-dfb prepare``: build list files, check them against their videos, re-encode
videos.

List files (``path num_frames label``) and class lists from the official annotations,
checks of a list against its videos, re-encodings to a smaller short side::

    python train_scripts/prepare_data.py kinetics400 --annotations kinetics_train.csv \
        --root videos/train --out train.txt --classes classes.txt
    python train_scripts/prepare_data.py sthsthv1 --labels something-something-v1-labels.csv \
        --annotations something-something-v1-train.csv --root 20bn-something-something-v1 \
        --out train.txt --classes classes.txt
    python train_scripts/prepare_data.py check train.txt --data-root videos/train \
        --model i3d_resnet50_dfb_kinetics400          # writes train.txt.clean, train.txt.check
    python train_scripts/prepare_data.py resize train.txt --data-root videos/train \
        --out-root videos256/train --short-side 256   # writes train_256.txt
"""
import argparse
import os
import sys

from ..arguments import (crf, frame_pattern, output_file, output_folder, positive_float,
                         positive_int as positive)
from ..errors import Interrupted
from ..zoo import CATALOGUE, model_entry
from .check import check_list, describe_check
from .parallel import READ_TIMEOUT
from .prepare import prepare_kinetics, prepare_sthsthv1
from .resize import resize_list

__all__ = ['parser', 'main']


def add_annotation_command(commands, name, help_text):
    """The options of the commands that build a list file from annotations."""
    p = commands.add_parser(name, help=help_text)
    p.add_argument('--annotations', required=True,
                   help='kinetics_{train,val}.csv or something-something-v1-{train,'
                        'validation}.csv')
    if name == 'sthsthv1':
        p.add_argument('--labels', required=True, help='something-something-v1-labels.csv')
    p.add_argument('--root', required=True, help='folder of the videos / frame folders')
    p.add_argument('--out', required=True, type=output_file, help='list file to write')
    p.add_argument('--classes', required=True,
                   help='class list: written, or for Kinetics read if it exists (use '
                        "the training split's for validation)")
    p.add_argument('--rejects', type=output_file,
                   help='unreadable entries and why (default OUT.rejects)')
    p.add_argument('--num-workers', '--workers', dest='workers', type=positive, default=2)


def parser():
    """The command line: one subcommand per task."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = p.add_subparsers(dest='command', required=True)
    add_annotation_command(commands, 'kinetics400', 'list file from a Kinetics-400 csv')
    add_annotation_command(commands, 'sthsthv1', 'list file from Something-Something-V1')

    c = commands.add_parser('check', help='open every video of a list, decode the '
                            "training sampling once, report problems, write a cleaned list")
    c.add_argument('list', help='list file: path num_frames label')
    c.add_argument('--data-root', default='', help='folder the list paths are relative to')
    c.add_argument('--frame-pattern', type=frame_pattern,
                   help="frame folders, e.g. '{:05d}.jpg'")
    which = c.add_mutually_exclusive_group(required=True)
    which.add_argument('--model', help='zoo name: its architecture, sampling and classes')
    which.add_argument('--arch', choices=sorted(CATALOGUE['archs']))
    c.add_argument('--num-segments', type=positive, help='TSN frames per video (default 3)')
    c.add_argument('--new-length', type=positive, help='I3D clip length (default 32)')
    c.add_argument('--new-step', type=positive, help='I3D frame step (default 2)')
    c.add_argument('--num-classes', type=positive, help="labels in [0, N) (default: the model's)")
    c.add_argument('--out', type=output_file, help='cleaned list (default LIST.clean)')
    c.add_argument('--strict', action='store_true',
                   help='exit with status 1 if any problem was found (the cleaned list is '
                        'still written)')
    c.add_argument('--report', type=output_file,
                   help='the problems, path<TAB>problem<TAB>details '
                                    '(default LIST.check)')
    c.add_argument('--workers', '--num-workers', type=positive, default=2)
    c.add_argument('--timeout', type=positive_float, default=READ_TIMEOUT,
                   help='seconds an entry may take: one that takes longer is reported '
                        'unreadable (decord can loop for ever on a damaged file; '
                        'default %(default)s)')

    r = commands.add_parser('resize', help='re-encode every video of a list (H.264, short '
                            'side, frequent keyframes) and write its list; resumable')
    r.add_argument('list', help='list file: path num_frames label')
    r.add_argument('--data-root', default='', help='folder the list paths are relative to')
    r.add_argument('--out-root', required=True, type=output_folder,
                   help='folder of the re-encoded videos')
    r.add_argument('--short-side', type=positive, default=256,
                   help='videos already at or below it keep their size (re-encoded)')
    r.add_argument('--keyint', type=positive, default=16, help='frames between keyframes, at most')
    r.add_argument('--crf', type=crf, default=18,
                   help='x264 quality, 0 (lossless) .. 51 (lower: better, larger)')
    r.add_argument('--out', type=output_file,
                   help='list of the re-encoded videos (default LIST_SHORTSIDE.txt, e.g. '
                        'train_256.txt)')
    r.add_argument('--rejects', type=output_file, help='failed videos and why (default '
                                                      'OUT.rejects)')
    r.add_argument('--workers', '--num-workers', type=positive, default=2)
    return p


def prepare(args):
    """``kinetics400`` and ``sthsthv1``: a list file from annotations."""
    rejects = args.rejects or args.out + '.rejects'
    if args.command == 'kinetics400':
        kept, rejected = prepare_kinetics(args.annotations, args.root, args.out, args.classes,
                                          rejects, args.workers)
    else:
        kept, rejected = prepare_sthsthv1(args.labels, args.annotations, args.root, args.out,
                                          args.classes, rejects, args.workers)
    print('%d entries written to %s, %d rejected (see %s)' % (kept, args.out, rejected, rejects))
    return 0


def check(args):
    """``check``: the sampling of ``--model`` or ``--arch``, options overriding it."""
    entry = model_entry(args.model) if args.model else dict(CATALOGUE['archs'][args.arch],
                                                             arch=args.arch, nclass=None)
    sampling = {name: entry[name] if getattr(args, name) is None else getattr(args, name)
                for name in ('num_segments', 'new_length', 'new_step')}
    sampling['arch'] = entry['arch']
    clean, report = args.out or args.list + '.clean', args.report or args.list + '.check'
    counts, short_sides = check_list(args.list, args.data_root, sampling, clean, report,
                                     args.frame_pattern, args.num_classes or entry['nclass'],
                                     args.workers, args.timeout)
    print('%s\ncleaned list: %s, report: %s' % (describe_check(counts, short_sides), clean,
                                                report))
    return 1 if args.strict and set(counts) - {''} else 0


def resize(args):
    """``resize``: exit status 1 if any video failed."""
    stem, ext = os.path.splitext(args.list)
    out = args.out or '%s_%d%s' % (stem, args.short_side, ext)
    rejects = args.rejects or out + '.rejects'
    try:
        counts, failed = resize_list(args.list, args.data_root, args.out_root, out, rejects,
                                     args.short_side, args.keyint, args.crf, args.workers)
    except KeyboardInterrupt:
        raise Interrupted('interrupted: the videos re-encoded so far are kept in %s; the same '
                          'command goes on with the others' % args.out_root) from None
    print('%d re-encoded, %d already complete, %d failed; list of the outputs: %s'
          % (counts['encoded'], counts['complete'], len(failed), out))
    if failed:
        print('failed (also in %s):\n%s' % (rejects, ''.join(
            '  %s: %s\n' % item for item in failed)), file=sys.stderr, end='')
        return 1
    return 0


def main(argv=None):
    """Run the subcommand; returns the exit status."""
    args = parser().parse_args(argv)
    command = {'check': check, 'resize': resize}.get(args.command, prepare)
    return command(args)

