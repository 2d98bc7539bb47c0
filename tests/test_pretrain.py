"""Proxy pretraining of the trunk: images whose factors are drawn independently, a file
that is a GluonCV resnet18_v1b the zoo loads as a pretrained base, per-factor accuracy on
held-out images no training step drew, and the weight store making it once, checking it
after, and giving it to ``pretrained_base='proxy'``."""
import json
import logging

import mxnet as mx
import numpy as np
import pytest
from gluoncv.model_zoo import resnetv1b

import gluon_dfb.engine.pretrain as pretrain
from gluon_dfb import get_model
from gluon_dfb.data.proxy_images import (COLOURS, FACTORS, draw_factors, factor_sizes,
                                         render_proxy_images)
from gluon_dfb.zoo.proxy import proxy_trunk_path
from gluon_dfb.zoo.weights import WeightStoreError, sha1_of

TINY = dict(steps=3, batch_size=8, input_size=32, heldout=64, warmup_steps=1)
OUTPUTS = sum(factor_sizes().values())


def test_factors_are_drawn_independently():
    factors = draw_factors(np.random.RandomState(0), 40000)
    sizes = list(factor_sizes().values())
    for k, n in enumerate(sizes):  # uniform marginals
        np.testing.assert_allclose(np.bincount(factors[:, k], minlength=n) / len(factors),
                                   1 / n, atol=0.01)
    joint = np.zeros(sizes[:2])  # shape x orientation: the product of the marginals
    np.add.at(joint, (factors[:, 0], factors[:, 1]), 1)
    np.testing.assert_allclose(joint / len(factors), 1 / (sizes[0] * sizes[1]), atol=0.006)


def test_proxy_images_are_deterministic_and_show_their_object():
    factors = draw_factors(np.random.RandomState(1), 64)
    factors[:, FACTORS.index('texture')] = 0  # flat: the object is its colour
    images = render_proxy_images(factors, np.random.RandomState(0), size=48, clutter=0)
    again = render_proxy_images(factors, np.random.RandomState(0), size=48, clutter=0)
    assert images.shape == (64, 48, 48, 3) and images.dtype == np.uint8
    assert np.array_equal(images, again)
    assert len({im.tobytes() for im in images}) == len(factors)
    for image, colour in zip(images, factors[:, FACTORS.index('colour')]):
        near = np.abs(image.astype(int) - COLOURS[colour]).max(axis=2) <= 21  # jitter 20
        assert near.sum() >= 0.02 * 48 * 48  # the main object: a radius of 8 px or more


def test_held_out_accuracy_is_per_factor_on_images_no_step_drew(tmp_path):
    out = str(tmp_path / 'trunk.params')
    info = pretrain.pretrain_trunk(out, **TINY)
    recipe = dict(pretrain.PRETRAIN_DEFAULTS, **TINY)
    images, factors = pretrain.heldout_images(recipe)
    drawn = {im.tobytes() for step_images, _ in pretrain._batches(recipe, 0)
             for im in step_images}
    assert len(drawn) == TINY['steps'] * TINY['batch_size']
    assert not drawn & {im.tobytes() for im in images}
    net = resnetv1b.resnet18_v1b(pretrained=False, classes=OUTPUTS)
    net.load_parameters(out)
    scores = net(mx.nd.array(images)).asnumpy()
    start = 0
    for k, (factor, n) in enumerate(factor_sizes().items()):  # the output's slices
        right = scores[:, start:start + n].argmax(axis=1) == factors[:, k]
        assert info['heldout'][factor] == pytest.approx(right.mean(), abs=1e-9)
        start += n


