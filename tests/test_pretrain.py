"""Proxy pretraining of the trunk: images whose factors are drawn independently, faint
objects and the main object's silhouette, a file that is a GluonCV resnet18_v1b the zoo
loads as a pretrained base, per-factor accuracy on held-out images no training step drew,
the weight store making it once, checking it after, and giving it to
``pretrained_base='proxy'``, and the trunk the repository ships: the default recipe's,
taken into an empty store instead of pretraining."""
import json
import logging
import os

import mxnet as mx
import numpy as np
import pytest
from gluoncv.model_zoo import resnetv1b

import gluon_dfb.engine.pretrain as pretrain
from gluon_dfb import get_model
from gluon_dfb.data.proxy_images import (COLOURS, FACTORS, draw_factors, factor_sizes,
                                         render_proxy_images)
from gluon_dfb.zoo import proxy
from gluon_dfb.zoo.catalogue import read_zoo_file
from gluon_dfb.zoo.proxy import PROXY_RECIPE, proxy_trunk_path
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


def _flat_images(faint):
    """Images, silhouettes and factors of flat main objects, no clutter (seeded alike)."""
    factors = draw_factors(np.random.RandomState(2), 64)
    factors[:, FACTORS.index('texture')] = 0
    drawn = [render_proxy_images(factors[i:i + 1], np.random.RandomState(i), size=48,
                                 clutter=0, faint=faint, silhouettes=True)
             for i in range(len(factors))]  # a seed each: faint draws more numbers
    images, masks = (np.concatenate(a) for a in zip(*drawn))
    return images.astype(float), masks, factors


def test_silhouettes_are_the_main_objects_masks_and_not_faint_draws_as_before():
    images, masks, factors = _flat_images(0.0)
    assert np.array_equal(images[5:6], render_proxy_images(
        factors[5:6], np.random.RandomState(5), size=48, clutter=0))
    for image, mask, colour in zip(images, masks, factors[:, FACTORS.index('colour')]):
        assert mask.sum() >= 0.02 * 48 * 48
        inside = image[mask]
        assert np.ptp(inside, axis=0).max() == 0  # one flat tone, the object's colour
        assert np.abs(inside[0] - COLOURS[colour]).max() <= 20


def test_faint_objects_keep_their_place_and_lose_most_of_their_contrast():
    plain, masks, _ = _flat_images(0.0)
    faint, faint_masks, _ = _flat_images(1.0)
    assert np.array_equal(masks, faint_masks)
    ratios = []
    for a, b, mask in zip(plain, faint, masks):
        assert np.array_equal(a[~mask], b[~mask])  # the background is untouched
        around = a[~mask].mean(axis=0)
        ratios.append(np.linalg.norm(b[mask].mean(0) - around)
                      / np.linalg.norm(a[mask].mean(0) - around))
    # tones moved to 15-60% of their contrast to what lies beneath (a textured
    # background: its mean beneath the object is near, not at, its mean around it)
    assert np.median(ratios) < 0.6 and np.mean(np.array(ratios) < 0.75) >= 0.9


def test_silhouette_shares_are_the_mask_per_cell_of_stage_2():
    mask = np.zeros((1, 41, 41), bool)  # 6 x 6 cells of 8 pixels, the last one padded
    mask[0, 8:16, 16:24] = True  # cell (1, 2) whole
    mask[0, 24:28, 0:8] = True  # cell (3, 0) half
    mask[0, 40, 40] = True  # one pixel of the padded cell (5, 5)
    shares = pretrain.silhouette_shares(mask)
    expected = np.zeros((1, 1, 6, 6), np.float32)
    expected[0, 0, 1, 2], expected[0, 0, 3, 0], expected[0, 0, 5, 5] = 1, 0.5, 1 / 64
    np.testing.assert_allclose(shares, expected)
    net = resnetv1b.resnet18_v1b(pretrained=False)
    net.initialize()
    x = mx.nd.zeros((1, 3, 41, 41))
    stage2 = net.layer2(net.layer1(net.maxpool(net.relu(net.bn1(net.conv1(x))))))
    assert stage2.shape[2:] == shares.shape[2:]


def test_pretraining_with_faint_objects_and_silhouettes_writes_a_gluoncv_trunk(tmp_path):
    out = str(tmp_path / 'trunk.params')
    info = pretrain.pretrain_trunk(out, **dict(TINY, faint=0.5, silhouette=0.2))
    assert info['recipe']['faint'] == 0.5 and info['recipe']['silhouette'] == 0.2
    net = resnetv1b.resnet18_v1b(pretrained=False, classes=OUTPUTS)
    net.load_parameters(out)  # every parameter, and no silhouette head
    # at the values trunks had before the options existed, they leave a recipe's key as it
    # was: the trunks of earlier recipes keep their names in users' weight stores
    earlier = dict(steps=2700, optimizer='sgd', last_gamma=False)
    before = proxy_trunk_path('/r', faint=0.0, silhouette=0.0, **earlier)
    assert os.path.basename(before) == 'proxy_resnet18_v1b-94aa2171.params'
    assert os.path.basename(proxy_trunk_path('/r', faint=0.5, silhouette=0.2, **earlier)) == (
        'proxy_resnet18_v1b-c094ae7a.params')
    assert len({proxy_trunk_path('/r', faint=0.0), before, proxy_trunk_path('/r', optimizer='adam'),
                proxy_trunk_path('/r', last_gamma=True), proxy_trunk_path('/r')}) == 5


