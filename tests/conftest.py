"""Shared helpers of the tests."""
import mxnet as mx
import numpy as np
import pytest


def randomize(net, seed=0):
    """Give every parameter of an initialised network random values (BatchNorm
    statistics included, variances positive) so that oracle comparisons are not
    helped by identity-like defaults."""
    rng = np.random.RandomState(seed)
    for name, param in sorted(net.collect_params().items()):
        shape = param.shape
        if name.endswith('running_var'):
            value = rng.uniform(1.0, 2.0, shape)
        elif name.endswith('gamma'):
            value = rng.uniform(0.5, 1.0, shape)
        elif name.endswith(('running_mean', 'beta', 'bias')):
            value = rng.uniform(-0.1, 0.1, shape)
        else:
            fan_in = max(1, int(np.prod(shape[1:])))
            value = rng.normal(0, np.sqrt(1.0 / fan_in), shape)
        param.set_data(mx.nd.array(value, dtype=param.dtype))


@pytest.fixture
def rng():
    return np.random.RandomState(0)
