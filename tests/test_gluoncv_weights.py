"""GluonCV's weights by name (``pretrained_base=True`` or a GluonCV model name), fetched by
GluonCV's own model store from an http server the test starts on 127.0.0.1, with sha1
entries for the served files added to GluonCV's table by the test only."""
import socket
import zipfile

import mxnet as mx
import numpy as np
import pytest
from gluoncv.model_zoo import model_store, resnetv1b
from gluoncv.model_zoo.action_recognition.actionrec_resnetv1b import ActionRecResNetV1b

from gluon_dfb import get_model
from gluon_dfb.errors import BadInputError, UserError
from gluon_dfb.zoo.weights import WeightStoreError, sha1_of
from conftest import CountingHandler, randomize


class Repo(object):
    """GluonCV's layout on the test server: ``{repo}gluon/models/{name}-{sha1[:8]}.zip``
    holding ``{name}-{sha1[:8]}.params``."""

    def __init__(self, folder, tmp_path, monkeypatch):
        self.folder = folder
        self.staging = tmp_path / 'staging'
        self.staging.mkdir()
        self.monkeypatch = monkeypatch

    def publish(self, name, net, compression=zipfile.ZIP_STORED):
        """Save ``net`` as GluonCV's weights ``name``; returns (the .params file, sha1).
        (Random weights do not compress: stored, unless the test damages the deflate
        stream.)"""
        path = self.staging / (name + '.params')
        net.save_parameters(str(path))
        sha1 = sha1_of(str(path))
        self.monkeypatch.setitem(model_store._model_sha1, name, sha1)
        self.write_zip(name, sha1, {'%s-%s.params' % (name, sha1[:8]): path.read_bytes()},
                       compression)
        return str(path), sha1

    def write_zip(self, name, sha1, members, compression=zipfile.ZIP_STORED):
        """Serve a zip of ``members`` ({file name: bytes}) as the archive of ``name``."""
        zip_path = self.zip_path(name, sha1)
        with zipfile.ZipFile(str(zip_path), 'w', compression, compresslevel=1) as zf:
            for member, data in members.items():
                zf.writestr(member, data)

    def zip_path(self, name, sha1):
        return self.folder / ('%s-%s.zip' % (name, sha1[:8]))


@pytest.fixture
def repo(server, tmp_path, monkeypatch):
    remote, url = server
    folder = remote / 'gluon' / 'models'
    folder.mkdir(parents=True)
    monkeypatch.setenv('MXNET_GLUON_REPO', url + '/')
    monkeypatch.setenv('MXNET_HOME', str(tmp_path / 'mxnet_home'))
    return Repo(folder, tmp_path, monkeypatch)


def imagenet_resnet18():
    resnet = resnetv1b.resnet18_v1b(pretrained=False)
    resnet.initialize()
    resnet(mx.nd.zeros((1, 3, 32, 32)))
    randomize(resnet, seed=18)
    return resnet


def tsn_resnet18_kinetics400():
    """GluonCV's TSN network (built directly: ``resnet18_v1b_kinetics400()`` would
    download ImageNet weights)."""
    net = ActionRecResNetV1b(depth=18, nclass=400, pretrained_base=False)
    net.collect_params().initialize()
    net(mx.nd.zeros((1, 3, 32, 32)))
    randomize(net, seed=400)
    return net


def values(net, names):
    params = net._collect_params_with_prefix()
    return {n: params[n].data().asnumpy() for n in names}


def assert_same_values(net, other, names):
    ours, theirs = values(net, names), values(other, names)
    for name in names:
        np.testing.assert_array_equal(ours[name], theirs[name], err_msg=name)


@pytest.mark.parametrize('arch, trunk, classifier', [
    ('tsn', 'layer3.', ('output.',)), ('i3d', 'res_layers.2.', ('head.', 'fc.'))])
