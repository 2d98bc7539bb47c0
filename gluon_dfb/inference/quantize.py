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

import mxnet as mx
import numpy as np
from tqdm import tqdm

from ..arguments import output_folder, positive_int
from ..data import VideoReadError, read_views
from ..data.video_list import read_video_list
from ..engine.config import (SAMPLING_OPTIONS, EvalConfig, add_options, check_protocol,
                             chosen_protocol, fill_sampling_defaults)
from ..errors import BadInputError, MissingFileError, run_command
from ..zoo import get_model, model_entry
from .export import export_onnx, export_symbol

__all__ = ['MODEL_FILE', 'FLOAT_FILE', 'REPORT_FILE', 'calibration_views', 'spread_views',
           'view_extremes', 'range_overrides', 'decision_moves', 'quantize',
           'float_convolutions', 'operator_precision', 'Int8Runner', 'check_made_for', 'main']

MODEL_FILE, FLOAT_FILE, REPORT_FILE = 'model.int8.onnx', 'model.float32.onnx', 'quantization.json'
#: Candidate activation ranges, as multiples of the median over the calibration views of
#: each view's extreme (:func:`range_overrides`; ``None``: the extreme over all views,
#: MinMax). A few videos can drive activations tens of times past the others' (3% of
#: the embedded set's videos, from the third ResNet stage on), and a range spent on them
#: leaves the other videos a few of the 256 levels.
RANGE_SCALES = (2, 3, 4, 6, 8, None)
#: The fallback margin is this percentile of the held-out videos' decision moves.
FALLBACK_QUANTILE = 95
#: Views of a video used for calibration, evenly spread over its views.
VIEWS_PER_VIDEO = 10
#: 3D convolutions over at most this many input channels stay float (:func:`float_convolutions`).
FLOAT_STEM_CHANNELS = 4
#: Operators that carry 8-bit data through without converting it.
PASS_THROUGH = ('MaxPool', 'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Flatten', 'Resize',
                'Identity', 'Slice', 'Concat', 'Split', 'Pad')


def calibration_views(list_file, protocol, root='', short_side=256, videos=16):
    """Read the calibration videos of a list: up to ``videos`` readable ones, in a fixed
    shuffled order (lists are often sorted by class), each as up to
    ``VIEWS_PER_VIDEO`` of its protocol views (:func:`spread_views`).

    Returns
    -------
    (tuple, iterator, dict)
        The view shape (of the first readable video), an iterator over the videos' views
        (an array of ``(views,) + shape`` a video; a video of another view shape is left
        out), and a dict that the iterator fills as it goes: ``used`` (paths), ``failed``
        ({path: reason}) and ``other_shape`` ({path: shape}).

    Raises
    ------
    MissingFileError, BadInputError
        The list is missing or empty, or none of its videos can be read.
    """
    records = read_video_list(list_file)
    order = np.random.RandomState(0).permutation(len(records))
    paths = (os.path.join(root, records[i].path) for i in order)
    found = {'used': [], 'failed': {}, 'other_shape': {}}

    def read(path):
        try:
            return read_views(path, protocol, short_side)
        except VideoReadError as err:
            found['failed'][path] = err.reason
            return None
    first = next(((p, v) for p in paths for v in [read(p)] if v is not None), None)
    if first is None:
        raise BadInputError('none of the %d videos of the calibration list %s could be read:'
                            '\n%s' % (len(records), list_file, '\n'.join(
                                '  %s: %s' % item for item in sorted(found['failed'].items()))))
    shape = first[1].shape[1:]

    def spread():
        path, video = first
        for _ in range(min(videos, len(records))):
            while video is None or video.shape[1:] != shape:
                if video is not None:
                    found['other_shape'][path] = video.shape[1:]
                path = next(paths, None)
                if path is None:
                    return
                video = read(path)
            found['used'].append(path)
            yield spread_views(video)
            video = None
    return shape, spread(), found


def spread_views(views):
    """Up to ``VIEWS_PER_VIDEO`` of a video's views, evenly spread over them (the
    protocols order views by time or by crop)."""
    return views[np.unique(np.linspace(0, len(views) - 1, VIEWS_PER_VIDEO).round()).astype(int)]


