"""Typed configurations of runs: a training run (:class:`TrainConfig`) and a test run
(:class:`EvalConfig`), on the option groups they share with prediction and quantization
(:class:`ModelConfig` < :class:`SamplingConfig` < :class:`TestSamplingConfig`). Each field
holds its default, its rule and its help in one place; the command lines are generated
from the fields (:func:`parser_of`), and code that builds a configuration directly (the
ablation, the tests) gets the same checks."""
import argparse
from dataclasses import MISSING, asdict, dataclass, field, fields

from .. import arguments as rules
from ..data import TEST_PROTOCOLS, evaluation_protocol
from ..errors import BadInputError
from ..models import HEADS
from ..zoo import CATALOGUE, get_model, model_entry

__all__ = ['ModelConfig', 'SamplingConfig', 'TestSamplingConfig', 'TrainConfig', 'EvalConfig',
           'option', 'required', 'check_fields', 'add_options', 'parser_of', 'config_from',
           'fill_sampling_defaults', 'training_parser', 'parse_training_args',
           'parse_testing_args', 'check_protocol', 'config_argv', 'RESUMABLE_CHANGES']

#: Options that ``--resume`` may take other values of than the checkpoint was made with.
RESUMABLE_CHANGES = ('epochs', 'lr_steps', 'num_workers', 'save_frequency', 'keep_checkpoints',
                     'val_list', 'data_root', 'gpus')
#: Sampling options whose default is the architecture's (``model_zoo/catalogue.json``).
ARCH_DEFAULTS = ('num_segments', 'new_length', 'new_step')


def option(default=None, rule=None, help=None, **argparse_options):
    """A field: its default, the rule its value must pass (an argparse type of
    :mod:`gluon_dfb.arguments`) and its command-line help and options."""
    metadata = dict(rule=rule, help=help, argparse=argparse_options)
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=metadata)
    return field(default=default, metadata=metadata)


def required(rule=None, help=None, **argparse_options):
    """A field without default (a required option)."""
    return field(metadata=dict(rule=rule, help=help, argparse=argparse_options))


def _as_text(value):
    return ','.join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


def check_fields(config):
    """Apply each field's rule to its value (to each value of a list option); BadInputError
    naming the field."""
    for f in fields(config):
        value, rule = getattr(config, f.name), f.metadata.get('rule')
        if value is None or isinstance(value, bool):
            continue
        listed = f.metadata['argparse'].get('nargs')
        try:
            for text in ([_as_text(v) for v in value if v is not None] if listed
                         else [_as_text(value)]):
                if rule is not None:
                    rule(text)
        except argparse.ArgumentTypeError as err:
            raise BadInputError('%s=%r: %s' % (f.name, value, err)) from None
        choices = f.metadata['argparse'].get('choices')
        values = value if listed else [value]
        if choices is not None and not set(values) <= set(choices):
            raise BadInputError('%s=%r is not one of %s' % (f.name, value, list(choices)))


def check_protocol(protocol, arch):
    """BadInputError unless ``protocol`` is one that ``arch``'s networks take."""
    dims = {'tsn': '2d', 'i3d': '3d'}[arch]
    fitting = [p for p in TEST_PROTOCOLS if p == '1clip' or p.startswith(dims)]
    if protocol not in fitting:
        raise BadInputError('argument --protocol: %s is not a protocol of %s models; choose '
                            'from %s' % (protocol, arch.upper(), ', '.join(fitting)))


def fill_sampling_defaults(config, arch):
    """Give ``config``'s sampling options that are None the architecture's defaults."""
    for name in ARCH_DEFAULTS:
        if getattr(config, name) is None:
            setattr(config, name, CATALOGUE['archs'][arch][name])


def data_root_option():
    """``--data-root``, of every run that reads a list file."""
    return option('', help='folder the list paths are relative to')


