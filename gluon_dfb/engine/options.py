"""Command-line options of the training scripts (GluonCV's names, the paper's defaults),
and the test protocol that the options of the testing command lines choose."""
import argparse

from ..arguments import (dropout_rate, epochs_list, frame_pattern, gpu_ids, input_size,
                         non_negative_float, non_negative_int, output_file, output_folder,
                         positive_float, positive_int)
from ..data import TEST_PROTOCOLS, evaluation_protocol
from ..models import HEADS
from ..zoo import model_entry

__all__ = ['training_parser', 'parse_training_args', 'parse_testing_args', 'test_protocol']


#: Options that ``--resume`` may take other values of than the checkpoint was made with.
RESUMABLE_CHANGES = ('epochs', 'lr_steps', 'num_workers', 'save_frequency', 'keep_checkpoints',
                     'val_list', 'data_root', 'gpus')


def check_protocol(parser, protocol, arch):
    """``parser.error`` unless ``protocol`` is one that ``arch``'s networks take."""
    dims = {'tsn': '2d', 'i3d': '3d'}[arch]
    fitting = [p for p in TEST_PROTOCOLS if p == '1clip' or p.startswith(dims)]
    if protocol not in fitting:
        parser.error('argument --protocol: %s is not a protocol of %s models; choose from %s'
                     % (protocol, arch.upper(), ', '.join(fitting)))


def training_parser(arch):
    """Parser of ``train_scripts/train_{arch}.py``; defaults follow paper sec. 4.2."""
    tsn = arch == 'tsn'
    p = argparse.ArgumentParser(
        description='Train a %s discriminative filter bank network.' % arch.upper())
    p.add_argument('--model', default='%s_resnet50_dfb_kinetics400' % arch,
                   help='zoo name, e.g. %s_resnet50_dfb_custom' % arch)
    p.add_argument('--train-list', required=True, help='list file: path num_frames label')
    p.add_argument('--val-list', help='validation list file (one centre clip per video)')
    p.add_argument('--data-root', default='', help='folder the list paths are relative to')
    p.add_argument('--frame-pattern', type=frame_pattern,
                   help="read frame folders, e.g. '{:05d}.jpg'")
    p.add_argument('--num-classes', type=positive_int, help="default: the model's data set")
    p.add_argument('--num-segments', type=positive_int, default=3 if tsn else 1,
                   help='TSN: frames per video (I3D takes one clip: see --new-length)')
    p.add_argument('--new-length', type=positive_int, default=1 if tsn else 32)
    p.add_argument('--new-step', type=positive_int, default=1 if tsn else 2)
    p.add_argument('--input-size', type=input_size, default=224)
    p.add_argument('--short-side', type=input_size, default=256)
    p.add_argument('--batch-size', type=positive_int, default=8)
    p.add_argument('--epochs', type=positive_int, default=100)
    p.add_argument('--lr', type=positive_float, default=0.01)
    p.add_argument('--lr-steps', type=epochs_list, default=[40, 70, 90],
                   help='epochs at which the lr is divided by 10 (comma separated)')
    p.add_argument('--wd', type=non_negative_float, default=1e-4, help="the paper's '10e-5'")
    p.add_argument('--momentum', type=non_negative_float, default=0.9)
    p.add_argument('--clip-grad', type=non_negative_float, default=0,
                   help='clip the global gradient norm (per video) to this; 0: off')
    p.add_argument('--dropout', type=dropout_rate, default=None, help='in [0, 1), default 0.5')
    p.add_argument('--num-filters', type=positive_int, default=None, help='per class, default 5')
    p.add_argument('--head', choices=sorted(HEADS), help="overrides the model name's head")
    p.add_argument('--dtype', choices=['float32', 'float16'], default='float32')
    p.add_argument('--gpus', '--ctx', type=gpu_ids, default=[],
                   help="GPU ids, e.g. '0'; empty: CPU; with --use-horovod the GPUs of a "
                        "machine, one per worker (by local rank)")
    p.add_argument('--freeze-bn', action='store_true',
                   help='BatchNorm normalises with its running statistics (small batches)')
    p.add_argument('--sync-bn', action='store_true',
                   help='BatchNorm statistics of all Horovod workers\' batches together')
    p.add_argument('--use-horovod', action='store_true',
                   help='data-parallel training as one of horovodrun\'s workers')
    p.add_argument('--warmup-epochs', type=non_negative_float, default=0,
                   help='ramp the lr linearly from --lr to --lr x workers over these epochs')
    p.add_argument('--num-workers', type=non_negative_int, default=2,
                   help='data loading processes')
    p.add_argument('--resume', action='store_true',
                   help='continue from the newest complete checkpoint in --out-dir, made '
                        'with the same options (see --resume-with-changes)')
    p.add_argument('--resume-with-changes', nargs='+', default=[], metavar='OPTION',
                   choices=RESUMABLE_CHANGES,
                   help='with --resume: options that may differ from the checkpoint\'s '
                        '(%s)' % ', '.join(RESUMABLE_CHANGES))
    p.add_argument('--save-frequency', type=positive_int, default=1,
                   help='checkpoint (and plot the curves) every N epochs and after the last')
    p.add_argument('--keep-checkpoints', type=positive_int, default=3)
    p.add_argument('--out-dir', type=output_folder, default='out_%s' % arch)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--pretrained-base',
                   help='GluonCV resnet*_v1b ImageNet .params (inflated for I3D) or a '
                        'GluonCV action recognition checkpoint: a path, or a GluonCV name '
                        '(resnet50_v1b, resnet50_v1b_kinetics400, i3d_resnet50_v1_'
                        'kinetics400, ...) fetched by GluonCV\'s model store')
    return p


