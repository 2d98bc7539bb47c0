"""``gluon-dfb ablation`` (``make ablation``): the paper's ablation (table 1) with the fair
protocol, fine-tuning and the head-only probe, on the embedded fine-grained set or on the
user's data (a folder of class folders, or train / val / test list files).

    gluon-dfb ablation [--out ablation_out]                           # the embedded set
    gluon-dfb ablation --data DATA --pretrained-base proxy [...]      # DATA/<class>/<video>
    gluon-dfb ablation --train-list T --val-list V --test-list E --data-root R [...]
"""
import argparse
import copy
import logging
import os
import sys

from .. import arguments as rules
from ..engine.config import EvalConfig, TrainConfig, add_options
from ..errors import BadInputError, MissingFileError
from ..zoo import model_entry
from ..zoo.proxy import PROXY_RECIPE
from .experiment import DEFAULTS, run_ablation
from .runs import VARIANTS

__all__ = ['parser', 'parse_config', 'main']

#: The stand-in trunk the ablation makes when ``--pretrained-base proxy``.
PROXY = 'proxy'


def fraction(text):
    """``--split``'s values: a number in [0, 1]."""
    value = rules.non_negative_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError('%s is above 1' % text)
    return value


def parser():
    """The command line (defaults from :data:`~gluon_dfb.ablation.experiment.DEFAULTS`)."""
    recipe = DEFAULTS['recipe']
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--out', type=rules.output_folder, default='ablation_out')
    data = p.add_argument_group('data (default: the embedded fine-grained set)')
    data.add_argument('--data', metavar='FOLDER',
                      help='a folder of class folders, FOLDER/<class name>/<video>: split into '
                           'lists by --split, --split-seed and --group-by')
    data.add_argument('--split', type=fraction, nargs=3, default=[0.6, 0.2, 0.2],
                      metavar=('TRAIN', 'VAL', 'TEST'), help='shares of each class (--data)')
    data.add_argument('--split-seed', type=rules.non_negative_int, default=0)
    data.add_argument('--group-by', metavar='REGEX',
                      help='names the source of a video (its first group, or the match) in '
                           'its path: the videos of one source stay in one split')
    for split in ('train', 'val', 'test'):
        data.add_argument('--%s-list' % split, help='list file: path num_frames label')
    add_options(data, TrainConfig, ('data_root', 'frame_pattern'))
    add_options(data, EvalConfig, ('classes',))
    data.add_argument('--groups', metavar='JSON',
                      help='groups of confusable classes, {group: [class names]}: the report '
                           'adds fine (within the group) and coarse (the group) accuracy')
    model = p.add_argument_group('model and recipe (those of gluon-dfb train)')
    add_options(model, TrainConfig, ('model',), model=DEFAULTS['model'])
    model.add_argument('--pretrained-base', metavar='WEIGHTS',
                       help='the trunk every variant starts from: proxy (the stand-in trunk '
                            'pretrained on generated images, made once), True (GluonCV\'s '
                            'ImageNet resnet*_v1b), a GluonCV name or a .params path; default: '
                            'proxy on the embedded set, none (a random trunk) on yours')
    add_options(model, TrainConfig, ('input_size', 'short_side', 'num_segments', 'new_length',
                                     'new_step', 'batch_size', 'epochs', 'lr_steps',
                                     'clip_grad', 'gpus', 'dtype'),
                input_size=recipe['input_size'], short_side=None,
                batch_size=recipe['batch_size'], epochs=recipe['epochs'], lr_steps=None)
    protocol = p.add_argument_group('protocol')
    protocol.add_argument('--variants', nargs='+', choices=[v for v, _ in VARIANTS],
                          default=list(DEFAULTS['variants']))
    protocol.add_argument('--seeds', type=rules.non_negative_int, nargs='+',
                          default=list(DEFAULTS['seeds']))
    protocol.add_argument('--lrs', type=rules.positive_float, nargs='+',
                          default=list(DEFAULTS['lrs']),
                          help='fine-tuning rates (widened at an edge)')
    protocol.add_argument('--widen', type=rules.non_negative_int, default=DEFAULTS['widen'],
                          help='times a grid may be widened where a chosen rate is at its edge')
    protocol.add_argument('--probe', action=argparse.BooleanOptionalAction, default=True,
                          help='also the head-only probe (TSN models)')
    protocol.add_argument('--probe-seeds', type=rules.non_negative_int, nargs='+',
                          default=list(DEFAULTS['probe_seeds']))
    protocol.add_argument('--probe-lrs', type=rules.positive_float, nargs='+',
                          default=list(DEFAULTS['probe_lrs']))
    protocol.add_argument('--probe-epochs', type=rules.positive_int,
                          default=DEFAULTS['probe']['epochs'])
    protocol.add_argument('--budget-minutes', type=rules.positive_float,
                          help='fine-tune at most this long: the largest grid of --lrs x '
                               '--seeds that fits, from the first run\'s time (the probe '
                               'is not counted); says what it dropped')
    protocol.add_argument('--processes', type=rules.positive_int,
                          default=DEFAULTS['processes'], help='runs at once, one thread each')
    embedded = p.add_argument_group('the embedded set and the proxy trunk')
    embedded.add_argument('--videos-per-class', type=rules.positive_int, nargs=3,
                          default=list(DEFAULTS['videos_per_class']),
                          metavar=('TRAIN', 'VAL', 'TEST'))
    embedded.add_argument('--pretrain-steps', type=rules.positive_int,
                          default=PROXY_RECIPE['steps'], help='steps of the proxy trunk')
    return p


