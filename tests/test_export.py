"""Exported symbol and ONNX files compute the network's z_comb (onnxruntime as oracle)."""
import subprocess
import sys

import mxnet as mx
import numpy as np
import onnxruntime
import pytest
from mxnet import gluon

from gluon_dfb import get_model


@pytest.mark.parametrize('name,shape', [('tsn_resnet18_dfb_custom', (2, 3, 64, 96)),
                                        ('i3d_resnet18_dfb_custom', (1, 3, 8, 67, 45))])
@pytest.mark.slow
@pytest.mark.onnx
def test_symbol_and_onnx_equal_mxnet(name, shape, tmp_path, rng):
    net = get_model(name, nclass=5, num_segments=1)
    net(mx.nd.zeros(shape))
    params = str(tmp_path / 'trained.params')
    net.save_parameters(params)
    x = rng.normal(size=shape).astype('float32')
    expected = net(mx.nd.array(x)).asnumpy()  # the shape-following ("like") resize

    out = tmp_path / 'export'
    printed = subprocess.run([sys.executable, '-m', 'gluon_dfb.export', '--model', name,
                              '--num-classes', '5', '--params', params, '--input-shape',
                              ','.join(map(str, shape)), '--out', str(out)],
                             check=True, capture_output=True, text=True).stdout
    assert 'output z_comb' in printed
    block = gluon.SymbolBlock.imports(str(out / (name + '-symbol.json')), ['data'],
                                      str(out / (name + '-0000.params')))
    np.testing.assert_allclose(block(mx.nd.array(x)).asnumpy(), expected, atol=1e-4, rtol=0)

    session = onnxruntime.InferenceSession(str(out / (name + '.onnx')),
                                           providers=['CPUExecutionProvider'])
    got = session.run(None, {session.get_inputs()[0].name: x})
    assert len(got) == 1
    np.testing.assert_allclose(got[0], expected, atol=1e-4, rtol=0)
    assert np.abs(expected).max() > 1e-3


@pytest.mark.slow
@pytest.mark.onnx
def test_onnx_runner_exports_once_per_shape_and_leaves_the_network_alone(rng):
    from gluon_dfb.inference.onnx_runner import OnnxRunner
    net = get_model('i3d_resnet18_dfb_custom', nclass=4, num_segments=1)
    net.hybridize(static_alloc=True)
    runner = OnnxRunner(net)
    for shape in [(2, 3, 8, 64, 80), (1, 3, 8, 48, 72), (2, 3, 8, 64, 80)]:
        x = mx.nd.array(rng.normal(size=shape))
        np.testing.assert_allclose(runner(x).asnumpy(), net(x).asnumpy(), atol=1e-4, rtol=0)
    assert sorted(runner.sessions) == [(1, 3, 8, 48, 72), (2, 3, 8, 64, 80)]
    assert net.local_branch.fixed_shapes is None
