"""The head's blocks against a direct numpy re-computation."""
import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd

from gluon_dfb.nn import AverageConsensus, DFBLoss, DiscriminativeFilterBank, LocalBranch
from gluon_dfb.nn.batch_norm import BatchNorm3D

from conftest import randomize


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


def resize_align_corners(x, height, width):
    """Bilinear resize of the last two axes of ``x`` with MXNet's ``BilinearResize2D``
    convention (``align_corners=True``, its default): output index ``j`` samples input
    coordinate ``j * (n_in - 1) / (n_out - 1)``, so the corners map onto the corners."""
    def along(x, axis, size):
        n = x.shape[axis]
        coords = np.arange(size) * ((n - 1) / (size - 1) if size > 1 else 0.0)
        low = np.floor(coords).astype(int)
        high = np.minimum(low + 1, n - 1)
        weight = (coords - low).reshape((-1,) + (1,) * (x.ndim - 1 - axis % x.ndim))
        return np.take(x, low, axis=axis) * (1 - weight) + np.take(x, high, axis=axis) * weight
    return along(along(x, -2, height), -1, width)


def test_resize_oracle_follows_mxnet_corners():
    x = np.array([[0.0, 1.0]])
    np.testing.assert_allclose(resize_align_corners(x, 1, 5), [[0, 0.25, 0.5, 0.75, 1]])


@pytest.mark.parametrize('f4_shape', [(2, 6, 9, 11), (2, 6, 3, 7, 10)])
def test_local_branch_matches_numpy(f4_shape, rng):
    ndim = len(f4_shape) - 2
    conv = mx.gluon.nn.Conv2D if ndim == 2 else mx.gluon.nn.Conv3D
    stage = conv(10, kernel_size=1, strides=(1,) * (ndim - 2) + (2, 2), in_channels=6)
    branch = LocalBranch(stage, 6, 10, ndim=ndim)
    branch.initialize()
    randomize(branch)
    f4 = rng.normal(size=f4_shape).astype('float32')
    out = branch(mx.nd.array(f4)).asnumpy()  # inference: BatchNorm uses its running statistics

    def value(param, shape):
        return param.data().asnumpy().reshape(shape)
    channel = (10,) + (1,) * ndim  # broadcasts over (B, C, [T,] H, W)
    f5 = (np.einsum('oc,bc...->bo...', value(stage.weight, (10, 6)), f4[..., ::2, ::2])
          + value(stage.bias, channel))
    bn = branch.skip_bn
    skip = np.einsum('oc,bc...->bo...', value(branch.skip_conv.weight, (10, 6)), f4)
    skip = ((skip - value(bn.running_mean, channel))
            / np.sqrt(value(bn.running_var, channel) + bn._kwargs['eps'])
            * value(bn.gamma, channel) + value(bn.beta, channel))
    expected = np.maximum(resize_align_corners(f5, *f4_shape[-2:]) + skip, 0)
    assert out.shape == (2, 10) + f4_shape[2:] and (expected == 0).any()  # the ReLU acts
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
