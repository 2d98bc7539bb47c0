"""INT8 inference on CPU: a trained network's ONNX export, BatchNorms folded, quantized
by onnxruntime (static QDQ: per-channel int8 weights, uint8 activations) with ranges
calibrated on the test protocol's views of real videos of the user's list; I3D's stem
convolution stays float32 (:func:`float_convolutions`).

    python -m gluon_dfb.quantize --model NAME --params FILE --calib-list LIST
        [--data-root DIR] [--calib-videos 16] [--protocol P] [...] --out DIR

writes ``DIR/model.int8.onnx`` and ``DIR/quantization.json`` (options, view shape,
calibration videos, and which operators run in INT8); ``predict --int8 DIR`` uses them.
ONNX fixes the input shape: the model runs one view at a time, and only views of the
calibration videos' view shape (the protocol, input size and short side, and with
full-frame protocols the videos' aspect ratio).
"""
import argparse
import json
import os
import tempfile
from collections import Counter

import mxnet as mx
import numpy as np
from tqdm import tqdm

from .data import TEST_PROTOCOLS, VideoReadError, read_views
from .data.video_list import read_video_list
from .engine.options import test_protocol
from .errors import BadInputError, MissingFileError, run_command
from .export import export_onnx, export_symbol
from .models import HEADS
from .zoo import get_model

__all__ = ['MODEL_FILE', 'REPORT_FILE', 'calibration_views', 'spread_views', 'quantize',
           'float_convolutions', 'operator_precision', 'Int8Runner', 'main']

MODEL_FILE, REPORT_FILE = 'model.int8.onnx', 'quantization.json'
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
        The view shape (of the first readable video), an iterator over arrays of one
        view each (``(1,) + shape``; a video of another view shape is left out), and a
        dict that the iterator fills as it goes: ``used`` (paths), ``failed`` ({path:
        reason}) and ``other_shape`` ({path: shape}).

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

    def views():
        path, video = first
        for _ in tqdm(range(min(videos, len(records))), desc='calibrating'):
            while video is None or video.shape[1:] != shape:
                if video is not None:
                    found['other_shape'][path] = video.shape[1:]
                path = next(paths, None)
                if path is None:
                    return
                video = read(path)
            found['used'].append(path)
            yield from spread_views(video)
            video = None
    return shape, views(), found


def spread_views(views):
    """Up to ``VIEWS_PER_VIDEO`` of a video's views, evenly spread over them (the
    protocols order views by time or by crop), as arrays of one view each."""
    chosen = np.unique(np.linspace(0, len(views) - 1, VIEWS_PER_VIDEO).round()).astype(int)
    return [views[i:i + 1] for i in chosen]


def quantize(net, view_shape, views, out):
    """Quantize ``net`` for inputs of one view of ``view_shape`` into ``out/MODEL_FILE``.

    Parameters
    ----------
    net : Recognizer
        Built with ``num_segments=1``, with its trained parameters; not modified.
    view_shape : tuple of int
        The shape of one view, without the batch axis.
    views : iterable of numpy.ndarray
        Calibration inputs, ``(1,) + view_shape`` each.
    out : str
        Output folder.

    Returns
    -------
    str
        The quantized model file.
    """
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod,
                                          QuantFormat, QuantType, quant_pre_process,
                                          quantize_static)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.inputs = iter(views)

        def get_next(self):
            view = next(self.inputs, None)
            return None if view is None else {'data': np.ascontiguousarray(view, np.float32)}

    shape = (1,) + tuple(view_shape)
    os.makedirs(out, exist_ok=True)
    model_file = os.path.join(out, MODEL_FILE)
    with tempfile.TemporaryDirectory(prefix='gluon_dfb_quantize_') as folder:
        prefix = os.path.join(folder, 'model')
        folded = export_onnx(*export_symbol(net, shape, prefix), shape, prefix + '.onnx')
        prepared = prefix + '.prepared.onnx'
        quant_pre_process(folded, prepared, skip_symbolic_shape=True)
        quantize_static(prepared, model_file + '.tmp', Reader(), quant_format=QuantFormat.QDQ,
                        per_channel=True, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax,
                        nodes_to_exclude=float_convolutions(prepared))
    os.replace(model_file + '.tmp', model_file)
    return model_file


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