@pytest.mark.parametrize('depth', [18, 50])
@pytest.mark.parametrize('last_gamma', [True, False])
def test_last_gamma_starts_each_residual_blocks_last_batchnorm_at_zero(tmp_path, depth,
                                                                       last_gamma):
    out = str(tmp_path / 'trunk.params')  # one step at a rate that moves nothing visibly
    if last_gamma:  # asked for by name on the command line
        pretrain.main(['--last-gamma', '--depth', str(depth), '--steps', '1', '--lr', '1e-9',
                       '--batch-size', '8', '--input-size', '32', '--heldout', '64',
                       '--warmup-steps', '1', '--out', out])
    else:  # the default recipe's
        pretrain.pretrain_trunk(out, **dict(TINY, depth=depth, steps=1, lr=1e-9))
    net = getattr(resnetv1b, 'resnet%d_v1b' % depth)(pretrained=False, classes=OUTPUTS)
    net.load_parameters(out)
    blocks = [b for layer in (net.layer1, net.layer2, net.layer3, net.layer4) for b in layer]
    last = 'bn3' if depth == 50 else 'bn2'
    for block in blocks:  # the last BatchNorm of a block: zero or one; every other: one
        np.testing.assert_allclose(getattr(block, last).gamma.data().asnumpy(),
                                   0.0 if last_gamma else 1.0, atol=1e-6)
        np.testing.assert_allclose(block.bn1.gamma.data().asnumpy(), 1.0, atol=1e-6)


class _RecordingTrainer(mx.gluon.Trainer):
    """A Trainer that keeps, for its first step, each trained parameter's weight decay
    multiplier, value and gradient before the step and value after it."""
    made = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.first = None
        _RecordingTrainer.made.append(self)

    def step(self, batch_size, **kwargs):
        trained = [p for p in self._params if p.grad_req != 'null']
        before = [(p.wd_mult, p.data().asnumpy(), p.grad().asnumpy() / batch_size)
                  for p in trained]
        super().step(batch_size, **kwargs)
        if self.first is None:
            self.first = [b + (p.data().asnumpy(),) for b, p in zip(before, trained)]


@pytest.mark.parametrize('optimizer', ['adam', 'sgd'])
def test_the_first_step_is_the_update_of_the_optimizer_the_recipe_names(
        tmp_path, monkeypatch, optimizer):
    monkeypatch.setattr(pretrain.gluon, 'Trainer', _RecordingTrainer)
    _RecordingTrainer.made.clear()
    lr, wd, beta1 = 0.003, 5e-4, 0.8
    pretrain.pretrain_trunk(str(tmp_path / 'trunk.params'), **dict(
        TINY, steps=1, warmup_steps=1, lr=lr, wd=wd, momentum=beta1, optimizer=optimizer,
        silhouette=0.2))
    trainer, = _RecordingTrainer.made
    first_moment = {'adam': 'beta1', 'sgd': 'momentum'}[optimizer]
    assert getattr(trainer._optimizer, first_moment) == beta1  # --momentum
    for wd_mult, weight, grad, after in trainer.first:  # numpy: the first step's update
        g = grad + wd * wd_mult * weight
        if optimizer == 'adam':  # bias-corrected: the moments' first values are g, g ** 2
            move = -lr * np.sqrt(0.001) * g / (np.sqrt(0.001) * np.abs(g) + 1e-8)
        else:  # momentum starts at 0
            move = -lr * g
        np.testing.assert_allclose(after - weight, move, rtol=1e-3, atol=lr * 1e-4)


