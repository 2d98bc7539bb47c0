"""Our GB networks against GluonCV's own networks on the same weights and input."""
import mxnet as mx
import numpy as np
from gluoncv.model_zoo.action_recognition.actionrec_resnetv1b import ActionRecResNetV1b
from gluoncv.model_zoo.action_recognition.i3d_resnet import i3d_resnet50_v1_kinetics400

from gluon_dfb import get_model
from conftest import randomize


def test_i3d_resnet50_gb_matches_gluoncv(tmp_path, rng):
    oracle = i3d_resnet50_v1_kinetics400(pretrained=False, pretrained_base=False)
    randomize(oracle, seed=1)
    path = str(tmp_path / 'gluoncv_i3d.params')
    oracle.save_parameters(path)

    net = get_model('i3d_resnet50_gb_kinetics400', pretrained=path, use_pool2=True)
    assert not net.load_report.fresh and not net.load_report.unused

    x = mx.nd.array(rng.uniform(-2, 2, (2, 3, 16, 64, 64)))
    expected = oracle(x).asnumpy()
    got = net(x).asnumpy()
    assert got.shape == (2, 400)
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)
    assert np.abs(expected).max() > 1e-2  # the comparison is not between near-zeros


def test_tsn_resnet50_gb_matches_gluoncv(tmp_path, rng):
    oracle = ActionRecResNetV1b(depth=50, nclass=400, pretrained_base=False, num_segments=3)
    oracle.collect_params().initialize()
    x = mx.nd.array(rng.uniform(-2, 2, (2 * 3, 3, 64, 64)))
    oracle(x)  # settles GluonCV's deferred shapes
    randomize(oracle, seed=2)
    path = str(tmp_path / 'gluoncv_tsn.params')
    oracle.save_parameters(path)

    net = get_model('tsn_resnet50_gb_kinetics400', pretrained=path)
    expected = oracle(x).asnumpy()
    got = net(x).asnumpy()
    assert got.shape == (2, 400)
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)
    assert np.abs(expected).max() > 1e-2


def test_gluoncv_checkpoint_into_dfb_reports_fresh_head(tmp_path):
    oracle = i3d_resnet50_v1_kinetics400(pretrained=False, pretrained_base=False)
    path = str(tmp_path / 'gluoncv_i3d.params')
    oracle.save_parameters(path)
    net = get_model('i3d_resnet50_dfb_kinetics400', pretrained_base=path)
    report = net.load_report
    assert not report.unused and not report.mismatched
    assert report.fresh and all(n.startswith(('local_branch.', 'filter_bank.'))
                                for n in report.fresh)
    assert any(n.startswith('res_layers.3.') for n in report.loaded)
    assert any(n.startswith('local_branch.stage.') for n in report.fresh)
    assert any(n.startswith('local_branch.skip_') for n in report.fresh)