def frame_pattern_option():
    """``--frame-pattern``, of every run that reads a list file of frame folders."""
    return option(rule=rules.frame_pattern, help="read frame folders, e.g. '{:05d}.jpg'")


def classes_option():
    """``--classes``, of every run that names classes."""
    return option(help="class-name file, one a line (default: the model's)")


def view_batch_option():
    """``--view-batch``, of every run that scores a video's views."""
    return option(0, rules.non_negative_int,
                  help='views per forward pass; 0: all views of a video at once')


def num_workers_option():
    """``--num-workers``, of runs that read lists with data loaders."""
    return option(2, rules.non_negative_int, help='data loading processes')


@dataclass(kw_only=True)
class ModelConfig(object):
    """Which network a run builds: a zoo name, and what overrides its catalogue entry."""

    model: str = required(help='zoo name (gluon_dfb.list_models()), e.g. '
                               'tsn_resnet50_dfb_custom; its architecture gives the sampling '
                               'defaults')
    num_classes: int = option(rule=rules.positive_int, help="default: the model's data set")
    head: str = option(choices=sorted(HEADS), help="overrides the model name's head")

    def __post_init__(self):
        self.arch = model_entry(self.model)['arch']

    def build(self, **kwargs):
        """The network: :func:`~gluon_dfb.zoo.get_model` of ``model`` with ``num_classes``
        and ``head`` (where given) and ``kwargs``."""
        if self.head:
            kwargs['head'] = self.head
        return get_model(self.model, nclass=self.num_classes, **kwargs)


@dataclass(kw_only=True)
class SamplingConfig(ModelConfig):
    """How frames are sampled from a video, for training and testing alike; what is not
    given is the architecture's (``model_zoo/catalogue.json``)."""

    num_segments: int = option(rule=rules.positive_int,
                               help="TSN: frames per video (default 3); I3D takes one clip "
                                    "of --new-length frames")
    new_length: int = option(rule=rules.positive_int, help='I3D clip length (default 32)')
    new_step: int = option(rule=rules.positive_int, help='I3D frame step (default 2)')
    input_size: int = option(224, rules.input_size)
    short_side: int = option(256, rules.input_size)

    def __post_init__(self):
        super().__post_init__()
        fill_sampling_defaults(self, self.arch)


@dataclass(kw_only=True)
class TestSamplingConfig(SamplingConfig):
    """The sampling of a test-time protocol (paper sec. 4.3): the model's data set's
    protocol unless one is given (Kinetics: 2d-20x10 / 3d-10clip, Something-Something:
    1clip)."""

    protocol: str = option(choices=TEST_PROTOCOLS, help="default: the model's data set's")

    def __post_init__(self):
        super().__post_init__()
        self.protocol = self.protocol or model_entry(self.model)['test_protocol']
        check_protocol(self.protocol, self.arch)

    def test_protocol(self):
        """The :class:`~gluon_dfb.data.Protocol` these options choose (TSN: one frame a
        segment)."""
        tsn = self.arch == 'tsn'
        return evaluation_protocol(self.protocol, self.arch, num_segments=self.num_segments,
                                   new_length=1 if tsn else self.new_length,
                                   new_step=1 if tsn else self.new_step, size=self.input_size)


