"""Running a network's z_comb with onnxruntime, the faster engine on CPU
(``benchmarks/inference_speed.py``)."""
import os
import tempfile

import mxnet as mx

from .export import export_onnx, export_symbol

__all__ = ['ENGINES', 'default_engine', 'OnnxRunner']

ENGINES = ('onnxruntime', 'mxnet')


def default_engine():
    """``'onnxruntime'`` when ``onnx`` and ``onnxruntime`` are installed, else ``'mxnet'``."""
    try:
        import onnx  # noqa: F401  (the exporter needs it)
        import onnxruntime  # noqa: F401
    except ImportError:
        return 'mxnet'
    return 'onnxruntime'


class OnnxRunner(object):
    """Called like the network in inference mode (NDArray in, z_comb out), but runs an
    ONNX export of it in onnxruntime.

    ONNX fixes the input shape (the local branch resizes to constant sizes), and the
    fully convolutional test protocols give each video size its own view shape, so one
    model is exported and loaded per input shape, on first use, and kept.

    Parameters
    ----------
    net : Recognizer
        The network with its trained parameters; it is not modified.
    fold : bool, default True
        Fold every BatchNorm into the convolution before it in the exported graph
        (``False``: the graph as MXNet exports it, kept for comparisons).
    """

    def __init__(self, net, fold=True):
        import onnxruntime
        self._onnxruntime = onnxruntime
        self.net, self.fold = net, fold
        self.sessions = {}

    def session(self, shape):
        """The onnxruntime session for inputs of ``shape`` (exported on first use)."""
        if shape not in self.sessions:
            with tempfile.TemporaryDirectory(prefix='gluon_dfb_onnx_') as folder:
                prefix = os.path.join(folder, 'model')
                symbol_file, params_file = export_symbol(self.net, shape, prefix)
                onnx_file = export_onnx(symbol_file, params_file, shape, prefix + '.onnx',
                                        self.fold)
                self.sessions[shape] = self._onnxruntime.InferenceSession(
                    onnx_file, providers=['CPUExecutionProvider'])
        return self.sessions[shape]

    def __call__(self, x):
        session = self.session(tuple(x.shape))
        logits = session.run(None, {session.get_inputs()[0].name: x.asnumpy()})[0]
        return mx.nd.array(logits)