def test_pretrained_base_true_is_gluoncv_imagenet_resnet(arch, trunk, classifier, repo,
                                                         tmp_path):
    path, sha1 = repo.publish('resnet18_v1b', imagenet_resnet18())
    name = '%s_resnet18_dfb_custom' % arch
    net = get_model(name, nclass=3, pretrained_base=True)
    assert CountingHandler.requests == ['/gluon/models/resnet18_v1b-%s.zip' % sha1[:8]]
    cached = tmp_path / 'mxnet_home' / 'models' / ('resnet18_v1b-%s.params' % sha1[:8])
    assert sha1_of(str(cached)) == sha1

    report = net.load_report
    assert any(n.startswith(trunk) for n in report.loaded)
    assert not report.mismatched
    assert all(n.startswith(('local_branch.', 'filter_bank.') + classifier)
               for n in report.fresh)
    assert any(n.startswith('local_branch.') for n in report.fresh)
    assert any(n.startswith('filter_bank.') for n in report.fresh)
    # the same as giving the file's path (inflated for I3D), which the other tests check
    by_path = get_model(name, nclass=3, pretrained_base=path)
    assert by_path.load_report == report
    assert_same_values(net, by_path, report.loaded)

    get_model(name, nclass=3, pretrained_base=True)
    assert len(CountingHandler.requests) == 1  # the second time from the verified cache


def test_gluoncv_action_checkpoint_by_name(repo):
    source = tsn_resnet18_kinetics400()
    repo.publish('resnet18_v1b_kinetics400', source)
    net = get_model('tsn_resnet18_dfb_kinetics400', pretrained_base='resnet18_v1b_kinetics400')
    report = net.load_report
    assert not report.unused and not report.mismatched
    assert 'output.weight' in report.loaded and 'layer4.1.conv2.weight' in report.loaded
    assert report.fresh and all(n.startswith(('local_branch.', 'filter_bank.'))
                                for n in report.fresh)
    assert_same_values(net, source, report.loaded)

    other_classes = get_model('tsn_resnet18_dfb_custom', nclass=5,
                              pretrained_base='resnet18_v1b_kinetics400')
    assert [m[0] for m in other_classes.load_report.mismatched] == ['output.weight',
                                                                    'output.bias']
    assert len(CountingHandler.requests) == 1


def test_gluoncv_i3d_checkpoint_by_name(repo):
    # GluonCV's I3D ResNet-18 cannot be built (its 3D BasicBlock has no padding); the
    # file is our own I3D-ResNet18 global branch, whose layout is GluonCV's (the oracle
    # tests load GluonCV's I3D-ResNet50 into it), served under a GluonCV I3D name.
    source = get_model('i3d_resnet18_gb_kinetics400')
    randomize(source, seed=3)
    repo.publish('i3d_resnet18_v1_kinetics400', source)
    net = get_model('i3d_resnet18_dfb_kinetics400', pretrained_base='i3d_resnet18_v1_kinetics400')
    report = net.load_report
    assert not report.unused and not report.mismatched
    assert 'res_layers.3.1.conv2.weight' in report.loaded
    assert {'head.1.weight', 'fc.weight'} & set(report.loaded)  # one parameter, two names
    assert all(n.startswith(('local_branch.', 'filter_bank.')) for n in report.fresh)
    assert_same_values(net, source, report.loaded)


def flip_byte(data, index):
    data = bytearray(data)
    data[index] ^= 0xFF
    return bytes(data)


