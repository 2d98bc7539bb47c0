"""INT8 inference on CPU: a trained network's ONNX export, BatchNorms folded, quantized
by onnxruntime (static QDQ: per-channel int8 weights, uint8 activations) with ranges
calibrated on the test protocol's views of real videos of the user's list; I3D's stem
convolution stays float32 (:func:`float_convolutions`). Further videos of the list, held
out, choose among candidate activation ranges and measure how far INT8 moves float32's
decisions; videos that INT8 decides by less than that are scored again in float32.

    python -m gluon_dfb.quantize --model NAME --params FILE --calib-list LIST
        [--data-root DIR] [--calib-videos 16] [--check-videos 16] [--protocol P] [...]
        --out DIR

writes ``DIR/model.int8.onnx``, its float32 fallback ``DIR/model.float32.onnx`` and
``DIR/quantization.json`` (options, view shape, calibration and held-out videos, the
candidates' margins, and which operators run in INT8); ``predict --int8 DIR`` uses them.
ONNX fixes the input shape: the model runs one view at a time, and only views of the
calibration videos' view shape (the protocol, input size and short side, and with
full-frame protocols the videos' aspect ratio).
"""
import argparse
import functools
import itertools
import json
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from .. import arguments as rules
from ..engine.config import (TestSamplingConfig, check_fields, config_from, data_root_option,
                             option, parser_of, required)
from ..errors import BadInputError, run_command
from ..scoring import mean_softmax
from .calibration import RANGE_SCALES, VIEWS_PER_VIDEO, calibration_views, range_overrides, \
    view_extremes
from .export import export_onnx, export_symbol
from .int8_runtime import FLOAT_FILE, MODEL_FILE, REPORT_FILE, run_views

__all__ = ['QuantizeConfig', 'decision_moves', 'quantize', 'float_convolutions',
           'operator_precision', 'quantize_list', 'quantization_record', 'summary', 'main']

#: The fallback margin is this percentile of the held-out videos' decision moves.
FALLBACK_QUANTILE = 95
#: 3D convolutions over at most this many input channels stay float (:func:`float_convolutions`).
FLOAT_STEM_CHANNELS = 4
#: Operators that carry 8-bit data through without converting it.
PASS_THROUGH = ('MaxPool', 'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Flatten', 'Resize',
                'Identity', 'Slice', 'Concat', 'Split', 'Pad')


def decision_moves(float_file, int8_files, videos):
    """How far each INT8 model moves float32's decision on each video: the change of the
    lead of float32's top class over the best other class, in probability.

    Returns
    -------
    dict
        {key of ``int8_files``: numpy.ndarray (videos,)}.
    """
    import onnxruntime
    open_model = functools.partial(onnxruntime.InferenceSession,
                                   providers=['CPUExecutionProvider'])
    reference, sessions = open_model(float_file), {k: open_model(f) for k, f in int8_files.items()}
    moves = {k: [] for k in sessions}

    def lead(probabilities, top):
        return probabilities[top] - np.delete(probabilities, top).max()
    for views in videos:
        want = mean_softmax(run_views(reference, views))
        top = want.argmax()
        for key, session in sessions.items():
            got = mean_softmax(run_views(session, views))
            moves[key].append(abs(lead(got, top) - lead(want, top)))
    return {k: np.array(v) for k, v in moves.items()}