class Int8Runner(object):
    """Called like the network in inference mode (NDArray of views in, z_comb out), but
    runs the quantized model written by :func:`quantize`, one view at a time.

    Parameters
    ----------
    folder : str
        The output folder of ``python -m gluon_dfb.quantize`` (or of :func:`quantize`).

    Raises
    ------
    MissingFileError
        ``folder`` holds no quantized model.
    BadInputError
        (when called) Views of another shape than the model's.
    """

    def __init__(self, folder):
        import onnxruntime
        model_file = os.path.join(folder, MODEL_FILE)
        if not os.path.isfile(model_file):
            raise MissingFileError('%s holds no INT8 model (%s, written by python -m '
                                   'gluon_dfb.quantize)' % (folder, MODEL_FILE))
        self.folder = folder
        self.session = onnxruntime.InferenceSession(model_file,
                                                    providers=['CPUExecutionProvider'])
        self.view_shape = tuple(self.session.get_inputs()[0].shape[1:])

    def __call__(self, x):
        if tuple(x.shape[1:]) != self.view_shape:
            raise BadInputError(
                'the INT8 model in %s takes views of shape %s (its calibration videos\'), not '
                '%s: ONNX fixes the shape; quantize again with calibration videos of this '
                'size and protocol, or predict with the float engine' % (
                    self.folder, 'x'.join(map(str, self.view_shape)),
                    'x'.join(map(str, x.shape[1:]))))
        views = x.asnumpy()
        return mx.nd.array(np.concatenate([self.session.run(None, {'data': views[i:i + 1]})[0]
                                           for i in range(len(views))]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--model', required=True)
    parser.add_argument('--params', required=True, help='trained .params file')
    parser.add_argument('--num-classes', type=int)
    parser.add_argument('--head', choices=sorted(HEADS), help="overrides the model name's head")
    parser.add_argument('--calib-list', required=True,
                        help='list file (path num_frames label) of calibration videos')
    parser.add_argument('--data-root', default='', help='folder the list paths are relative to')
    parser.add_argument('--calib-videos', type=int, default=16,
                        help='videos to calibrate on, %d views each' % VIEWS_PER_VIDEO)
    parser.add_argument('--protocol', choices=TEST_PROTOCOLS,
                        help="the views predict will give it (default: the model's)")
    parser.add_argument('--num-segments', type=int, default=3)
    parser.add_argument('--new-length', type=int, default=32)
    parser.add_argument('--new-step', type=int, default=2)
    parser.add_argument('--input-size', type=int, default=224)
    parser.add_argument('--short-side', type=int, default=256)
    parser.add_argument('--out', required=True, help='output folder')
    args = parser.parse_args(argv)
    if args.calib_videos < 1:
        parser.error('--calib-videos must be at least 1')
    net = get_model(args.model, nclass=args.num_classes, pretrained=args.params,
                    num_segments=1, **({'head': args.head} if args.head else {}))
    protocol_name, protocol = test_protocol(args, args.model.split('_')[0],
                                            net.entry['test_protocol'])
    shape, views, found = calibration_views(args.calib_list, protocol, args.data_root,
                                            args.short_side, args.calib_videos)
    model_file = quantize(net, shape, views, args.out)
    precision = operator_precision(model_file)
    report = {'model': args.model, 'params': os.path.abspath(args.params),
              'num_classes': net.nclass, 'head': net.head_name, 'protocol': protocol_name,
              'options': {k: getattr(args, k) for k in (
                  'num_segments', 'new_length', 'new_step', 'input_size', 'short_side')},
              'view_shape': list(shape), 'calibration': {
                  'list': os.path.abspath(args.calib_list), 'videos': found['used'],
                  'views_per_video': VIEWS_PER_VIDEO, 'unreadable': found['failed'],
                  'other_view_shape': {p: list(s) for p, s in found['other_shape'].items()}},
              'quantization': 'onnxruntime quantize_static, QDQ, per-channel int8 weights, '
                              'uint8 activations, MinMax calibration; 3D convolutions over at '
                              'most %d channels (I3D\'s stem) in float32' % FLOAT_STEM_CHANNELS,
              'operators': precision}
    with open(os.path.join(args.out, REPORT_FILE), 'w') as f:
        json.dump(report, f, indent=1)
    print('wrote %s for views of %s (%s protocol): calibrated on %d videos of %s' % (
        model_file, 'x'.join(map(str, shape)), protocol_name, len(found['used']),
        args.calib_list))
    if found['failed'] or found['other_shape']:
        print('left out: %d unreadable videos, %d of another view shape (listed in %s)' % (
            len(found['failed']), len(found['other_shape']), REPORT_FILE))
    for kind in ('int8', 'float'):
        print('%-5s operators: %s' % (kind.upper(), ', '.join(
            '%s x%d' % item for item in precision[kind].items()) or 'none'))


if __name__ == '__main__':
    run_command(main)
