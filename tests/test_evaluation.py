"""Test protocols end to end: view counts, and predictions equal to the mean of per-view
softmax computed one view at a time."""
import os
import subprocess
import sys

import mxnet as mx
import numpy as np
import pytest

from gluon_dfb import get_model
from gluon_dfb.data import VideoDataset, evaluation_protocol
from gluon_dfb.data.finegrained import make_finegrained_set
from gluon_dfb.engine.evaluate import load_predictions

SCRIPT = os.path.join(os.path.dirname(__file__), '..', 'train_scripts', 'test_recognizer.py')


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp('eval')
    paths = make_finegrained_set(str(folder), videos_per_class=(0, 1), seed=5, size=64,
                                 frames=12)
    lines = open(paths['val']).read().splitlines()[:3]
    (folder / 'three.txt').write_text('\n'.join(lines) + '\n')
    return str(folder), str(folder / 'three.txt'), paths['classes']


@pytest.mark.parametrize('name,protocol,views,extra', [
    ('tsn_resnet18_dfb_custom', '2d-20x10', 200, []),
    ('i3d_resnet18_dfb_custom', '3d-10clip', 10, ['--new-length', '4', '--new-step', '2',
                                                  '--view-batch', '3']),
])
@pytest.mark.slow
def test_protocol_predictions_are_mean_per_view_softmax(name, protocol, views, extra, videos,
                                                        tmp_path):
    root, test_list, classes = videos
    net = get_model(name, nclass=8, num_segments=1)
    x = mx.nd.ones((1, 3, 64, 64)) if name.startswith('tsn') else mx.nd.ones((1, 3, 4, 64, 64))
    net(x)
    params = str(tmp_path / 'model.params')
    net.save_parameters(params)
    out = str(tmp_path / 'predictions.npz')
    printed = subprocess.run(
        [sys.executable, SCRIPT, '--model', name, '--num-classes', '8', '--params', params,
         '--test-list', test_list, '--data-root', root, '--protocol', protocol,
         '--input-size', '64', '--short-side', '64', '--num-workers', '0', '--classes',
         classes, '--out', out] + extra, check=True, capture_output=True, text=True).stdout
    assert '%s protocol, 3 videos' % protocol in printed
    predictions = load_predictions(out)
    assert predictions['protocol'] == protocol and len(predictions['classes']) == 8

    arch = name[:3]
    dataset = VideoDataset(test_list, evaluation_protocol(
        protocol, arch, new_length=4, new_step=2, size=64), root=root, short_side=64,
        strict=True)
    for i in range(3):
        sample, label = dataset[i]
        assert sample.shape[0] == views and label == predictions['labels'][i]
        per_view = [mx.nd.softmax(net(mx.nd.array(v[None]))).asnumpy()[0] for v in sample]
        np.testing.assert_allclose(predictions['probabilities'][i], np.mean(per_view, axis=0),
                                   rtol=1e-4, atol=1e-6)