def quantize(net, view_shape, calibration, check, out, scales=RANGE_SCALES):
    """Quantize ``net`` for inputs of one view of ``view_shape`` into ``out/MODEL_FILE``,
    with its float32 fallback in ``out/FLOAT_FILE``.

    Activation ranges: each candidate of ``scales`` (:func:`range_overrides`) is
    quantized, and the one that moves float32's decisions least on the held-out
    ``check`` videos is kept: the ``FALLBACK_QUANTILE``-th percentile of its moves
    (:func:`decision_moves`) is the smallest. That percentile is the model's fallback
    margin (kept in its metadata): :class:`Int8Runner` scores a video again in float32
    when INT8's top class leads by less.

    Parameters
    ----------
    net : Recognizer
        Built with ``num_segments=1``, with its trained parameters; not modified.
    view_shape : tuple of int
        The shape of one view, without the batch axis.
    calibration, check : iterable of numpy.ndarray
        Views of the calibration and of the held-out videos, ``(views,) + view_shape``
        a video.
    out : str
        Output folder.
    scales : tuple, default RANGE_SCALES
        The candidate range multiples (``None``: MinMax).

    Returns
    -------
    dict
        ``range_scale`` (the one kept), ``fallback_margin``, and ``margins``: each
        candidate's fallback margin.

    Raises
    ------
    BadInputError
        ``check`` has no video.
    """
    import onnx
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quant_pre_process, quantize_static)

    class Reader(CalibrationDataReader):
        def __init__(self, views):
            self.inputs = iter(views)

        def get_next(self):
            view = next(self.inputs, None)
            return None if view is None else {'data': np.ascontiguousarray(view, np.float32)}

    shape = (1,) + tuple(view_shape)
    with tempfile.TemporaryDirectory(prefix='gluon_dfb_quantize_') as folder:
        prefix = os.path.join(folder, 'model')
        folded = export_onnx(*export_symbol(net, shape, prefix), shape, prefix + '.onnx')
        prepared = prefix + '.prepared.onnx'
        quant_pre_process(folded, prepared, skip_symbolic_shape=True)
        views = (video[i:i + 1] for video in tqdm(calibration, desc='calibrating')
                 for i in range(len(video)))
        first = next(views)
        extremes = view_extremes(prepared, itertools.chain([first], views))
        check = iter(check)
        first_check = next(check, None)
        if first_check is None:
            raise BadInputError('no held-out video to check the INT8 model on: no readable '
                                'video of the view shape is left after the calibration ones')
        candidates, float_stem = {}, float_convolutions(prepared)
        for scale in scales:
            candidates[scale] = os.path.join(folder, 'int8_%s.onnx' % scale)
            # every calibrated range is overridden: one view runs the calibrator
            quantize_static(prepared, candidates[scale], Reader([first]),
                            quant_format=QuantFormat.QDQ, per_channel=True,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                            nodes_to_exclude=float_stem, extra_options={
                                'TensorQuantOverrides': range_overrides(extremes, scale)})
        moves = decision_moves(prepared, candidates,
                               tqdm(itertools.chain([first_check], check), desc='checking'))
        margins = {k: float(np.percentile(v, FALLBACK_QUANTILE)) for k, v in moves.items()}
        scale = min(margins, key=margins.get)
        model = onnx.load(candidates[scale])
        onnx.helper.set_model_props(model, {'fallback_margin': repr(margins[scale])})
        os.makedirs(out, exist_ok=True)
        onnx.save(model, os.path.join(out, MODEL_FILE + '.tmp'))
        shutil.copyfile(prepared, os.path.join(out, FLOAT_FILE + '.tmp'))
    for name in (FLOAT_FILE, MODEL_FILE):
        os.replace(os.path.join(out, name + '.tmp'), os.path.join(out, name))
    return {'range_scale': scale, 'fallback_margin': margins[scale], 'margins': margins}


def float_convolutions(model_file):
    """The convolutions left in float32: 3D ones that read at most ``FLOAT_STEM_CHANNELS``
    channels (I3D's stem). onnxruntime's INT8 3D convolution over the 3 colour channels
    is several times slower than its float32 one, while on more channels and in 2D its
    INT8 kernels are the faster ones (``benchmarks/RESULTS.md``, INT8)."""
    import onnx
    graph = onnx.load(model_file).graph
    weights = {t.name: t.dims for t in graph.initializer}
    return [n.name for n in graph.node if n.op_type == 'Conv' and n.input[1] in weights
            and len(weights[n.input[1]]) == 5 and weights[n.input[1]][1] <= FLOAT_STEM_CHANNELS]


def operator_precision(model_file):
    """Which operators onnxruntime runs on 8-bit data, in the graph it runs (after its
    optimizations, which fuse QDQ groups into QLinear operators).

    A tensor is 8-bit if a ``QuantizeLinear`` or a ``QLinear*``/``QGemm`` operator writes
    it, or an operator of ``PASS_THROUGH`` reads it as its data; ``DequantizeLinear``
    writes float. Constant-folded shape arithmetic is gone by then.

    Returns
    -------
    dict
        ``int8`` and ``float``: {operator type: count}; ``conversions``: the
        ``QuantizeLinear``/``DequantizeLinear`` counts.
    """
    import onnx
    import onnxruntime
    with tempfile.TemporaryDirectory(prefix='gluon_dfb_ops_') as folder:
        options = onnxruntime.SessionOptions()
        options.optimized_model_filepath = os.path.join(folder, 'optimized.onnx')
        options.log_severity_level = 3  # not the warning that the file is for this CPU
        onnxruntime.InferenceSession(model_file, options, providers=['CPUExecutionProvider'])
        graph = onnx.load(options.optimized_model_filepath).graph
    eight_bit, counts = set(), {'int8': Counter(), 'float': Counter(), 'conversions': Counter()}
    for node in graph.node:  # in topological order
        op = node.op_type
        if op in ('QuantizeLinear', 'DequantizeLinear'):
            counts['conversions'][op] += 1
            quantized = op == 'QuantizeLinear'
        else:
            quantized = (op.startswith('QLinear') or op == 'QGemm'
                         or (op in PASS_THROUGH and node.input[0] in eight_bit))
            counts['int8' if quantized else 'float'][op] += 1
        if quantized:
            eight_bit.update(node.output)
    return {k: dict(sorted(v.items())) for k, v in counts.items()}


def range_scale(text):
    """``--range-scales``' values: a positive number, or ``minmax`` (None)."""
    if text == 'minmax':
        return None
    try:
        if float(text) > 0:
            return float(text)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError('%r is neither a positive number nor minmax' % text)


def scale_name(scale):
    """A range multiple as ``--range-scales`` spells it."""
    return 'minmax' if scale is None else '%g' % scale