def test_tiny_pretraining_is_a_pretrained_base(tmp_path):
    out = str(tmp_path / 'trunk.params')
    info = pretrain.pretrain_trunk(out, **TINY)
    saved = json.load(open(str(tmp_path / 'trunk.json')))
    assert saved['sha1'] == sha1_of(out) == info['sha1']
    assert saved['recipe']['steps'] == 3 and set(saved['heldout']) == set(FACTORS) | {'all'}
    gluoncv_net = resnetv1b.resnet18_v1b(pretrained=False, classes=OUTPUTS)
    gluoncv_net.load_parameters(out)  # GluonCV's own layout, every parameter

    net = get_model('tsn_resnet18_dfb_custom', nclass=4, num_segments=1, pretrained_base=out)
    net(mx.nd.zeros((1, 3, 32, 32)))  # the local branch's shapes are deferred
    report = net.load_report
    trunk = [n for n in report.loaded if n.startswith(('conv1', 'bn1', 'layer'))]
    assert len(trunk) == len(report.loaded) and any(n.startswith('layer4.') for n in trunk)
    assert any(n.startswith('local_branch.') for n in report.fresh)
    assert any(n.startswith('filter_bank.') for n in report.fresh)
    assert report.unused == ['fc.bias', 'fc.weight']  # the proxy classifier
    np.testing.assert_array_equal(net.layer3[1].conv2.weight.data().asnumpy(),
                                  gluoncv_net.layer3[1].conv2.weight.data().asnumpy())
    assert not np.array_equal(net.local_branch.stage[0].conv1.weight.data().asnumpy(),
                              gluoncv_net.layer4[0].conv1.weight.data().asnumpy())

    i3d = get_model('i3d_resnet18_dfb_custom', nclass=4, pretrained_base=out)
    kernel = i3d.res_layers[1][0].conv1.weight.data().asnumpy()  # inflated 3x3x3
    np.testing.assert_allclose(kernel.sum(axis=2),
                               gluoncv_net.layer2[0].conv1.weight.data().asnumpy(), atol=1e-6)
    assert i3d(mx.nd.zeros((1, 3, 4, 32, 32))).shape == (1, 4)


def test_store_makes_the_trunk_once_and_remakes_a_corrupt_one(tmp_path, monkeypatch, caplog):
    made = []
    original = pretrain.pretrain_trunk

    def counting(out, **recipe):
        made.append(out)
        return original(out, **recipe)
    monkeypatch.setattr(pretrain, 'pretrain_trunk', counting)
    root = str(tmp_path / 'store')
    path, info = pretrain.stored_trunk(root, **TINY)
    again, info_again = pretrain.stored_trunk(root, **TINY)
    assert made == [path] and again == path and info_again['sha1'] == info['sha1']
    other, _ = pretrain.stored_trunk(root, **dict(TINY, seed=1))
    assert other != path and len(made) == 2  # keyed by its recipe

    with open(path, 'ab') as f:
        f.write(b'corrupt')
    with caplog.at_level(logging.WARNING, logger='gluon_dfb.engine.pretrain'):
        remade, remade_info = pretrain.stored_trunk(root, **TINY)
    assert remade == path and len(made) == 3
    assert any('sha1' in r.getMessage() and 'again' in r.getMessage() for r in caplog.records)
    assert sha1_of(path) == remade_info['sha1']


def test_pretrained_base_proxy_is_the_stored_trunk(tmp_path, monkeypatch):
    monkeypatch.setenv('GLUON_DFB_MODEL_ROOT', str(tmp_path))
    with pytest.raises(WeightStoreError, match=r'stand-in trunk for ResNet-18 is not in the '
                                               r'weight store .*gluon-dfb pretrain --depth 18'):
        get_model('tsn_resnet18_dfb_custom', nclass=3, pretrained_base='proxy')
    path = proxy_trunk_path(depth=18)  # the default recipe's place, made here by a tiny one
    pretrain.pretrain_trunk(path, **TINY)
    net = get_model('tsn_resnet18_dfb_custom', nclass=3, pretrained_base='proxy')
    trunk = resnetv1b.resnet18_v1b(pretrained=False, classes=OUTPUTS)
    trunk.load_parameters(path)
    np.testing.assert_array_equal(net.layer2[0].conv1.weight.data().asnumpy(),
                                  trunk.layer2[0].conv1.weight.data().asnumpy())
    with open(path, 'ab') as f:
        f.write(b'corrupt')
    with pytest.raises(WeightStoreError, match='fails its sha1 check'):
        get_model('tsn_resnet18_dfb_custom', nclass=3, pretrained_base='proxy')
