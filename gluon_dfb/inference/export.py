"""Export a trained network for deployment: an MXNet symbol/params pair (MXNet Model
Server, ``SymbolBlock``) and an ONNX file, both computing z_comb for one fixed input
shape; in the ONNX file every BatchNorm is folded into the convolution before it.

    python -m gluon_dfb.export --model NAME --num-classes 8 --params FILE \
        --input-shape 1,3,32,224,224 --out DIR
"""
import os
from dataclasses import dataclass
from unittest import mock

import mxnet as mx
import numpy as np

from .. import arguments as rules
from ..engine.config import ModelConfig, check_fields, config_from, parser_of, required
from ..errors import BadInputError, run_command
from ..outputs import written_together
from .fold_batch_norm import fold_batch_norm

__all__ = ['ExportConfig', 'export_symbol', 'export_onnx', 'export', 'main']

ONNX_OPSET = 13  # the operator set MXNet 1.9.1's exporter translates to


def export_symbol(net, input_shape, prefix):
    """Write ``prefix-symbol.json`` / ``prefix-0000.params`` computing z_comb for inputs
    of ``input_shape``; the local branch's shape-following resize is fixed to that
    shape (same numbers), since ONNX cannot resize "like" another tensor.

    The graph is traced symbolically (shapes inferred, nothing computed), so exporting
    for large inputs costs no forward pass; ``net`` is left as it was.

    Returns
    -------
    (str, str)
        The symbol and parameter files.
    """
    data = mx.sym.var('data', dtype='float32')
    branch = net.local_branch
    if branch is not None:
        f4 = net.stage4(mx.sym, data)
        branch.fixed_shapes = tuple(s.infer_shape(data=tuple(input_shape))[1][0]
                                    for s in (net.stage5(f4), f4))
    try:
        z_comb = net.all_outputs(data)[0]
    finally:
        if branch is not None:
            branch.fixed_shapes = None
    symbol_file, params_file = prefix + '-symbol.json', prefix + '-0000.params'
    z_comb.save(symbol_file)
    arguments, states = set(z_comb.list_arguments()), set(z_comb.list_auxiliary_states())
    mx.nd.waitall()  # see engine.checkpoint.save_params: MXNet's layout check races
    mx.nd.save(params_file, {
        ('arg:' if name in arguments else 'aux:') + name: param.data()
        for name, param in net.collect_params().items() if name in arguments | states})
    return symbol_file, params_file


def export_onnx(symbol_file, params_file, input_shape, onnx_file, fold=True):
    """Convert an exported symbol to ONNX (opset 13) with MXNet 1.9.1's exporter, for
    inference: with ``fold``, every BatchNorm that follows a convolution is folded into
    it (:func:`~gluon_dfb.inference.fold_batch_norm.fold_batch_norm`).

    That exporter translates to opset-13 operators but labels and checks the model
    with the newest opset of the installed ``onnx`` (21 for onnx 1.16), which then
    rejects it; the opset is pinned to 13 around the conversion and in the file, and
    the parameters are kept out of the graph inputs so onnxruntime can fold them, and
    every node is named (by its output if the exporter left it unnamed), so that tools
    such as the quantizer can address it.
    """
    import onnx
    params = {k.split(':', 1)[-1]: v for k, v in mx.nd.load(params_file).items()}
    context = onnx.checker.DEFAULT_CONTEXT
    saved = context.opset_imports
    context.opset_imports = {'': ONNX_OPSET}
    try:
        with mock.patch('onnx.defs.onnx_opset_version', return_value=ONNX_OPSET):
            mx.onnx.export_model(mx.sym.load(symbol_file), params, [tuple(input_shape)],
                                 [np.float32], onnx_file)
    finally:
        context.opset_imports = saved
    model = onnx.load(onnx_file)
    model.opset_import[0].version = ONNX_OPSET
    weights = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in weights]
    del model.graph.input[:]
    model.graph.input.extend(inputs)
    for node in model.graph.node:  # the exporter leaves convolutions unnamed
        node.name = node.name or node.output[0]
    if fold:
        fold_batch_norm(model)
    onnx.checker.check_model(model)
    onnx.save(model, onnx_file)
    return onnx_file


@dataclass(kw_only=True)
class ExportConfig(ModelConfig):
    """An export: the options of ``gluon-dfb export``."""

    params: str = required(help='trained .params file')
    input_shape: tuple = required(rules.input_shape,
                                  help='e.g. 1,3,32,224,224 (I3D) or 20,3,224,224 (TSN frames)')
    out: str = required(rules.output_folder, help='output folder')

    def __post_init__(self):
        super().__post_init__()
        check_fields(self)
        rank, shape = {'tsn': 4, 'i3d': 5}[self.arch], tuple(self.input_shape)
        if len(shape) != rank or shape[1] != 3 or min(shape[-2:]) < rules.MIN_INPUT_SIZE:
            raise BadInputError(
                'argument --input-shape: %s models take %s, with 3 colour channels and frames '
                'of at least %d pixels, not %s' % (
                    self.arch.upper(), 'views,3,H,W' if rank == 4 else 'clips,3,T,H,W',
                    rules.MIN_INPUT_SIZE, ','.join(map(str, shape))))


def export(config):
    """Write ``config.model``'s symbol, parameters and ONNX file into ``config.out``, all
    three or none; returns their paths."""
    net = config.build(pretrained=config.params, num_segments=1)
    prefix = os.path.join(config.out, config.model)
    files = [prefix + '-symbol.json', prefix + '-0000.params', prefix + '.onnx']
    with written_together(files) as partial:
        export_onnx(*export_symbol(net, config.input_shape, partial[2][:-len('.onnx')]),
                    config.input_shape, partial[2])
    return files


def main(argv=None):
    config = config_from(parser_of(ExportConfig, __doc__.split('\n\n')[0]), ExportConfig, argv)
    print('wrote %s, %s and %s (input %s, output z_comb)' % (
        *export(config), 'x'.join(map(str, config.input_shape))))

if __name__ == '__main__':
    run_command(main)
