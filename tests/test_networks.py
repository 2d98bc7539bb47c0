"""The networks as a user trains, hybridizes, exports and runs them."""
import gc

import mxnet as mx
import numpy as np
import pytest
from gluoncv.model_zoo import resnetv1b
from mxnet import autograd, gluon

from conftest import randomize
from gluon_dfb import get_model, list_models
from gluon_dfb.nn import DFBLoss

SMALL_INPUT = {'tsn': (3, 3, 32, 32), 'i3d': (1, 3, 8, 32, 32)}


def small_net(name, **kwargs):
    return get_model(name, nclass=4, num_segments=3 if name.startswith('tsn') else 1,
                     **kwargs)


@pytest.mark.parametrize('name', ['tsn_resnet18_dfb_custom', 'i3d_resnet18_dfb_custom'])
def test_gradients_reach_every_parameter_group(name, rng):
    net = small_net(name)
    x = mx.nd.array(rng.normal(size=SMALL_INPUT[name[:3]]))
    label = mx.nd.array([1])
    with autograd.record():
        outputs = net(x)
        assert len(outputs) == 4
        loss, _ = DFBLoss()(outputs, label)
    loss.backward()
    groups = {'global stage 5': 'layer4' if name.startswith('tsn') else 'res_layers.3.',
              'global classifier': 'output.' if name.startswith('tsn') else 'fc.',
              'local stage 5': 'local_branch.stage.', 'skip': 'local_branch.skip_',
              'filter bank': 'filter_bank.filters.', 'dense': 'filter_bank.dense.'}
    params = net._collect_params_with_prefix()
    for group, prefix in groups.items():
        grads = [np.abs(p.grad().asnumpy()).sum() for n, p in params.items()
                 if n.startswith(prefix) and p.grad_req != 'null']
        assert grads and all(g > 0 for g in grads), group


@pytest.mark.parametrize('arch', ['tsn', 'i3d'])
def test_pretrained_base_fills_the_global_stage5_only(arch, tmp_path):
    base = resnetv1b.resnet18_v1b(pretrained=False)
    base.initialize()
    base(mx.nd.zeros((1, 3, 32, 32)))
    randomize(base)  # no parameter keeps a default a fresh block would also have
    path = str(tmp_path / 'resnet18_v1b.params')
    base.save_parameters(path)
    layer4 = {name[len('layer4.'):]: array.asnumpy() for name, array in mx.nd.load(path).items()
              if name.startswith('layer4.')}
    net = small_net('%s_resnet18_dfb_custom' % arch, pretrained_base=path)
    net(mx.nd.zeros(SMALL_INPUT[arch]))  # the local stage 5's shapes are deferred
    mx.nd.waitall()  # MXNet checks a weight's layout before waiting for its reorder
    params = {name: p.data().asnumpy() for name, p in net._collect_params_with_prefix().items()}
    stage5 = 'layer4.' if arch == 'tsn' else 'res_layers.3.'
    assert len(layer4) == len([n for n in params if n.startswith(stage5)])
    for name, expected in layer4.items():
        global_, local = params[stage5 + name], params['local_branch.stage.' + name]
        if global_.ndim == 5:  # inflated: its temporal slices sum to the 2D kernel
            global_, local = global_.sum(axis=2), local.sum(axis=2)
        np.testing.assert_allclose(global_, expected, rtol=1e-6, err_msg=name)
        assert not np.allclose(local, expected), name


@pytest.mark.parametrize('name,head,outputs', [('tsn_resnet18_dfb_custom', 'gb', 1),
                                               ('tsn_resnet18_dfb_custom', 'gb_df', 4),
                                               ('i3d_resnet18_gb_custom', 'gb_df_lb', 4)])