def parse_training_args(arch, argv=None):
    """Parse and check the options."""
    parser = training_parser(arch)
    args = parser.parse_args(argv)
    if not args.model.startswith(arch + '_'):
        parser.error('--model must be a %s model (see gluon_dfb.list_models())' % arch)
    if args.resume_with_changes and not args.resume:
        parser.error('--resume-with-changes goes with --resume')
    if arch == 'i3d' and args.num_segments != 1:
        parser.error('--num-segments is for TSN: I3D takes one clip of --new-length frames '
                     '--new-step apart per video')
    if args.sync_bn and not args.use_horovod:
        parser.error('--sync-bn synchronises BatchNorm across Horovod workers: it needs '
                     '--use-horovod')
    if args.sync_bn and args.dtype == 'float16':
        parser.error('--sync-bn sums its statistics in the input\'s precision, which '
                     'float16 overflows: use it with --dtype float32')
    return args


def parse_testing_args(argv=None):
    """Options of ``train_scripts/test_recognizer.py``; the protocol defaults to the
    model's data set's (Kinetics: 2d-20x10 / 3d-10clip, Something-Something: 1clip)."""
    p = argparse.ArgumentParser(description='Test a trained network with the paper\'s '
                                            'test-time protocols.')
    p.add_argument('--model', required=True)
    p.add_argument('--params', required=True, help='trained .params file')
    p.add_argument('--test-list', required=True)
    p.add_argument('--data-root', default='')
    p.add_argument('--frame-pattern', type=frame_pattern)
    p.add_argument('--num-classes', type=positive_int)
    p.add_argument('--head', choices=sorted(HEADS))
    p.add_argument('--protocol', choices=TEST_PROTOCOLS)
    p.add_argument('--num-segments', type=positive_int, default=3, help="TSN frames of '1clip'")
    p.add_argument('--new-length', type=positive_int, default=32)
    p.add_argument('--new-step', type=positive_int, default=2)
    p.add_argument('--input-size', type=input_size, default=224)
    p.add_argument('--short-side', type=input_size, default=256)
    p.add_argument('--gpus', '--ctx', type=gpu_ids, default=[], help="GPU ids; empty: CPU")
    p.add_argument('--num-workers', type=non_negative_int, default=2)
    p.add_argument('--view-batch', type=non_negative_int, default=0,
                   help='views per forward pass; 0: all views of a video at once')
    p.add_argument('--classes', help="class-name file, one a line (default: the model's)")
    p.add_argument('--out', type=output_file, default='predictions.npz',
                   help='per-video predictions file (.npz is added if missing)')
    args = p.parse_args(argv)
    entry = model_entry(args.model)
    args.protocol = args.protocol or entry['test_protocol']
    check_protocol(p, args.protocol, entry['arch'])
    if args.model.startswith('tsn'):
        args.new_length, args.new_step = 1, 1
    return args


def test_protocol(args, arch, default):
    """The test-time protocol that the options ``protocol`` (else ``default``, the
    model's data set's), ``num_segments``, ``new_length``, ``new_step`` and
    ``input_size`` choose (TSN: one frame a segment); returns ``(name, Protocol)``."""
    name = args.protocol or default
    return name, evaluation_protocol(name, arch, num_segments=args.num_segments,
                                     new_length=1 if arch == 'tsn' else args.new_length,
                                     new_step=1 if arch == 'tsn' else args.new_step,
                                     size=args.input_size)