def data_source(args):
    """``config['data']`` from the data options (None: the embedded set); files that do
    not exist are named before any work."""
    lists = [getattr(args, '%s_list' % s) for s in ('train', 'val', 'test')]
    if args.data and any(lists):
        raise BadInputError('--data (a folder of class folders) and --train-list / --val-list '
                            '/ --test-list are two ways to give the data: choose one')
    if any(lists) and not all(lists):
        raise BadInputError('--train-list, --val-list and --test-list go together: the rate '
                            'is chosen on val, the figures read on test')
    if not args.data and not any(lists):
        return None
    for path in [args.data] + lists + [args.classes, args.groups]:
        if path and not os.path.exists(path):
            raise MissingFileError('%s does not exist' % path)
    if sum(args.split) <= 0 or not all(args.split[:2]):
        raise BadInputError('--split %s: train and val need a share (the rate is chosen on val)'
                            % ' '.join('%g' % f for f in args.split))
    source = {'groups': args.groups, 'frame_pattern': args.frame_pattern}
    if args.data:
        source.update(folder=args.data, split=list(args.split), split_seed=args.split_seed,
                      group_by=args.group_by)
    else:
        source.update(train=lists[0], val=lists[1], test=lists[2], root=args.data_root,
                      classes=args.classes)
    return source


def parse_config(argv=None):
    """The ablation's configuration: :data:`DEFAULTS` with the command line's changes;
    returns ``(out, config)``."""
    p = parser()
    args = p.parse_args(argv)
    config = copy.deepcopy(DEFAULTS)
    try:
        config['data'] = data_source(args)
        arch = model_entry(args.model)['arch']
    except (BadInputError, MissingFileError) as err:
        p.error(str(err))
    if arch == 'i3d' and args.probe:
        p.error('the head-only probe samples TSN frames: with an I3D --model add --no-probe')
    if arch == 'i3d' and args.num_segments:
        p.error('--num-segments is for TSN: I3D takes one clip of --new-length frames')
    embedded = config['data'] is None
    base = args.pretrained_base or (PROXY if embedded else None)
    if base == 'True':
        base = 'resnet%d_v1b' % model_entry(args.model)['depth']
    config.update(model=args.model, pretrained_base=base, seeds=args.seeds, lrs=args.lrs,
                  probe_seeds=args.probe_seeds, probe_lrs=args.probe_lrs, widen=args.widen,
                  processes=args.processes, videos_per_class=args.videos_per_class,
                  variants=[v for v, _ in VARIANTS if v in args.variants],
                  probe_on=args.probe, budget_minutes=args.budget_minutes)
    config['recipe'].update(
        input_size=args.input_size, short_side=args.short_side, batch_size=args.batch_size,
        num_segments=None if arch == 'i3d' else (args.num_segments or
                                                 config['recipe']['num_segments']),
        new_length=args.new_length, new_step=args.new_step, epochs=args.epochs,
        lr_steps=args.lr_steps or [max(1, args.epochs * 3 // 4)], gpus=args.gpus,
        dtype=args.dtype)
    if args.clip_grad:  # in the recipe (and the runs' keys) only when on
        config['recipe']['clip_grad'] = args.clip_grad
    config['probe'].update(epochs=args.probe_epochs,
                           lr_steps=[max(1, args.probe_epochs * 3 // 4)])
    if args.pretrain_steps != PROXY_RECIPE['steps']:
        config['pretrain']['steps'] = args.pretrain_steps
    if base is None:
        print('gluon-dfb ablation: no --pretrained-base: every variant starts from a RANDOM '
              'trunk. The paper\'s regime is a pretrained one (--pretrained-base proxy, True, '
              'a GluonCV name or a .params file); without it the comparison answers another '
              'question.', file=sys.stderr)
    return args.out, config


def main(argv=None):
    out, config = parse_config(argv)
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(message)s')
    run_ablation(out, config)
    print(open(os.path.join(out, 'report.md')).read())