def view_extremes(model_file, views):
    """Each view's minimum and maximum of every float tensor that onnxruntime's
    quantizer calibrates in ``model_file`` (its input and the operators' float
    outputs that shape inference typed).

    Returns
    -------
    dict
        {tensor name: numpy.ndarray ``(views, 2)``}.
    """
    import onnx
    import onnxruntime
    model = onnx.load(model_file)
    graph = model.graph
    constants = {t.name for t in graph.initializer}
    typed = {t.name: t for t in list(graph.value_info) + list(graph.output)}
    names = list(dict.fromkeys(
        o for node in graph.node for o in node.output if o in typed and o not in constants
        and typed[o].type.tensor_type.elem_type == onnx.TensorProto.FLOAT))
    del graph.output[:]
    graph.output.extend(typed[name] for name in names)
    session = onnxruntime.InferenceSession(model.SerializeToString(),
                                           providers=['CPUExecutionProvider'])
    extremes = []
    for view in views:
        values = [view] + session.run(names, {'data': view})
        extremes.append([(value.min(), value.max()) for value in values])
    return dict(zip(['data'] + names, np.array(extremes, np.float32).transpose(1, 0, 2)))


def range_overrides(extremes, scale):
    """onnxruntime's ``TensorQuantOverrides`` for activation ranges ``scale`` times the
    median over the views of each view's extreme, no wider than the extremes over all
    views (``scale=None``: those, onnxruntime's MinMax calibration)."""
    overrides = {}
    for name, pairs in extremes.items():
        low, high = pairs[:, 0].min(), pairs[:, 1].max()
        if scale is not None:
            low = max(low, scale * np.median(pairs[:, 0]))
            high = min(high, scale * np.median(pairs[:, 1]))
        overrides[name] = [{'rmin': np.float32(min(low, 0)), 'rmax': np.float32(max(high, 0))}]
    return overrides


def mean_softmax(logits):
    """A video's class probabilities from its views' logits, as
    :func:`~gluon_dfb.inference.scoring.video_probabilities` takes them."""
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (exp / exp.sum(axis=1, keepdims=True)).mean(axis=0)


def margin(probabilities):
    """How far the top class's probability leads the runner-up's."""
    second, first = np.sort(probabilities)[-2:]
    return first - second


def run_views(session, views):
    """A session's outputs for a video's views, one view at a time (ONNX fixes the
    batch at one)."""
    return np.concatenate([session.run(None, {'data': np.ascontiguousarray(
        views[i:i + 1], np.float32)})[0] for i in range(len(views))])


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
    takes 4-5x the time of its float32 one (I3D-R50, one 8x224x224 view: 211 ms against
    39 ms, five times all its other 64 convolutions in INT8, 43 ms), while on more
    channels and in 2D its INT8 kernels are the faster ones (those 64: 192 ms in float32)."""
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


def _written_by_quantize(folder, name):
    """The path of ``name`` in an INT8 model's ``folder``; MissingFileError if absent."""
    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        raise MissingFileError('%s holds no INT8 model (%s is missing; python -m '
                               'gluon_dfb.quantize writes it)' % (folder, path))
    return path


class Int8Runner(object):
    """Called like the network in inference mode (NDArray of views in, z_comb out), but
    runs the quantized model written by :func:`quantize`, one view at a time; a call
    whose views' INT8 top class leads the runner-up by less than the fallback margin is
    scored again by the float32 model (counted in ``fallbacks`` of ``calls``).

    Parameters
    ----------
    folder : str
        The output folder of ``python -m gluon_dfb.quantize`` (or of :func:`quantize`).
    fallback_margin : float, optional
        Overrides the model's (0: never fall back).

    Raises
    ------
    MissingFileError
        ``folder`` holds no quantized model.
    BadInputError
        (when called) Views of another shape than the model's.
    """

    def __init__(self, folder, fallback_margin=None):
        import onnxruntime
        files = [_written_by_quantize(folder, name) for name in (MODEL_FILE, FLOAT_FILE)]
        self.folder = folder
        self.session, self.fallback = (onnxruntime.InferenceSession(
            f, providers=['CPUExecutionProvider']) for f in files)
        self.fallback_margin = float(
            self.session.get_modelmeta().custom_metadata_map['fallback_margin']
            if fallback_margin is None else fallback_margin)
        self.view_shape = tuple(self.session.get_inputs()[0].shape[1:])
        self.calls = self.fallbacks = 0

    def __call__(self, x):
        if tuple(x.shape[1:]) != self.view_shape:
            raise BadInputError(
                'the INT8 model in %s takes views of shape %s (its calibration videos\'), not '
                '%s: ONNX fixes the shape; quantize again with calibration videos of this '
                'size and protocol, or predict with the float engine' % (
                    self.folder, 'x'.join(map(str, self.view_shape)),
                    'x'.join(map(str, x.shape[1:]))))
        views = x.asnumpy()
        logits = run_views(self.session, views)
        self.calls += 1
        if margin(mean_softmax(logits)) < self.fallback_margin:
            self.fallbacks += 1
            logits = run_views(self.fallback, views)
        return mx.nd.array(logits)