@dataclass(kw_only=True)
class TrainConfig(SamplingConfig):
    """A training run: the options of ``gluon-dfb train`` (paper sec. 4.2 defaults)."""

    model: str = option('tsn_resnet50_dfb_kinetics400',
                        help='zoo name, e.g. tsn_resnet50_dfb_custom; its architecture '
                             'gives the sampling defaults')
    train_list: str = required(help='list file: path num_frames label')
    val_list: str = option(help='validation list file (one centre clip per video)')
    data_root: str = data_root_option()
    frame_pattern: str = frame_pattern_option()
    batch_size: int = option(8, rules.positive_int)
    epochs: int = option(100, rules.positive_int)
    lr: float = option(0.01, rules.positive_float)
    lr_steps: list = option([40, 70, 90], rules.epochs_list,
                            help='epochs at which the lr is divided by 10 (comma separated)')
    wd: float = option(1e-4, rules.non_negative_float, help="the paper's '10e-5'")
    momentum: float = option(0.9, rules.non_negative_float)
    clip_grad: float = option(0.0, rules.non_negative_float,
                              help='clip the global gradient norm (per video) to this; 0: off')
    dropout: float = option(rule=rules.dropout_rate, help='in [0, 1), default 0.5')
    num_filters: int = option(rule=rules.positive_int, help='per class, default 5')
    dtype: str = option('float32', choices=['float32', 'float16'])
    gpus: list = option([], rules.gpu_ids, flags=('--ctx',),
                        help="GPU ids, e.g. '0'; empty: CPU; with --use-horovod the GPUs of a "
                             "machine, one per worker (by local rank)")
    freeze_bn: bool = option(False, help='BatchNorm normalises with its running statistics '
                                         '(small batches)')
    sync_bn: bool = option(False, help="BatchNorm statistics of all Horovod workers' batches "
                                       "together")
    use_horovod: bool = option(False, help="data-parallel training as one of horovodrun's "
                                           "workers")
    warmup_epochs: float = option(0.0, rules.non_negative_float,
                                  help='ramp the lr linearly from --lr to --lr x workers over '
                                       'these epochs')
    num_workers: int = num_workers_option()
    resume: bool = option(False, help='continue from the newest complete checkpoint in '
                                      '--out-dir, made with the same options (see '
                                      '--resume-with-changes)')
    resume_with_changes: list = option([], nargs='+', metavar='OPTION',
                                       choices=RESUMABLE_CHANGES,
                                       help="with --resume: options that may differ from the "
                                            "checkpoint's (%s)" % ', '.join(RESUMABLE_CHANGES))
    save_frequency: int = option(1, rules.positive_int,
                                 help='checkpoint (and plot the curves) every N epochs and '
                                      'after the last')
    keep_checkpoints: int = option(3, rules.positive_int)
    out_dir: str = option(rule=rules.output_folder, help='default: out_ARCH')
    seed: int = option(0, rules.non_negative_int)
    pretrained_base: str = option(
        help="proxy (the stand-in trunk pretrained on generated images, made once into the "
             "weight store), GluonCV resnet*_v1b ImageNet .params (inflated for I3D) or a "
             "GluonCV action recognition checkpoint: a path, or a GluonCV name "
             "(resnet50_v1b, resnet50_v1b_kinetics400, i3d_resnet50_v1_kinetics400, ...) "
             "fetched by GluonCV's model store")

    def __post_init__(self):
        super().__post_init__()
        self.out_dir = self.out_dir or 'out_%s' % self.arch
        check_fields(self)
        if self.arch == 'i3d' and self.num_segments != 1:
            raise BadInputError('--num-segments is for TSN: I3D takes one clip of --new-length '
                                'frames --new-step apart per video')
        if self.resume_with_changes and not self.resume:
            raise BadInputError('--resume-with-changes goes with --resume')
        if self.sync_bn and not self.use_horovod:
            raise BadInputError('--sync-bn synchronises BatchNorm across Horovod workers: it '
                                'needs --use-horovod')
        if self.sync_bn and self.dtype == 'float16':
            raise BadInputError("--sync-bn sums its statistics in the input's precision, "
                                "which float16 overflows: use it with --dtype float32")

    def options(self):
        """The options that make the run what it is (saved with its checkpoints)."""
        return {k: v for k, v in sorted(asdict(self).items())
                if k not in ('resume', 'resume_with_changes', 'out_dir')}