@pytest.mark.parametrize('damage, message', [
    ('garbled data', r'archive of GluonCV weights resnet18_v1b .* is damaged.*Bad CRC-32'),
    ('garbled compression', r'archive of GluonCV weights resnet18_v1b .* is damaged.*'
                            r'Error -3 while decompressing'),
    ('params of another sha1', r'weights resnet18_v1b .* fail their sha1 check'),
    ('zip without the params', r'archive of GluonCV weights resnet18_v1b .* lacks its '
                               r'\.params file \(.*No such file'),
])
def test_damaged_download_is_refused(damage, message, repo):
    path, sha1 = repo.publish('resnet18_v1b', imagenet_resnet18(), zipfile.ZIP_DEFLATED
                              if damage == 'garbled compression' else zipfile.ZIP_STORED)
    served = repo.zip_path('resnet18_v1b', sha1)
    good = served.read_bytes()
    inner = 'resnet18_v1b-%s.params' % sha1[:8]
    if damage == 'garbled data':
        served.write_bytes(flip_byte(good, len(good) // 2))
    elif damage == 'garbled compression':  # the first byte of the deflate stream
        served.write_bytes(flip_byte(good, zipfile.sizeFileHeader + len(inner)))
    elif damage == 'params of another sha1':
        with open(path, 'rb') as f:
            params = f.read()
        repo.write_zip('resnet18_v1b', sha1, {inner: flip_byte(params, len(params) // 2)})
    else:
        repo.write_zip('resnet18_v1b', sha1, {'other.params': b'x'})
    with pytest.raises(WeightStoreError, match=message) as err:
        get_model('tsn_resnet18_dfb_custom', nclass=3, pretrained_base=True)
    assert isinstance(err.value, UserError)  # command lines print it without a traceback

    served.write_bytes(good)  # the next call fetches the file again
    net = get_model('tsn_resnet18_dfb_custom', nclass=3, pretrained_base=True)
    assert net.load_report.loaded and len(CountingHandler.requests) == 2


@pytest.mark.parametrize('model, weights, message', [
    ('tsn_resnet18_dfb_custom', 'resnet18_v1b_kinetic400',
     r"'resnet18_v1b_kinetic400' is neither a file nor the name of GluonCV weights\. "
     r"Did you mean resnet18_v1b_kinetics400"),
    ('tsn_resnet50_dfb_custom', 'i3d_resnet50_v1_kinetics400',
     r'i3d_resnet50_v1_kinetics400 do not fit this ResNet-50 TSN network: it takes '
     r'resnet50_v1b \(ImageNet\) or resnet50_v1b_\{kinetics400,'),
    ('tsn_resnet50_dfb_custom', 'resnet101_v1b',
     'resnet101_v1b do not fit this ResNet-50 TSN network'),
    ('tsn_resnet50_dfb_custom', 'resnet50_v1b_gn', 'resnet50_v1b_gn do not fit'),
    ('i3d_resnet50_dfb_custom', 'resnet50_v1b_kinetics400',
     r'do not fit this ResNet-50 I3D network: it takes resnet50_v1b \(ImageNet\) or '
     r'i3d_resnet50_v1_\{kinetics400,'),
    ('i3d_resnet50_dfb_custom', 'i3d_resnet101_v1_kinetics400',
     'do not fit this ResNet-50 I3D network'),
    ('i3d_resnet50_dfb_custom', 'i3d_nl5_resnet50_v1_kinetics400', 'do not fit'),
])
def test_names_that_do_not_fit_are_refused_before_any_download(model, weights, message,
                                                               repo):
    with pytest.raises(BadInputError, match=message):
        get_model(model, nclass=3, pretrained_base=weights)
    assert CountingHandler.requests == []


def test_missing_path_is_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere.*does not exist'):
        get_model('tsn_resnet18_dfb_custom', nclass=3,
                  pretrained_base=str(tmp_path / 'nowhere' / 'resnet18'))


def test_without_network_the_url_and_the_way_out_are_named(tmp_path, monkeypatch):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]  # closed once the socket is
    monkeypatch.setenv('MXNET_GLUON_REPO', 'http://127.0.0.1:%d/' % port)
    monkeypatch.setenv('MXNET_HOME', str(tmp_path))
    url = 'http://127.0.0.1:%d/gluon/models/resnet18_v1b-%s.zip' % (
        port, model_store.short_hash('resnet18_v1b'))
    with pytest.raises(WeightStoreError, match='Could not download GluonCV weights '
                       r'resnet18_v1b from %s .*pretrained_base=PATH' % url):
        get_model('i3d_resnet18_dfb_custom', nclass=3, pretrained_base=True)


def test_missing_remote_file_names_the_url(repo, server):
    _, url = server
    with pytest.raises(WeightStoreError, match='Could not download GluonCV weights '
                       r'resnet18_v1b .*%s/gluon/models/resnet18_v1b-' % url):
        get_model('tsn_resnet18_dfb_custom', nclass=3, pretrained_base=True)
    assert len(CountingHandler.requests) == 1
