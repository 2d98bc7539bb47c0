"""The weight store against an http server the test starts on 127.0.0.1."""
import os

import mxnet as mx
import numpy as np
import pytest

import gluon_dfb.zoo as zoo
from gluon_dfb import get_model
from gluon_dfb.zoo.weights import WeightStore, WeightStoreError, sha1_of
from conftest import CountingHandler

NAME = 'tsn_resnet18_gb_custom'


@pytest.fixture
def published(tmp_path, server, monkeypatch):
    """A trained-looking network saved on the server and listed as published."""
    remote, _ = server
    net = get_model(NAME, nclass=3)
    net(mx.nd.ones((3, 3, 32, 32)))
    staging = str(tmp_path / 'staging.params')
    net.save_parameters(staging)
    sha1 = sha1_of(staging)
    os.replace(staging, str(remote / ('%s-%s.params' % (NAME, sha1[:8]))))
    monkeypatch.setitem(zoo.CATALOGUE['published'], NAME, {'sha1': sha1})
    return net, sha1


def test_download_verifies_and_caches(tmp_path, server, published, monkeypatch):
    _, url = server
    net, sha1 = published
    root = tmp_path / 'cache'
    monkeypatch.setenv('GLUON_DFB_MODEL_URL', url)
    x = mx.nd.ones((3, 3, 32, 32))
    first = get_model(NAME, nclass=3, pretrained=True, root=str(root))
    np.testing.assert_allclose(first(x).asnumpy(), net(x).asnumpy(), rtol=1e-6)
    cached = root / ('%s-%s.params' % (NAME, sha1[:8]))
    assert sha1_of(str(cached)) == sha1
    assert len(CountingHandler.requests) == 1
    get_model(NAME, nclass=3, pretrained=sha1[:8], root=str(root))
    assert len(CountingHandler.requests) == 1  # served from the cache
    assert os.listdir(str(root)) == [cached.name]  # no partial files left


def test_corrupted_download_is_refused_and_not_cached(tmp_path, server, published):
    remote, url = server
    _, sha1 = published
    served = remote / ('%s-%s.params' % (NAME, sha1[:8]))
    data = bytearray(served.read_bytes())
    data[len(data) // 2] ^= 0xFF
    served.write_bytes(bytes(data))
    root = tmp_path / 'cache'
    store = WeightStore(zoo.CATALOGUE['published'], root=str(root), base_url=url)
    with pytest.raises(WeightStoreError, match='sha1.*refused'):
        store.get(NAME)
    assert not root.exists() or os.listdir(str(root)) == []


def test_missing_remote_file(tmp_path, server, published):
    remote, url = server
    for f in remote.iterdir():
        f.unlink()
    store = WeightStore(zoo.CATALOGUE['published'], root=str(tmp_path / 'c'), base_url=url)
    with pytest.raises(WeightStoreError, match='HTTP 404'):
        store.get(NAME)


def test_missing_file_without_remote(tmp_path, published, monkeypatch):
    monkeypatch.delenv('GLUON_DFB_MODEL_URL', raising=False)
    with pytest.raises(WeightStoreError, match='is not in .*GLUON_DFB_MODEL_URL'):
        get_model(NAME, nclass=3, pretrained=True, root=str(tmp_path))


def test_unknown_tag(tmp_path, published):
    with pytest.raises(WeightStoreError, match='tag deadbeef'):
        get_model(NAME, nclass=3, pretrained='deadbeef', root=str(tmp_path))


def test_model_without_published_weights():
    with pytest.raises(WeightStoreError, match='No published weights.*gluon-dfb train'):
        get_model('i3d_resnet50_dfb_kinetics400', pretrained=True)


def test_unknown_name_suggests_close_names():
    with pytest.raises(ValueError, match='Did you mean i3d_resnet50_dfb_kinetics400'):
        get_model('i3d_resnet50_dfb_kinetic400')


def test_custom_dataset_needs_nclass():
    with pytest.raises(ValueError, match='nclass'):
        get_model('i3d_resnet18_dfb_custom')


def test_user_params_file_must_fit(tmp_path):
    net = get_model('tsn_resnet18_gb_custom', nclass=3)
    net(mx.nd.ones((3, 3, 32, 32)))
    path = str(tmp_path / 'mine.params')
    net.save_parameters(path)
    loaded = get_model('tsn_resnet18_gb_custom', nclass=3, pretrained=path)
    assert not loaded.load_report.fresh
    with pytest.raises(ValueError, match='mine.params does not fit.*output.weight'):
        get_model('tsn_resnet18_gb_custom', nclass=5, pretrained=path)
    with pytest.raises(ValueError, match='mine.params does not fit.*freshly initialised'):
        get_model('tsn_resnet18_dfb_custom', nclass=3, pretrained=path)


def test_broken_params_files(tmp_path):
    garbage = tmp_path / 'garbage.params'
    garbage.write_bytes(os.urandom(2000))
    with pytest.raises(ValueError, match='garbage.params is not a readable MXNet'):
        get_model('tsn_resnet18_gb_custom', nclass=3, pretrained=str(garbage))
    with pytest.raises(FileNotFoundError, match='nowhere.params does not exist'):
        get_model('tsn_resnet18_gb_custom', nclass=3, pretrained=str(tmp_path / 'nowhere.params'))