@dataclass(kw_only=True)
class EvalConfig(TestSamplingConfig):
    """A test run: the options of ``gluon-dfb test``."""

    params: str = required(help='trained .params file')
    test_list: str = required(help='list file: path num_frames label')
    data_root: str = data_root_option()
    frame_pattern: str = frame_pattern_option()
    gpus: list = option([], rules.gpu_ids, flags=('--ctx',), help='GPU ids; empty: CPU')
    num_workers: int = num_workers_option()
    view_batch: int = view_batch_option()
    classes: str = classes_option()
    out: str = option('predictions.npz', rules.output_file,
                      help='per-video predictions file (.npz is added if missing)')

    def __post_init__(self):
        super().__post_init__()
        check_fields(self)


def add_options(parser, config_class, names=None, **defaults):
    """Add to ``parser`` a flag per field of ``config_class`` (those in ``names``; all by
    default): ``--field-name``, with the field's rule as type, its default (or the one
    ``defaults`` gives) and its help."""
    for f in fields(config_class):
        if names is not None and f.name not in names:
            continue
        meta = dict(f.metadata['argparse'])
        if meta.pop('positional', False):
            parser.add_argument(f.name, type=f.metadata['rule'], help=f.metadata['help'], **meta)
            continue
        flags = ('--' + f.name.replace('_', '-'),) + tuple(meta.pop('flags', ()))
        default = defaults.get(f.name, f.default_factory() if f.default_factory is not MISSING
                               else f.default)
        if default is MISSING:
            meta['required'] = True
        elif isinstance(default, bool):
            meta['action'] = 'store_true'
        if f.metadata['rule'] is not None:
            meta['type'] = f.metadata['rule']
        parser.add_argument(*flags, dest=f.name, help=f.metadata['help'],
                            **dict(meta, default=None if default is MISSING else default))


def parser_of(config_class, description, **defaults):
    """The command line of a configuration class (:func:`add_options` of every field)."""
    parser = argparse.ArgumentParser(description=description)
    add_options(parser, config_class, **defaults)
    return parser


def config_from(parser, config_class, argv=None):
    """Parse ``argv`` into ``config_class``; a rule that binds several options together
    ends the parse as argparse does (``PROG: error: ...``, exit 2)."""
    try:
        return config_class(**vars(parser.parse_args(argv)))
    except BadInputError as err:
        parser.error(str(err))


def training_parser(arch):
    """The command line of ``train_scripts/train_{arch}.py``: :class:`TrainConfig`'s
    fields, ``--model`` defaulting to the architecture's ResNet-50."""
    return parser_of(TrainConfig, 'Train a %s discriminative filter bank network.'
                     % arch.upper(), model='%s_resnet50_dfb_kinetics400' % arch)


def parse_training_args(arch, argv=None):
    """Parse and check the options of a training run of ``arch``; a :class:`TrainConfig`."""
    parser = training_parser(arch)
    config = config_from(parser, TrainConfig, argv)
    if config.arch != arch:
        parser.error('--model must be a %s model (see gluon_dfb.list_models())' % arch)
    return config


def parse_testing_args(argv=None):
    """Parse and check the options of a test run; an :class:`EvalConfig`."""
    return config_from(parser_of(EvalConfig, "Test a trained network with the paper's "
                                             "test-time protocols."), EvalConfig, argv)


def config_argv(config):
    """The command-line options that give ``config`` (those of its fields that differ
    from their defaults), e.g. to print the command of a run."""
    argv = []
    for f in fields(config):
        value = getattr(config, f.name)
        default = f.default_factory() if f.default_factory is not MISSING else f.default
        if f.name in ARCH_DEFAULTS:
            default = CATALOGUE['archs'][config.arch][f.name]
        elif f.name == 'out_dir':
            default = 'out_%s' % config.arch
        if value == default or value is None or value is False:
            continue
        flag = '--' + f.name.replace('_', '-')
        if value is True:
            argv.append(flag)
        elif f.metadata['argparse'].get('nargs'):
            argv += [flag] + [str(v) for v in value]
        else:
            argv += [flag, _as_text(value)]
    return argv
