"""Running an INT8 model that :mod:`~gluon_dfb.inference.quantize` wrote: one view at a
time through onnxruntime, and calls that INT8 decides by less than the model's fallback
margin scored again in float32."""
import json
import os

import mxnet as mx
import numpy as np

from ..errors import BadInputError, MissingFileError
from ..scoring import mean_softmax

__all__ = ['MODEL_FILE', 'FLOAT_FILE', 'REPORT_FILE', 'margin', 'run_views', 'Int8Runner',
           'check_made_for']

MODEL_FILE, FLOAT_FILE, REPORT_FILE = 'model.int8.onnx', 'model.float32.onnx', 'quantization.json'


def margin(probabilities):
    """How far the top class's probability leads the runner-up's."""
    second, first = np.sort(probabilities)[-2:]
    return first - second


def run_views(session, views):
    """A session's outputs for a video's views, one view at a time (ONNX fixes the
    batch at one)."""
    return np.concatenate([session.run(None, {'data': np.ascontiguousarray(
        views[i:i + 1], np.float32)})[0] for i in range(len(views))])


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
