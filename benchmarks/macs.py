"""Multiply-add counts of a hybridized Gluon network, read off its symbol graph."""
import json

import numpy as np


def count_macs(net, input_shape):
    """Multiply-adds of the convolutions and dense layers of ``net`` for one input.

    Parameters
    ----------
    net : HybridBlock
        A hybridized network that has run once (so it has a cached graph).
    input_shape : tuple
        Shape of its single input, named ``data``.

    Returns
    -------
    dict
        Layer name to multiply-adds, in graph order.
    """
    sym = net._cached_graph[1]
    internals = sym.get_internals()
    arg_shapes, out_shapes, aux_shapes = internals.infer_shape(data=input_shape)
    shapes = dict(zip(internals.list_outputs(), out_shapes))
    shapes.update(zip(internals.list_arguments(), arg_shapes))
    nodes = json.loads(sym.tojson())['nodes']
    macs = {}
    for node in nodes:
        if node['op'] not in ('Convolution', 'FullyConnected'):
            continue
        out = shapes[node['name'] + '_output']
        weight = shapes[nodes[node['inputs'][1][0]]['name']]
        # each output element takes one multiply-add per weight of its filter (or row)
        macs[node['name']] = int(np.prod(out)) * int(np.prod(weight[1:]))
    return macs
