"""Float16 training mechanics on CPU: loss scaling, multi-precision SGD, skipped overflow.

MXNet 1.9.1 has no float16 convolution or dense layer on CPU, so the tiny network here is
made of elementwise float16 operations; the engine refuses float16 on CPU for real
networks with a clear message."""
import mxnet as mx
import numpy as np
import pytest
from mxnet import gluon

from gluon_dfb.engine.loss_scaler import DynamicLossScaler
from gluon_dfb.engine.config import parse_training_args
from gluon_dfb.engine.train import build_network, train_step
from gluon_dfb.nn import DFBLoss


class TinyNet(gluon.HybridBlock):
    """Two outputs from a per-feature scale and shift: ``x * w + b`` and ``x * v``."""

    def __init__(self, features):
        super(TinyNet, self).__init__()
        with self.name_scope():
            self.w = self.params.get('w', shape=(features,), init=mx.init.Normal(1.0))
            self.b = self.params.get('b', shape=(features,), init=mx.init.Zero())
            self.v = self.params.get('v', shape=(features,), init=mx.init.Normal(1.0))

    def hybrid_forward(self, F, x, w, b, v):
        return (F.broadcast_add(F.broadcast_mul(x, w), b), F.broadcast_mul(x, v))


def make(dtype, rng_seed=0):
    mx.random.seed(rng_seed)
    net = TinyNet(6)
    net.initialize()
    net.cast(dtype)
    trainer = gluon.Trainer(net.collect_params(), 'sgd',
                            {'learning_rate': 0.5, 'momentum': 0.9,
                             'multi_precision': dtype == 'float16'})
    return net, trainer


def test_float16_step_matches_float32(rng):
    x = rng.normal(size=(4, 6)).astype('float32')
    y = mx.nd.array([0, 3, 5, 1])
    results, initial = {}, {}
    for dtype, scaler in (('float32', None), ('float16', DynamicLossScaler(scale=2.0 ** 10))):
        net, trainer = make(dtype)
        initial[dtype] = {k[-1]: p.data().astype('float32').asnumpy()
                          for k, p in net.collect_params().items()}
        for _ in range(3):
            loss, terms, outputs, stepped = train_step(net, mx.nd.array(x, dtype=dtype), y,
                                                       trainer, DFBLoss(), scaler)
            assert stepped
        results[dtype] = {k[-1]: p.data().astype('float32').asnumpy()
                          for k, p in net.collect_params().items()}
    for name in 'wbv':
        np.testing.assert_allclose(results['float16'][name], results['float32'][name],
                                   rtol=1e-2, atol=1e-2)
        assert not np.allclose(results['float32'][name], initial['float32'][name])  # moved


def test_overflow_is_skipped_and_the_scale_lowered(rng, caplog):
    net, trainer = make('float16')
    before = {k: p.data().asnumpy().copy() for k, p in net.collect_params().items()}
    scaler = DynamicLossScaler(scale=2.0 ** 15)
    x = mx.nd.array(rng.normal(size=(4, 6)) * 1e3, dtype='float16')  # x * scale overflows
    loss, terms, outputs, stepped = train_step(net, x, mx.nd.array([0, 1, 2, 3]), trainer,
                                               DFBLoss(), scaler)
    assert not stepped and scaler.scale == 2.0 ** 14 and scaler.skipped == 1
    assert 'overflowed' in caplog.text
    for k, p in net.collect_params().items():
        np.testing.assert_array_equal(p.data().asnumpy(), before[k])
    scaler.scale = 1.0  # small enough now: the next step goes through
    assert train_step(net, x / 1e3, mx.nd.array([0, 1, 2, 3]), trainer, DFBLoss(), scaler)[3]


def test_scale_grows_after_a_window_of_good_steps():
    scaler = DynamicLossScaler(scale=8.0, window=3)
    for _ in range(3):
        scaler.update(False)
    assert scaler.scale == 16.0


def test_float16_on_cpu_is_refused_with_a_clear_message():
    args = parse_training_args('tsn', ['--model', 'tsn_resnet18_dfb_custom', '--num-classes',
                                       '4', '--train-list', 'unused.txt', '--dtype', 'float16'])
    with pytest.raises(ValueError, match='float16 needs a GPU'):
        build_network(args, mx.cpu())