def test_heads_build_only_their_branches(name, head, outputs, rng):
    net = small_net(name, head=head)
    assert (net.filter_bank is None) == (head == 'gb')
    assert (net.local_branch is None) == (head != 'gb_df_lb')
    x = mx.nd.array(rng.normal(size=SMALL_INPUT[name[:3]]))
    with autograd.record():
        out = net(x)
    assert len(out) == outputs
    if outputs == 4:
        np.testing.assert_allclose(out[0].asnumpy(), (out[1] + out[2] + out[3]).asnumpy(),
                                   rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('name', ['tsn_resnet18_dfb_custom', 'i3d_resnet18_dfb_custom'])
def test_hybridized_and_exported_equal_imperative(name, tmp_path, rng):
    net = small_net(name)
    x = mx.nd.array(rng.normal(size=SMALL_INPUT[name[:3]]))
    expected = net(x).asnumpy()
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), expected, rtol=1e-5, atol=1e-5)
    all_outputs = net.all_outputs(x)
    prefix = str(tmp_path / 'model')
    net.export(prefix)
    imported = gluon.SymbolBlock.imports(prefix + '-symbol.json', ['data'],
                                         prefix + '-0000.params')
    out = imported(x)
    assert len(out) == 4
    for got, want in zip(out, all_outputs):
        np.testing.assert_allclose(got.asnumpy(), want.asnumpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out[0].asnumpy(), expected, rtol=1e-5, atol=1e-5)


def test_fully_convolutional_odd_sizes(rng):
    net = small_net('i3d_resnet18_dfb_custom')
    net.hybridize()
    for shape in [(1, 3, 8, 129, 171), (1, 3, 12, 67, 45)]:
        assert net(mx.nd.array(rng.normal(size=shape))).shape == (1, 4)
    volume = net.filter_responses(mx.nd.array(rng.normal(size=(1, 3, 8, 129, 171))))
    assert volume.shape == (1, 4 * 5, 2, 9, 11)  # time /4, space /16 (stage 4 size)


def test_filter_responses_give_the_max_pooled_scores(rng):
    net = small_net('tsn_resnet18_dfb_custom', head='gb_df')
    x = mx.nd.array(rng.normal(size=(3, 3, 64, 64)))
    volume = net.filter_responses(x).asnumpy()       # (3 frames, 20, 2, 2)
    maxima = volume.reshape(3, 20, -1).max(axis=2)
    z_xchannel = maxima.reshape(3, 4, 5).mean(axis=2).mean(axis=0)  # consensus
    outputs = net.all_outputs(x)
    np.testing.assert_allclose(outputs[2].asnumpy()[0], z_xchannel, rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_every_registered_name_builds_and_runs():
    """Every Kinetics-400 name and every ResNet-18 name runs a forward pass; the other
    names differ from their Kinetics-400 twin in the number of classes only (a forward
    pass of a deep network costs seconds of parameter initialisation): they build with
    as many parameters as the twin and the class count asked for."""
    names = list_models()
    assert 'i3d_resnet50_dfb_kinetics400' in names and 'tsn_resnet50_dfb_kinetics400' in names
    assert len(names) == 2 * 5 * 2 * 3
    twin_params = {}
    for name in sorted(names, key=lambda n: not n.endswith('kinetics400')):
        nclass = 7 if name.endswith('custom') else None
        net = get_model(name, nclass=nclass)
        twin = name.rsplit('_', 1)[0]
        if name.endswith('kinetics400'):
            twin_params[twin] = len(net.collect_params().keys())
        else:
            assert len(net.collect_params().keys()) == twin_params[twin], name
            assert net.nclass == (nclass or net.entry['nclass']), name
        if name.endswith('kinetics400') or '_resnet18_' in name:
            shape = (3, 3, 32, 32) if name.startswith('tsn') else (1, 3, 4, 32, 32)
            out = net(mx.nd.ones(shape)).asnumpy()  # waits: MXNet would queue the builds
            assert out.shape == (1, nclass or net.entry['nclass']) and np.isfinite(out).all(), name
        del net
        gc.collect()  # Gluon blocks hold reference cycles: free each network's memory now
