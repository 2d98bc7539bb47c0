"""Proxy pretraining of the trunk: its file is a GluonCV resnet18_v1b that the zoo loads
as a pretrained base, and the weight store makes it once and checks it after."""
import json
import logging

import mxnet as mx
import numpy as np
from gluoncv.model_zoo import resnetv1b

import gluon_dfb.engine.pretrain as pretrain
from gluon_dfb import get_model
from gluon_dfb.data.proxy_images import num_proxy_classes, render_proxy_images
from gluon_dfb.zoo.weights import sha1_of

TINY = dict(steps=3, batch_size=8, input_size=32, heldout=64, warmup_steps=1)


def test_proxy_images_are_deterministic_and_show_their_object():
    labels = np.arange(num_proxy_classes())
    images = render_proxy_images(labels, np.random.RandomState(0), size=32, distractors=0)
    again = render_proxy_images(labels, np.random.RandomState(0), size=32, distractors=0)
    assert images.shape == (num_proxy_classes(), 32, 32, 3) and images.dtype == np.uint8
    assert np.array_equal(images, again)
    assert len({im.tobytes() for im in images}) == len(labels)


def test_tiny_pretraining_is_a_pretrained_base(tmp_path):
    out = str(tmp_path / 'trunk.params')
    info = pretrain.pretrain_trunk(out, **TINY)
    saved = json.load(open(str(tmp_path / 'trunk.json')))
    assert saved['sha1'] == sha1_of(out) == info['sha1']
    assert saved['recipe']['steps'] == 3 and 0 <= saved['heldout']['top1'] <= 1
    gluoncv_net = resnetv1b.resnet18_v1b(pretrained=False, classes=num_proxy_classes())
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
