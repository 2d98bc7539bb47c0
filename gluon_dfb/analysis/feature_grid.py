"""Where the cells of a feature volume lie in the input, composed from the kernel sizes,
strides and paddings of the network's own layers (with padded kernels a ResNet v1b cell
``i`` is centred on input pixel ``stride * i``, not ``stride * (i + 1/2)``)."""
import ast
import json

import mxnet as mx
import numpy as np

__all__ = ['compose', 'layers_on_path', 'filter_bank_grid']


def compose(layers):
    """The grid of the cells after ``layers``: cell ``i`` of an axis is centred on input
    index ``offset + stride * i``.

    A layer of kernel ``k``, stride ``s``, padding ``p`` and dilation ``d`` centres its
    output ``j`` on its input ``s * j - p + d * (k - 1) / 2``.

    Parameters
    ----------
    layers : list of tuple
        ``(kernel, stride, pad, dilate)`` of each layer, first layer first, each a
        sequence over the same axes.

    Returns
    -------
    offset, stride : numpy.ndarray
        One value per axis.
    """
    offset, stride = np.zeros(len(layers[0][0])), np.ones(len(layers[0][0]))
    for kernel, step, pad, dilate in layers:
        offset += stride * (np.multiply(dilate, np.subtract(kernel, 1)) / 2.0 - pad)
        stride *= step
    return offset, stride


def layers_on_path(symbol, ndim=3):
    """``(kernel, stride, pad, dilate)`` over the last ``ndim`` axes of each convolution
    and pooling between the input and the output of ``symbol``, first layer first.

    The path follows the first input of every node: the data, or, at the sum of a
    residual block, its main branch (its shortcut centres the cells alike). Layers with
    fewer axes (2D layers of a per-frame network) leave the leading axes as they are.
    """
    graph = json.loads(symbol.tojson())
    nodes = graph['nodes']
    node = nodes[graph['heads'][0][0]]
    layers = []
    while node['inputs']:
        if node['op'] in ('Convolution', 'Pooling'):
            layers.append(tuple(_axes(node['attrs'], key, default, ndim) for key, default
                                in (('kernel', 1), ('stride', 1), ('pad', 0), ('dilate', 1))))
        node = nodes[node['inputs'][0][0]]
    return layers[::-1]


def _axes(attrs, key, default, ndim):
    """Attribute ``key`` of a layer over ``ndim`` axes; axes it lacks (all if it is not
    set) take ``default``."""
    value = ast.literal_eval(attrs[key]) if key in attrs else ()
    return (default,) * (ndim - len(value)) + tuple(value)


def filter_bank_grid(net):
    """The grid over (time, height, width) of the volume that the filter bank of ``net``
    looks at, in input frames and pixels (see :func:`compose`).

    That volume is ``F5g`` for the 'gb_df' head; the local branch's ``S`` is stage 5
    upsampled to ``F4``'s grid plus a skip from ``F4``: it lies on ``F4``'s grid. TSN's
    time axis is its input frames.

    Parameters
    ----------
    net : Recognizer

    Returns
    -------
    offset, stride : numpy.ndarray
        ``(3,)`` each.
    """
    volume = net.stage4(mx.sym, mx.sym.var('data'))
    if net.local_branch is None:
        volume = net.stage5(volume)
    return compose(layers_on_path(volume))
