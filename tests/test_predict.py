"""Predicting real videos as a user does, with a broken one among them."""
import json
import os
import subprocess
import sys

import mxnet as mx
import numpy as np
import pytest

from gluon_dfb import get_model
from gluon_dfb.data import evaluation_protocol, read_views
from gluon_dfb.engine.config import EvalConfig
from gluon_dfb.engine.evaluate import evaluate_list


@pytest.mark.slow
@pytest.mark.onnx
def test_predict_real_videos_and_a_broken_one(real_videos, tmp_path):
    net = get_model('tsn_resnet18_dfb_custom', nclass=3, num_segments=1)
    net(mx.nd.ones((1, 3, 64, 64)))
    params = str(tmp_path / 'model.params')
    net.save_parameters(params)
    classes = tmp_path / 'classes.txt'
    classes.write_text('walking\nriding\ntalking\n')
    broken = tmp_path / 'broken.mp4'
    broken.write_bytes(os.urandom(5000))
    videos = [real_videos['carphone_pristine.mp4'], str(broken), real_videos['bikes_vp9.webm']]
    common = ['--model', 'tsn_resnet18_dfb_custom', '--num-classes', '3', '--params', params,
              '--protocol', '2d-20x10', '--input-size', '64', '--short-side', '64']
    run = subprocess.run([sys.executable, '-m', 'gluon_dfb.predict'] + videos + common +
                         ['--classes', str(classes), '--json', '--topk', '2', '--explain',
                          str(tmp_path / 'explained')], capture_output=True, text=True)
    assert run.returncode == 1
    assert 'broken.mp4' in run.stderr and '1 of 3 videos could not be read' in run.stderr
    results = json.loads(run.stdout)
    assert [r['video'] for r in results] == videos
    assert 'error' in results[1] and 'error' not in results[0] and 'error' not in results[2]
    assert os.path.getsize(results[0]['explanation']) > 0

    # the mean over the protocol's views of the softmax of the network's logits, in numpy
    for result in (results[0], results[2]):
        views = read_views(result['video'], evaluation_protocol('2d-20x10', 'tsn', size=64),
                           short_side=64)
        logits = net(mx.nd.array(views)).asnumpy().astype(np.float64)
        softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
        expected = (softmax / softmax.sum(axis=1, keepdims=True)).mean(axis=0)
        np.testing.assert_allclose(result['probabilities'], expected, rtol=0, atol=1e-5)
        # the top-2: the two most probable (up to the tolerance), in order, named from
        # the class list
        top = [t['index'] for t in result['top']]
        assert [t['class'] for t in result['top']] == [
            ['walking', 'riding', 'talking'][i] for i in top]
        np.testing.assert_allclose([t['probability'] for t in result['top']], expected[top],
                                   rtol=0, atol=1e-5)
        assert result['top'][0]['probability'] >= result['top'][1]['probability']
        assert expected[top].min() >= np.delete(expected, top).max() - 1e-5

    # the same probabilities as the test-protocol evaluation of the same videos
    listed = tmp_path / 'list.txt'
    listed.write_text('%s 0 0\n%s 0 1\n' % (videos[0], videos[2]))
    probabilities, labels, paths, _ = evaluate_list(EvalConfig(
        model='tsn_resnet18_dfb_custom', params=params, num_classes=3,
        test_list=str(listed), protocol='2d-20x10', input_size=64, short_side=64,
        num_workers=0))
    assert {r['engine'] for r in (results[0], results[2])} == {'onnxruntime'}  # the default
    for expected, result in zip(probabilities, (results[0], results[2])):
        np.testing.assert_allclose(result['probabilities'], expected, rtol=0, atol=1e-5)

    plain = subprocess.run([sys.executable, '-m', 'gluon_dfb.predict', videos[0]] + common,
                           capture_output=True, text=True)
    assert plain.returncode == 0 and '(2d-20x10):' in plain.stdout


@pytest.mark.slow
@pytest.mark.onnx
def test_predict_falls_back_to_mxnet_without_onnxruntime(real_videos, tmp_path):
    net = get_model('i3d_resnet18_dfb_custom', nclass=3, num_segments=1)
    net(mx.nd.ones((1, 3, 8, 64, 64)))
    params = str(tmp_path / 'model.params')
    net.save_parameters(params)
    argv = [real_videos['carphone_pristine.mp4'], '--model', 'i3d_resnet18_dfb_custom',
            '--num-classes', '3', '--params', params, '--protocol', '3d-10clip',
            '--new-length', '8', '--input-size', '64', '--short-side', '64', '--json']
    without = subprocess.run(
        [sys.executable, '-c', 'import sys; sys.modules["onnxruntime"] = None; '
         'from gluon_dfb.predict import main; sys.exit(main(sys.argv[1:]))'] + argv,
        capture_output=True, text=True)
    assert without.returncode == 0, without.stderr
    assert 'onnxruntime is not installed' in without.stderr
    fallback = json.loads(without.stdout)[0]
    default = json.loads(subprocess.run([sys.executable, '-m', 'gluon_dfb.predict'] + argv,
                                        check=True, capture_output=True, text=True).stdout)[0]
    assert (fallback['engine'], default['engine']) == ('mxnet', 'onnxruntime')
    np.testing.assert_allclose(default['probabilities'], fallback['probabilities'],
                               rtol=0, atol=1e-5)