def check_made_for(folder, model, net, params=None):
    """Refuse the INT8 model in ``folder`` unless ``quantization.json`` says it was made
    from ``model`` with ``net``'s classes and head (and from ``params``, if given)."""
    with open(_written_by_quantize(folder, REPORT_FILE)) as f:
        made = json.load(f)
    wanted = {'model': model, 'num_classes': net.nclass, 'head': net.head_name}
    if params:
        wanted['params'] = os.path.abspath(params)
    other = ['%s %s (asked: %s)' % (k, made.get(k), v) for k, v in wanted.items()
             if made.get(k) != v]
    if other:
        raise BadInputError('the INT8 model in %s was made from another network: %s; quantize '
                            'this one, or predict with the options it was made with' % (
                                folder, ', '.join(other)))


def range_scale(text):
    """``--range-scales``' values: a positive number, or ``minmax`` (None)."""
    if text == 'minmax':
        return None
    if float(text) <= 0:
        raise ValueError(text)
    return float(text)


def scale_name(scale):
    """A range multiple as ``--range-scales`` spells it."""
    return 'minmax' if scale is None else '%g' % scale


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--model', required=True)
    parser.add_argument('--params', required=True, help='trained .params file')
    add_options(parser, EvalConfig, ('num_classes', 'head', 'data_root'))
    parser.add_argument('--calib-list', required=True,
                        help='list file (path num_frames label) of calibration videos')
    parser.add_argument('--calib-videos', type=positive_int, default=16,
                        help='videos to calibrate on, %d views each' % VIEWS_PER_VIDEO)
    parser.add_argument('--range-scales', nargs='+', type=range_scale,
                        default=list(RANGE_SCALES), metavar='SCALE',
                        help='candidate activation ranges: multiples of the median view extreme, '
                             'or minmax (default: 2 3 4 6 8 minmax; each costs a quantization)')
    parser.add_argument('--check-videos', type=positive_int, default=16,
                        help='further videos of the list, held out: they choose the activation '
                             'ranges and the float32 fallback margin')
    add_options(parser, EvalConfig, SAMPLING_OPTIONS)  # those predict will give it
    parser.add_argument('--out', required=True, type=output_folder, help='output folder')
    args = parser.parse_args(argv)
    arch = model_entry(args.model)['arch']
    fill_sampling_defaults(args, arch)
    if args.protocol:
        check_protocol(args.protocol, arch)
    net = get_model(args.model, nclass=args.num_classes, pretrained=args.params,
                    num_segments=1, **({'head': args.head} if args.head else {}))
    protocol_name, protocol = chosen_protocol(args, net.entry['arch'],
                                              net.entry['test_protocol'])
    shape, videos, found = calibration_views(args.calib_list, protocol, args.data_root,
                                             args.short_side, args.calib_videos + args.check_videos)
    try:
        chosen = quantize(net, shape, itertools.islice(videos, args.calib_videos), videos,
                          args.out, args.range_scales)
    except BadInputError as err:
        raise BadInputError('%s: %s' % (args.calib_list, err))
    model_file = os.path.join(args.out, MODEL_FILE)
    precision = operator_precision(model_file)
    report = {'model': args.model, 'params': os.path.abspath(args.params),
              'num_classes': net.nclass, 'head': net.head_name, 'protocol': protocol_name,
              'options': {k: getattr(args, k) for k in (
                  'num_segments', 'new_length', 'new_step', 'input_size', 'short_side')},
              'view_shape': list(shape), 'calibration': {
                  'list': os.path.abspath(args.calib_list),
                  'videos': found['used'][:args.calib_videos],
                  'check_videos': found['used'][args.calib_videos:],
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
    with open(os.path.join(args.out, REPORT_FILE), 'w') as f:
        json.dump(report, f, indent=1)
    print('wrote %s for views of %s (%s protocol): calibrated on %d videos of %s, checked on '
          '%d more' % (model_file, 'x'.join(map(str, shape)), protocol_name,
                       min(args.calib_videos, len(found['used'])), args.calib_list,
                       len(found['used'][args.calib_videos:])))
    print('activation ranges: scale %s chosen (fallback margins of the candidates: %s); predict '
          'scores a video again in float32 when its INT8 top class leads by less than %.3f' % (
              scale_name(chosen['range_scale']), ', '.join(
                  '%s: %.3f' % (scale_name(k), v) for k, v in chosen['margins'].items()),
              chosen['fallback_margin']))
    if found['failed'] or found['other_shape']:
        print('left out: %d unreadable videos, %d of another view shape (listed in %s)' % (
            len(found['failed']), len(found['other_shape']), REPORT_FILE))
    for kind in ('int8', 'float'):
        print('%-5s operators: %s' % (kind.upper(), ', '.join(
            '%s x%d' % item for item in precision[kind].items()) or 'none'))


if __name__ == '__main__':
    run_command(main)
