"""The head's blocks against a direct numpy re-computation."""
import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd

from gluon_dfb.nn import AverageConsensus, DFBLoss, DiscriminativeFilterBank, LocalBranch
from gluon_dfb.nn.batch_norm import BatchNorm3D


def softmax_ce(z, y):
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(y)), y]


@pytest.mark.parametrize('shape', [(2, 8, 5, 7), (2, 8, 3, 5, 7)])
def test_filter_bank_matches_numpy(shape, rng):
    nclass, nfilt = 4, 3
    block = DiscriminativeFilterBank(shape[1], nclass, nfilt, ndim=len(shape) - 2)
    block.initialize(mx.init.Normal(1.0))
    x = rng.normal(size=shape).astype('float32')
    z_xchannel, z_max = block(mx.nd.array(x))

    w = block.filters.weight.data().asnumpy().reshape(nclass * nfilt, shape[1])
    volume = np.einsum('oc,bc...->bo...', w, x)
    maxima = volume.reshape(shape[0], nclass * nfilt, -1).max(axis=2)
    expected_x = np.stack([maxima[:, c * nfilt:(c + 1) * nfilt].mean(axis=1)
                           for c in range(nclass)], axis=1)
    dense_w = block.dense.weight.data().asnumpy()
    dense_b = block.dense.bias.data().asnumpy()
    np.testing.assert_allclose(z_xchannel.asnumpy(), expected_x, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(z_max.asnumpy(), maxima @ dense_w.T + dense_b,
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(block.response(mx.nd.array(x)).asnumpy(), volume,
                               rtol=1e-5, atol=1e-5)


def test_four_term_loss_matches_numpy(rng):
    outputs = [rng.normal(size=(5, 6)).astype('float32') for _ in range(4)]
    label = rng.randint(0, 6, size=5)
    total, terms = DFBLoss()([mx.nd.array(o) for o in outputs], mx.nd.array(label))
    expected = [softmax_ce(o, label) for o in outputs]
    for term, exp in zip(terms, expected):
        np.testing.assert_allclose(term.asnumpy(), exp, rtol=1e-5)
    np.testing.assert_allclose(total.asnumpy(), sum(expected), rtol=1e-5)


def test_consensus_averages_consecutive_segments(rng):
    x = rng.normal(size=(6, 4)).astype('float32')
    out = AverageConsensus(3)(mx.nd.array(x)).asnumpy()
    np.testing.assert_allclose(out, x.reshape(2, 3, 4).mean(axis=1), rtol=1e-6)


def test_batchnorm3d_equals_batchnorm_on_5d(rng):
    x = mx.nd.array(rng.normal(2, 3, size=(2, 4, 3, 5, 6)))
    ours, reference = BatchNorm3D(in_channels=4), mx.gluon.nn.BatchNorm(in_channels=4)
    for bn in (ours, reference):
        bn.initialize()
    with autograd.record():
        got, expected = ours(x), reference(x)
    np.testing.assert_allclose(got.asnumpy(), expected.asnumpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.running_mean.data().asnumpy(),
                               reference.running_mean.data().asnumpy(), rtol=1e-5)


@pytest.mark.parametrize('f4_shape', [(1, 6, 9, 11), (1, 6, 2, 9, 11)])
def test_local_branch_upsamples_to_exactly_stage4_size(f4_shape, rng):
    ndim = len(f4_shape) - 2
    conv = mx.gluon.nn.Conv2D if ndim == 2 else mx.gluon.nn.Conv3D
    stage = conv(10, kernel_size=1, strides=(1,) * (ndim - 2) + (2, 2), in_channels=6)
    branch = LocalBranch(stage, 6, 10, ndim=ndim)
    branch.initialize()
    f4 = mx.nd.array(rng.normal(size=f4_shape))
    out = branch(f4)
    assert out.shape == (1, 10) + f4_shape[2:]
    assert out.min().asscalar() >= 0  # ReLU at the end

    # bilinear upsampling of a constant map is that constant: only the skip varies
    skip = branch.skip_bn(branch.skip_conv(f4)).asnumpy()
    f5 = stage(f4).asnumpy()
    assert f5.shape[-2:] == (5, 6)
    corner = np.maximum(f5[..., 0, 0] + skip[..., 0, 0], 0)
    np.testing.assert_allclose(out.asnumpy()[..., 0, 0], corner, rtol=1e-5, atol=1e-5)