def test_held_out_accuracy_is_per_factor_on_images_no_step_drew(tmp_path):
    out = str(tmp_path / 'trunk.params')
    info = pretrain.pretrain_trunk(out, **TINY)
    recipe = dict(pretrain.PRETRAIN_DEFAULTS, **TINY)
    images, factors = pretrain.heldout_images(recipe)
    drawn = {im.tobytes() for step_images, _, _ in pretrain._batches(recipe, 0)
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
    monkeypatch.setattr(proxy, 'SHIPPED', str(tmp_path / 'nothing shipped'))
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


def test_a_faint_share_that_is_no_probability_is_refused_by_name(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        pretrain.main(['--faint', '1.5', '--out', str(tmp_path / 'trunk.params')])
    assert stop.value.code == 2
    assert "--faint: 1.5 is not a probability in [0, 1]" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def _factor_accuracy(params, recipe):
    """Held-out accuracy per factor of the trunk file ``params``, computed here."""
    net = resnetv1b.resnet18_v1b(pretrained=False, classes=OUTPUTS)
    net.load_parameters(params)
    images, factors = pretrain.heldout_images(recipe)
    scores = np.concatenate([net(mx.nd.array(images[i:i + 256])).asnumpy()
                             for i in range(0, len(images), 256)])
    bounds = np.cumsum([0] + list(factor_sizes().values()))
    return {f: np.mean(scores[:, bounds[k]:bounds[k + 1]].argmax(axis=1) == factors[:, k])
            for k, f in enumerate(FACTORS)}


def test_the_shipped_trunk_is_the_default_recipes_and_the_committed_ablations():
    shipped = os.path.join(proxy.SHIPPED, os.path.basename(proxy_trunk_path(depth=18)))
    info = proxy.verified_info(shipped)  # its sha1 checked against its json
    assert info is not None, 'the repository ships no trunk of the default recipe'
    assert proxy_trunk_path(**info['recipe']) == proxy_trunk_path(depth=18)
    assert dict(PROXY_RECIPE, **info['recipe']) == PROXY_RECIPE
    committed = json.loads(read_zoo_file('finegrained_ablation.json'))['trunk']
    assert committed['sha1'] == info['sha1']
    found = _factor_accuracy(shipped, PROXY_RECIPE)  # what its json says, on this CPU
    for factor in FACTORS:
        assert found[factor] == pytest.approx(info['heldout'][factor], abs=4 / 1024)
        assert found[factor] >= 0.8


def test_an_empty_store_takes_the_shipped_trunk_instead_of_pretraining(tmp_path, monkeypatch):
    def refused(out, **recipe):
        raise AssertionError('pretrained although the trunk is shipped')
    monkeypatch.setattr(pretrain, 'pretrain_trunk', refused)
    shipped = os.path.join(proxy.SHIPPED, os.path.basename(proxy_trunk_path(depth=18)))
    root = str(tmp_path / 'store')
    path, info = pretrain.stored_trunk(root)
    assert os.path.dirname(path) == root and sha1_of(path) == sha1_of(shipped) == info['sha1']
    assert sorted(os.listdir(root)) == [os.path.basename(path)[:-7] + '.json',
                                        os.path.basename(path)]  # no partial file left
    with open(path, 'r+b') as f:  # a store copy that fails its sha1: replaced
        f.write(b'corrupt')
    assert pretrain.stored_trunk(root)[0] == path and sha1_of(path) == info['sha1']
    monkeypatch.setenv('GLUON_DFB_MODEL_ROOT', str(tmp_path / 'other store'))
    net = get_model('tsn_resnet18_dfb_custom', nclass=3, pretrained_base='proxy')
    trunk = resnetv1b.resnet18_v1b(pretrained=False, classes=OUTPUTS)
    trunk.load_parameters(shipped)
    np.testing.assert_array_equal(net.layer2[0].conv1.weight.data().asnumpy(),
                                  trunk.layer2[0].conv1.weight.data().asnumpy())


def test_a_shipped_trunk_is_taken_only_if_it_passes_its_sha1_check(tmp_path, monkeypatch,
                                                                     caplog):
    made = []
    original = pretrain.pretrain_trunk
    monkeypatch.setattr(pretrain, 'pretrain_trunk',
                        lambda out, **recipe: made.append(out) or original(out, **recipe))
    shipped = tmp_path / 'shipped'
    name = os.path.basename(proxy_trunk_path(**TINY))
    original(str(shipped / name), **TINY)
    monkeypatch.setattr(proxy, 'SHIPPED', str(shipped))
    path, info = pretrain.stored_trunk(str(tmp_path / 'good'), **TINY)
    assert not made and sha1_of(path) == sha1_of(str(shipped / name)) == info['sha1']

    with open(str(shipped / name), 'ab') as f:
        f.write(b'corrupt')
    with caplog.at_level(logging.WARNING, logger='gluon_dfb.zoo.proxy'):
        path, info = pretrain.stored_trunk(str(tmp_path / 'bad'), **TINY)
    assert made == [path] and sha1_of(path) == info['sha1']
    os.remove(str(shipped / name)[:-7] + '.json')  # a file without its json: not taken
    path, _ = pretrain.stored_trunk(str(tmp_path / 'no json'), **TINY)
    assert made[-1] == path and len(made) == 2
    assert any('not taking the shipped trunk' in r.getMessage() and 'fails its sha1 check'
               in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize('argv', [[], ['--steps', '3']], ids=['shipped', 'to pretrain'])
def test_a_weight_store_that_cannot_be_written_is_named_before_any_work(tmp_path, monkeypatch,
                                                                        argv):
    def refused(out, **recipe):
        raise AssertionError('pretrained into a store that cannot take the file')
    monkeypatch.setattr(pretrain, 'pretrain_trunk', refused)
    (tmp_path / 'a file').write_text('')
    monkeypatch.setenv('GLUON_DFB_MODEL_ROOT', str(tmp_path / 'a file' / 'store'))
    with pytest.raises(WeightStoreError, match=r"the weight store cannot take proxy_resnet18"
                                               r".*a file is a file .*GLUON_DFB_MODEL_ROOT"):
        pretrain.main(argv)
    assert os.listdir(str(tmp_path)) == ['a file']
