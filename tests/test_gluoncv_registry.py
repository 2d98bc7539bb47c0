"""Our names in GluonCV's model zoo, registered by ``import gluon_dfb``."""
import gluoncv
import mxnet as mx
import pytest
from gluoncv.model_zoo import model_zoo as gluoncv_zoo

from gluon_dfb import list_models
from gluon_dfb.models import TSNResNet
from gluon_dfb.zoo.gluoncv_registry import register_with_gluoncv


def test_gluoncv_lists_all_our_names():
    listed = set(gluoncv.model_zoo.get_model_list())
    assert set(list_models()) <= listed
    assert 'resnet50_v1b_kinetics400' in listed  # GluonCV's own names stay


def test_gluoncv_get_model_builds_our_network_with_its_arguments():
    net = gluoncv.model_zoo.get_model('tsn_resnet18_dfb_custom', nclass=5)
    assert isinstance(net, TSNResNet) and net.head_name == 'gb_df_lb'
    frames = mx.nd.random.uniform(shape=(2 * net.num_segments, 3, 32, 32))
    assert net(frames).shape == (2, 5)
    # GluonCV lowercases the name; the other arguments reach gluon_dfb.get_model
    gb = gluoncv.model_zoo.get_model('TSN_ResNet18_GB_Custom', nclass=4, num_segments=2)
    assert gb.head_name == 'gb' and gb.num_segments == 2
    assert gb(frames[:4]).shape == (2, 4)


def test_registration_without_gluoncvs_table_says_so(monkeypatch):
    monkeypatch.delattr(gluoncv_zoo, '_models')
    with pytest.raises(ImportError, match=r'model_zoo\._models.*gluoncv %s does not have'
                       % gluoncv.__version__):
        register_with_gluoncv()
