"""The multi-branch loss honours Gluon's loss arguments."""
import mxnet as mx
import numpy as np

from gluon_dfb.nn import DFBLoss


def test_weight_scales_every_term_and_the_total(rng):
    outputs = [mx.nd.array(rng.normal(size=(3, 5))) for _ in range(4)]
    label = mx.nd.array([0, 2, 4])
    total, terms = DFBLoss()(outputs, label)
    weighted_total, weighted_terms = DFBLoss(weight=0.25)(outputs, label)
    np.testing.assert_allclose(weighted_total.asnumpy(), 0.25 * total.asnumpy(), rtol=1e-6)
    for weighted, term in zip(weighted_terms, terms):
        np.testing.assert_allclose(weighted.asnumpy(), 0.25 * term.asnumpy(), rtol=1e-6)
