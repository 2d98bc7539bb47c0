"""2D -> 3D inflation: a static video gives the 2D network's features."""
import mxnet as mx
import numpy as np
import pytest
from gluoncv.model_zoo import resnetv1b

from gluon_dfb import get_model
from conftest import randomize


@pytest.mark.parametrize('depth', [18, 50])
def test_static_video_gives_2d_stage4_features(depth, tmp_path, rng):
    resnet = getattr(resnetv1b, 'resnet%d_v1b' % depth)(pretrained=False)
    resnet.initialize()
    frame = mx.nd.array(rng.uniform(-1, 1, (1, 3, 48, 48)))
    resnet(frame)
    randomize(resnet, seed=depth)
    path = str(tmp_path / ('resnet%d_v1b.params' % depth))
    resnet.save_parameters(path)

    net = get_model('i3d_resnet%d_gb_kinetics400' % depth, pretrained_base=path)
    report = net.load_report
    assert len(report.loaded) == len(list(resnet.collect_params())) - 2  # all but the ImageNet fc
    assert all(n.startswith(('fc.', 'head.')) for n in report.fresh)

    x = resnet.maxpool(resnet.relu(resnet.bn1(resnet.conv1(frame))))
    expected = resnet.layer3(resnet.layer2(resnet.layer1(x))).asnumpy()[0]

    video = frame.expand_dims(axis=2).repeat(64, axis=2)  # 64 copies of the frame
    got = net.stage4(mx.nd, video).asnumpy()[0]            # (C, 16, h, w)
    assert got.shape[1] == 16 and got.shape[2:] == expected.shape[1:]
    # temporal zero padding reaches in from both ends by one step per temporal kernel
    for t in range(6, 10):
        err = np.abs(got[:, t] - expected).max() / np.abs(expected).max()
        assert err <= 1e-4, (t, err)
    edge = np.abs(got[:, 0] - expected).max() / np.abs(expected).max()
    assert edge > 1e-3  # the check above does look at something the padding changes


def test_wrong_2d_file_is_refused(tmp_path):
    resnet = resnetv1b.resnet18_v1b(pretrained=False)
    resnet.initialize()
    resnet(mx.nd.zeros((1, 3, 32, 32)))
    path = str(tmp_path / 'resnet18_v1b.params')
    resnet.save_parameters(path)
    with pytest.raises(ValueError, match='resnet18_v1b.params.*depth 50'):
        get_model('i3d_resnet50_gb_kinetics400', pretrained_base=path)
