"""Folding every BatchNorm that follows a convolution into that convolution's weights
and bias, in an exported ONNX graph (inference only: the running statistics become
constants).

MXNet's exporter writes :class:`~gluon_dfb.nn.batch_norm.BatchNorm3D` as
``Reshape(y, (0, 0, -1, 0))`` -> ``BatchNormalization`` -> ``Reshape(., Shape(y))``
after the ``Conv`` that computes ``y``; onnxruntime cannot fold a BatchNorm across the
view, so the I3D graph ran every BatchNorm on its own, and a quantized graph
dequantized around each of them. Folding rewrites ``BN(view(conv(x)))`` as
``view(conv'(x))`` with ``W' = W s``, ``b' = (b - mean) s + beta``, ``s = gamma /
sqrt(var + eps)`` per output channel (a BatchNorm is per channel, and a view that keeps
the batch and channel axes keeps every element in its channel), and then drops the view
and its inverse, which meet with nothing between them.
"""
from collections import Counter

import numpy as np
from onnx import numpy_helper

__all__ = ['fold_batch_norm']


def fold_batch_norm(model):
    """Fold, in place, every ``BatchNormalization`` whose input is a ``Conv`` output
    (directly or through channel-keeping ``Reshape`` views) that nothing else reads.

    Parameters
    ----------
    model : onnx.ModelProto
        An exported inference graph whose convolution weights, biases and BatchNorm
        parameters are initializers.

    Returns
    -------
    dict
        ``folded`` (BatchNorms folded), and the ``BatchNormalization`` and ``Reshape``
        node counts ``before`` and ``after``, e.g. ``{'folded': 26, 'before':
        {'BatchNormalization': 26, 'Reshape': 58}, 'after': {...}}``.
    """
    graph = model.graph
    before = _counts(graph)
    folded = 0
    for bn in [n for n in graph.node if n.op_type == 'BatchNormalization']:
        conv = _conv_under(graph, bn)
        if conv is not None:
            _fold_into(graph, conv, bn)
            _bypass(graph, bn, bn.input[0])
            folded += 1
    for reshape in [n for n in graph.node if n.op_type == 'Reshape']:
        source = _undone_view(graph, reshape)
        if source is not None:
            _bypass(graph, reshape, source)
    _remove_unused(graph)
    return {'folded': folded, 'before': before, 'after': _counts(graph)}


def _counts(graph):
    counts = Counter(n.op_type for n in graph.node)
    return {op: counts[op] for op in ('BatchNormalization', 'Reshape')}


def _producer(graph, name):
    return next((n for n in graph.node if name in n.output), None)


def _readers(graph, name):
    return [n for n in graph.node if name in n.input]


def _is_output(graph, name):
    return any(o.name == name for o in graph.output)


def _initializer(graph, name):
    return next((t for t in graph.initializer if t.name == name), None)


def _keeps_channels(graph, reshape):
    """A ``Reshape`` to a constant shape that copies the batch and channel axes."""
    target = _initializer(graph, reshape.input[1])
    allowzero = any(a.name == 'allowzero' and a.i for a in reshape.attribute)
    return (target is not None and not allowzero
            and list(numpy_helper.to_array(target)[:2]) == [0, 0])


def _conv_under(graph, bn):
    """The ``Conv`` whose output reaches ``bn`` only through channel-keeping views, no
    tensor on the way read by anything else than the next step (or a ``Shape``: folding
    keeps shapes) nor a graph output, with constant weights and bias; else None."""
    reader, name = bn, bn.input[0]
    while True:
        if _is_output(graph, name) or any(r is not reader and r.op_type != 'Shape'
                                          for r in _readers(graph, name)):
            return None
        node = _producer(graph, name)
        if node is None or node.op_type != 'Reshape' or not _keeps_channels(graph, node):
            break
        reader, name = node, node.input[0]
    if node is None or node.op_type != 'Conv' or len(bn.output) != 1:
        return None
    constant = all(_initializer(graph, i) is not None and len(_readers(graph, i)) == 1
                   for i in list(node.input[1:]) + list(bn.input[1:]))
    return node if constant else None


def _fold_into(graph, conv, bn):
    """Scale ``conv``'s weight and set its bias so that it computes ``bn(conv(x))``."""
    gamma, beta, mean, var = (numpy_helper.to_array(_initializer(graph, i)).astype(np.float64)
                              for i in bn.input[1:5])
    eps = next((a.f for a in bn.attribute if a.name == 'epsilon'), 1e-5)
    scale = gamma / np.sqrt(var + eps)
    weight = _initializer(graph, conv.input[1])
    w = numpy_helper.to_array(weight)
    weight.CopyFrom(numpy_helper.from_array(
        (w * scale.reshape((-1,) + (1,) * (w.ndim - 1))).astype(w.dtype), weight.name))
    if len(conv.input) > 2:
        bias = _initializer(graph, conv.input[2])
        b = numpy_helper.to_array(bias).astype(np.float64)
    else:
        bias = graph.initializer.add()
        conv.input.append(conv.output[0] + '_folded_bias')
        b = np.zeros_like(scale)
    bias.CopyFrom(numpy_helper.from_array(((b - mean) * scale + beta).astype(w.dtype),
                                          conv.input[2]))


def _undone_view(graph, reshape):
    """``x`` if ``reshape`` is ``Reshape(Reshape(x, .), Shape(x))`` (the view back to
    ``x``'s own shape, of ``x``'s data in the same order), else None."""
    view, shape = _producer(graph, reshape.input[0]), _producer(graph, reshape.input[1])
    if (not _is_output(graph, reshape.output[0])
            and view is not None and view.op_type == 'Reshape' and shape is not None
            and shape.op_type == 'Shape' and not shape.attribute
            and shape.input[0] == view.input[0]):
        return view.input[0]
    return None


def _bypass(graph, node, source):
    """Remove ``node`` (whose output is no graph output); its readers read ``source``."""
    out = node.output[0]
    for reader in _readers(graph, out):
        reader.input[:] = [source if i == out else i for i in reader.input]
    graph.node.remove(node)


def _remove_unused(graph):
    """Drop the nodes (repeatedly) and initializers whose outputs nothing reads."""
    while True:
        read = {i for n in graph.node for i in n.input} | {o.name for o in graph.output}
        unused = [n for n in graph.node if not any(o in read for o in n.output)]
        if not unused:
            break
        for node in unused:
            graph.node.remove(node)
    for tensor in [t for t in graph.initializer if t.name not in read]:
        graph.initializer.remove(tensor)
