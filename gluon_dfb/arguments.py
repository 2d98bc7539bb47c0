"""Checks of what users pass, one place per concept: argparse types for the command
lines (a bad value ends the parse with ``PROG: error: argument --flag: ...``, exit 2,
before any work) and the checks of the Python API's arguments."""
import argparse
import os
import tempfile

import mxnet as mx

from .errors import BadInputError, MissingFileError

__all__ = ['positive_int', 'non_negative_int', 'positive_float', 'non_negative_float',
           'probability', 'dropout_rate', 'input_size', 'crf', 'gpu_ids', 'epochs_list',
           'frame_pattern', 'input_shape', 'output_file', 'output_folder',
           'check_positive_int', 'check_dropout', 'read_class_names', 'MIN_INPUT_SIZE']

#: The trunk's total stride: a smaller input leaves stage 5 no cell.
MIN_INPUT_SIZE = 32


def _number(text, kind):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError('%r is not %s' % (
            text, 'an integer' if kind is int else 'a number')) from None


def positive_int(text):
    """An integer of at least 1."""
    value = _number(text, int)
    if value < 1:
        raise argparse.ArgumentTypeError('%s is not a positive integer' % text)
    return value


def non_negative_int(text):
    """An integer of at least 0."""
    value = _number(text, int)
    if value < 0:
        raise argparse.ArgumentTypeError('%s is negative; it must be 0 or more' % text)
    return value


def positive_float(text):
    """A finite number above 0."""
    value = _number(text, float)
    if not 0 < value < float('inf'):
        raise argparse.ArgumentTypeError('%s is not a positive number' % text)
    return value


def non_negative_float(text):
    """A finite number of at least 0."""
    value = _number(text, float)
    if not 0 <= value < float('inf'):
        raise argparse.ArgumentTypeError('%s is not a number of at least 0' % text)
    return value


def probability(text):
    """A probability, in [0, 1]."""
    value = _number(text, float)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError('%s is not a probability in [0, 1]' % text)
    return value


def dropout_rate(text):
    """A dropout rate, in [0, 1)."""
    value = _number(text, float)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError('%s is not in [0, 1): the share of units dropped'
                                         % text)
    return value


def input_size(text):
    """A frame side of at least :data:`MIN_INPUT_SIZE` pixels."""
    value = _number(text, int)
    if value < MIN_INPUT_SIZE:
        raise argparse.ArgumentTypeError(
            '%s is smaller than the network\'s total stride, %d pixels' % (text, MIN_INPUT_SIZE))
    return value


def crf(text):
    """An H.264 (libx264) quality, 0 (lossless) to 51 (worst)."""
    value = _number(text, int)
    if not 0 <= value <= 51:
        raise argparse.ArgumentTypeError('%s is outside libx264\'s 0 (lossless) .. 51 (worst)'
                                         % text)
    return value


def gpu_ids(text):
    """Comma-separated GPU ids that this MXNet can use (empty: CPU)."""
    ids = [_number(v, int) for v in text.split(',') if v.strip()]
    if ids:
        available = mx.context.num_gpus()
        wrong = [i for i in ids if not 0 <= i < available]
        if wrong:
            raise argparse.ArgumentTypeError(
                'GPU %s is not available: this MXNet sees %d GPU(s)%s' % (
                    ','.join(map(str, wrong)), available,
                    ' (a CPU build: pip install mxnet-cu112 for GPUs)' if not available else ''))
    return ids


def epochs_list(text):
    """Comma-separated epochs (of at least 0), e.g. ``40,70,90``."""
    epochs = [_number(v, int) for v in text.split(',') if v.strip()]
    if any(e < 0 for e in epochs):
        raise argparse.ArgumentTypeError('%r has a negative epoch' % text)
    return epochs


def frame_pattern(text):
    """The file name of frame ``i`` as ``text.format(i)``, e.g. ``{:05d}.jpg``."""
    try:
        names = {text.format(1), text.format(2)}
    except (ValueError, IndexError, KeyError):
        names = ()
    if len(names) != 2:
        raise argparse.ArgumentTypeError('%r does not number frames: give a format such as '
                                         "'{:05d}.jpg' (frame 1: 00001.jpg)" % text)
    return text


def input_shape(text):
    """Comma-separated positive dimensions, e.g. ``1,3,32,224,224``."""
    try:
        shape = tuple(int(v) for v in text.split(','))
    except ValueError:
        raise argparse.ArgumentTypeError('%r is not comma-separated integers, e.g. '
                                         '1,3,224,224' % text) from None
    if not shape or min(shape) < 1:
        raise argparse.ArgumentTypeError('%r has a dimension below 1' % text)
    return shape


def _writable_folder(folder, path):
    """Raise ArgumentTypeError unless files can be created in ``folder``."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise argparse.ArgumentTypeError('%s: cannot write in %s (%s)' % (
            path, folder, err.strerror or err)) from None


def output_file(text):
    """A file to write: not a folder, in a folder that exists and is writable."""
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError('%s is a folder; a file name is needed' % text)
    folder = os.path.dirname(os.path.abspath(text))
    if not os.path.isdir(folder):
        raise argparse.ArgumentTypeError('%s: the folder %s does not exist' % (text, folder))
    _writable_folder(folder, text)
    return text


def output_folder(text):
    """A folder to write in: an existing writable folder, or one that can be created
    (its nearest existing parent is a writable folder)."""
    if os.path.exists(text) and not os.path.isdir(text):
        raise argparse.ArgumentTypeError('%s is a file; a folder is needed' % text)
    parent = os.path.abspath(text)
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise argparse.ArgumentTypeError('%s cannot be created: %s is a file' % (text, parent))
    _writable_folder(parent, text)
    return text


def check_positive_int(name, value):
    """The API's check of an integer argument of at least 1: ``TypeError``, or
    :class:`~gluon_dfb.errors.BadInputError` (a ``ValueError``), naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError('%s must be an integer, not %r' % (name, value))
    if value < 1:
        raise BadInputError('%s must be at least 1, not %d' % (name, value))


def check_dropout(name, value):
    """The API's check of a dropout rate, a number in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError('%s must be a number, not %r' % (name, value))
    if not 0 <= value < 1:
        raise BadInputError('%s must be in [0, 1), not %r' % (name, value))


def read_class_names(path, count, flag='--classes'):
    """The class names in ``path``, one a line; :class:`~gluon_dfb.errors.UserError`
    naming ``flag`` and the file unless it holds exactly ``count`` of them."""
    if not os.path.isfile(path):
        raise MissingFileError('%s %s: no such file' % (flag, path))
    with open(path, encoding='utf-8-sig') as f:
        names = [line.strip() for line in f if line.strip()]
    if len(names) != count:
        raise BadInputError('%s %s names %d classes; the model has %d' % (
            flag, path, len(names), count))
    return names