@dataclass(kw_only=True)
class QuantizeConfig(TestSamplingConfig):
    """A quantization: the options of ``gluon-dfb quantize``; the sampling options are
    those ``predict`` will give the INT8 model."""

    params: str = required(help='trained .params file')
    calib_list: str = required(help='list file (path num_frames label) of calibration videos')
    data_root: str = data_root_option()
    calib_videos: int = option(16, rules.positive_int,
                               help='videos to calibrate on, %d views each' % VIEWS_PER_VIDEO)
    range_scales: list = option(
        list(RANGE_SCALES), range_scale, nargs='+', metavar='SCALE',
        help='candidate activation ranges: multiples of the median view extreme, or minmax '
             '(default: 2 3 4 6 8 minmax; each costs a quantization)')
    check_videos: int = option(16, rules.positive_int,
                               help='further videos of the list, held out: they choose the '
                                    'activation ranges and the float32 fallback margin')
    out: str = required(rules.output_folder, help='output folder')

    def __post_init__(self):
        super().__post_init__()
        check_fields(self)
        self.range_scales = [None if v is None else range_scale(str(v))
                             for v in self.range_scales]


def quantize_list(config):
    """Quantize ``config.model`` into ``config.out``, calibrated and checked on the videos
    of ``config.calib_list``, and write ``quantization.json``; returns its record."""
    net = config.build(pretrained=config.params, num_segments=1)
    shape, videos, found = calibration_views(config.calib_list, config.test_protocol(),
                                             config.data_root, config.short_side,
                                             config.calib_videos + config.check_videos)
    try:
        chosen = quantize(net, shape, itertools.islice(videos, config.calib_videos), videos,
                          config.out, config.range_scales)
    except BadInputError as err:
        raise BadInputError('%s: %s' % (config.calib_list, err))
    record = quantization_record(config, net, shape, found, chosen,
                                 operator_precision(os.path.join(config.out, MODEL_FILE)))
    with open(os.path.join(config.out, REPORT_FILE), 'w') as f:
        json.dump(record, f, indent=1)
    return record


def main(argv=None):
    config = config_from(parser_of(QuantizeConfig, __doc__.split('\n\n')[0]), QuantizeConfig,
                         argv)
    print(summary(quantize_list(config), os.path.join(config.out, MODEL_FILE)))


def quantization_record(config, net, shape, found, chosen, precision):
    """``quantization.json``: what the INT8 model was made from and how, which
    ``predict --int8`` checks (:func:`~gluon_dfb.inference.int8_runtime.check_made_for`)."""
    calibrated = found['used'][:config.calib_videos]
    return {'model': config.model, 'params': os.path.abspath(config.params),
            'num_classes': net.nclass, 'head': net.head_name, 'protocol': config.protocol,
            'options': {k: getattr(config, k) for k in (
                'num_segments', 'new_length', 'new_step', 'input_size', 'short_side')},
            'view_shape': list(shape), 'calibration': {
                'list': os.path.abspath(config.calib_list), 'videos': calibrated,
                'check_videos': found['used'][len(calibrated):],
                'views_per_video': VIEWS_PER_VIDEO, 'unreadable': found['failed'],
                'other_view_shape': {p: list(s) for p, s in found['other_shape'].items()}},
            'quantization': 'onnxruntime quantize_static, QDQ, per-channel int8 weights, '
                            'uint8 activations; 3D convolutions over at most %d channels '
                            '(I3D\'s stem) in float32' % FLOAT_STEM_CHANNELS,
            'activation_ranges': {
                'scale': chosen['range_scale'], 'rule': 'scale x the median over the '
                'calibration views of each view\'s extreme, at most the extreme over all '
                '(scale null: that extreme, MinMax)',
                'fallback_margins': {scale_name(k): v for k, v in chosen['margins'].items()}},
            'fallback_margin': chosen['fallback_margin'],
            'operators': precision}


def summary(record, model_file):
    """What ``gluon-dfb quantize`` says when it is done, from its ``record``."""
    calibration, ranges = record['calibration'], record['activation_ranges']
    lines = ['wrote %s for views of %s (%s protocol): calibrated on %d videos of %s, checked '
             'on %d more' % (model_file, 'x'.join(map(str, record['view_shape'])),
                             record['protocol'], len(calibration['videos']),
                             calibration['list'], len(calibration['check_videos'])),
             'activation ranges: scale %s chosen (fallback margins of the candidates: %s); '
             'predict scores a video again in float32 when its INT8 top class leads by less '
             'than %.3f' % (scale_name(ranges['scale']), ', '.join(
                 '%s: %.3f' % item for item in ranges['fallback_margins'].items()),
                 record['fallback_margin'])]
    if calibration['unreadable'] or calibration['other_view_shape']:
        lines.append('left out: %d unreadable videos, %d of another view shape (listed in %s)'
                     % (len(calibration['unreadable']), len(calibration['other_view_shape']),
                        REPORT_FILE))
    lines += ['%-5s operators: %s' % (kind.upper(), ', '.join(
        '%s x%d' % item for item in record['operators'][kind].items()) or 'none')
        for kind in ('int8', 'float')]
    return '\n'.join(lines)


if __name__ == '__main__':
    run_command(main)
