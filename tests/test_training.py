"""Training as a user runs it: losses go down, a killed run resumes exactly."""
import json
import os
import signal
import subprocess
import sys
import time

import mxnet as mx
import numpy as np
import pytest

from gluon_dfb.data import VideoDataset, evaluation_protocol
from gluon_dfb.data.finegrained import make_finegrained_set
from gluon_dfb.engine.options import parse_training_args
from gluon_dfb.engine.train import train
from gluon_dfb.zoo import get_model

SCRIPT = os.path.join(os.path.dirname(__file__), '..', 'train_scripts', 'train_tsn.py')


@pytest.fixture(scope='module')
def tiny_set(tmp_path_factory):
    """Four classes of different groups, four training videos each."""
    folder = tmp_path_factory.mktemp('tiny')
    paths = make_finegrained_set(str(folder), videos_per_class=(4, 1), seed=0, size=64,
                                 frames=8)
    lines = [l for l in open(paths['train']) if int(l.split()[-1]) % 2 == 0]
    subset = folder / 'subset.txt'
    subset.write_text(''.join('%s %s %d\n' % (l.split()[0], l.split()[1],
                                              int(l.split()[2]) // 2) for l in lines))
    return str(folder), str(subset)


def options(tiny_set, out_dir, *extra):
    root, train_list = tiny_set
    return ['--model', 'tsn_resnet18_dfb_custom', '--num-classes', '4', '--train-list',
            train_list, '--data-root', root, '--input-size', '64', '--short-side', '64',
            '--batch-size', '4', '--lr', '0.005', '--clip-grad', '5', '--lr-steps', '100',
            '--num-workers', '0', '--out-dir', str(out_dir)] + list(extra)


def test_short_run_lowers_every_loss_and_fits_its_clips(tiny_set, tmp_path):
    history = train(parse_training_args('tsn', options(tiny_set, tmp_path, '--epochs', '20')))
    for name in ('comb', 'avg', 'xchannel', 'max'):
        first = np.mean([h['train_loss_' + name] for h in history[:2]])
        last = np.mean([h['train_loss_' + name] for h in history[-2:]])
        assert last < first, name
    for name in ('metrics.json', 'curves.png', 'train.log', 'best.params'):
        assert os.path.getsize(str(tmp_path / name)) > 0
    assert json.load(open(str(tmp_path / 'metrics.json')))[-1]['epoch'] == 19

    net = get_model('tsn_resnet18_dfb_custom', nclass=4, num_segments=3,
                    pretrained=str(tmp_path / 'best.params'))
    root, train_list = tiny_set
    data = VideoDataset(train_list, evaluation_protocol('1clip', 'tsn', size=64), root=root,
                        short_side=64, strict=True)
    correct = sum(int(net(mx.nd.array(data[i][0])).argmax(axis=1).asscalar()) == data[i][1]
                  for i in range(len(data)))
    assert correct / len(data) >= 0.75, correct


def test_killed_run_resumes_to_the_same_parameters(tiny_set, tmp_path):
    full, killed = tmp_path / 'full', tmp_path / 'killed'
    epochs = ['--epochs', '4']
    subprocess.run([sys.executable, SCRIPT] + options(tiny_set, full, *epochs), check=True,
                   capture_output=True)
    process = subprocess.Popen([sys.executable, SCRIPT] + options(tiny_set, killed, *epochs),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not (killed / 'epoch-0001.json').exists():  # however long a busy machine takes
        assert process.poll() is None, 'the run ended before its second checkpoint'
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    # as if killed while writing epoch 2: its parameters are there, its json is not
    (killed / 'epoch-0002.params').write_bytes(b'half written')
    subprocess.run([sys.executable, SCRIPT] + options(tiny_set, killed, '--resume', *epochs),
                   check=True, capture_output=True)
    assert 'resumed from' in (killed / 'train.log').read_text()
    expected = mx.nd.load(str(full / 'epoch-0003.params'))
    got = mx.nd.load(str(killed / 'epoch-0003.params'))
    assert set(expected) == set(got)
    for name in expected:
        np.testing.assert_allclose(got[name].asnumpy(), expected[name].asnumpy(), atol=1e-5)
    history = json.load(open(str(killed / 'metrics.json')))
    assert [h['epoch'] for h in history] == [0, 1, 2, 3]
    assert sorted(p.name for p in killed.glob('epoch-*.json')) == [
        'epoch-0001.json', 'epoch-0002.json', 'epoch-0003.json']  # the last 3 kept


def test_save_frequency_checkpoints_every_n_epochs_and_the_last(tiny_set, tmp_path):
    history = train(parse_training_args('tsn', options(
        tiny_set, tmp_path, '--epochs', '3', '--save-frequency', '2')))
    assert sorted(p.name for p in tmp_path.glob('epoch-*.json')) == [
        'epoch-0001.json', 'epoch-0002.json']
    scores = [h['train_top1_comb'] for h in history]  # no --val-list: training top-1
    assert json.load(open(str(tmp_path / 'best.json'))) == {
        'epoch': int(np.argmax(scores)), 'best': max(scores)}


def test_gb_head_logs_its_one_output_as_avg(tiny_set, tmp_path):
    history = train(parse_training_args('tsn', options(tiny_set, tmp_path, '--epochs', '1',
                                                       '--head', 'gb')))
    assert {k for k in history[0] if k.startswith('train_')} == {
        'train_loss', 'train_top1', 'train_loss_avg', 'train_top1_avg'}
    assert 'train_top1_avg' in (tmp_path / 'train.log').read_text()


def test_ctx_names_the_devices_like_gpus():
    common = ['--train-list', 'train.txt']
    assert parse_training_args('tsn', common + ['--ctx', '0,1']).gpus == [0, 1]
    assert parse_training_args('i3d', common + ['--gpus', '2']).gpus == [2]
    assert parse_training_args('i3d', common).gpus == []  # CPU
