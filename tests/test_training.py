"""Training as a user runs it: a step descends the loss, a killed run resumes exactly."""
import json
import os
import signal
import subprocess
import sys
import time

import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, gluon

from gluon_dfb.data import VideoDataset, evaluation_protocol
from gluon_dfb.engine.config import parse_training_args
from gluon_dfb.engine.train import train, train_step
from gluon_dfb.nn import DFBLoss
from gluon_dfb.zoo import get_model

SCRIPT = os.path.join(os.path.dirname(__file__), '..', 'train_scripts', 'train_tsn.py')


def options(four_class_set, out_dir, *extra):
    root, train_list = four_class_set
    return ['--model', 'tsn_resnet18_dfb_custom', '--num-classes', '4', '--train-list',
            train_list, '--data-root', root, '--input-size', '64', '--short-side', '64',
            '--batch-size', '4', '--lr', '0.005', '--clip-grad', '5', '--lr-steps', '100',
            '--num-workers', '0', '--out-dir', str(out_dir)] + list(extra)


def first_batch(four_class_set):
    """The set's first 4 videos, one centre frame each, and their labels."""
    root, train_list = four_class_set
    data = VideoDataset(train_list, evaluation_protocol('1clip', 'tsn', num_segments=1, size=64),
                        root=root, short_side=64, strict=True)
    return (mx.nd.array(np.concatenate([data[i][0] for i in range(4)])),
            mx.nd.array([data[i][1] for i in range(4)]))


@pytest.mark.slow
def test_short_run_writes_its_record(four_class_set, tmp_path):
    history = train(parse_training_args('tsn', options(four_class_set, tmp_path, '--epochs', '2')))
    for name in ('metrics.json', 'curves.png', 'train.log', 'best.params'):
        assert os.path.getsize(str(tmp_path / name)) > 0
    assert json.load(open(str(tmp_path / 'metrics.json'))) == json.loads(json.dumps(history))
    assert [h['epoch'] for h in history] == [0, 1]
    for record in history:
        for name in ('comb', 'avg', 'xchannel', 'max'):
            assert np.isfinite(record['train_loss_' + name])
            assert 0 <= record['train_top1_' + name] <= 1


def test_a_training_step_descends_the_loss_of_its_batch(four_class_set):
    """One step of the engine's update, with a learning rate small enough that the loss
    is about linear along the step, lowers the four-term loss of its batch by the step times
    the squared gradient norm (plain SGD, no dropout: the same function before and
    after)."""
    x, y = first_batch(four_class_set)
    mx.random.seed(0)
    net = get_model('tsn_resnet18_dfb_custom', nclass=4, num_segments=1, dropout=0)
    loss_fn = DFBLoss()

    def batch_loss():
        with autograd.record():  # training mode: BatchNorm on the batch's statistics
            loss, _ = loss_fn(net(x), y)
        return loss.mean().asscalar(), loss

    before, loss = batch_loss()
    loss.backward()
    squared_norm = sum((p.grad().astype('float64') ** 2).sum().asscalar() / len(y) ** 2
                       for p in net.collect_params().values() if p.grad_req != 'null')
    rate = 1e-3 * before / squared_norm  # a step meant to lower the loss by 0.1%
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': rate})
    assert train_step(net, x, y, trainer, loss_fn)[3]
    after, _ = batch_loss()
    # first order: before - after = rate * |g|^2, 0.1% of the loss; the second-order
    # term and float32 rounding of the loss (1e-7 of it) stay far below half of that
    np.testing.assert_allclose(before - after, rate * squared_norm, rtol=0.5)


def test_clip_grad_bounds_the_steps_length_to_the_rate_times_the_clip(four_class_set):
    """With ``--clip-grad c`` a plain-SGD step moves the trained parameters by ``lr * c``
    (global norm, per video) when the batch's gradient is longer than ``c``, and by
    ``lr * |g|`` without clipping (the parameters' change measured in numpy)."""
    x, y = first_batch(four_class_set)
    rate = 1e-3

    def step(clip):
        """The same network's first step: the length of its per-video gradient (after
        clipping) and how far the parameters moved."""
        mx.random.seed(0)
        net = get_model('tsn_resnet18_dfb_custom', nclass=4, num_segments=1, dropout=0)
        with autograd.record():  # initialised by a training-mode forward: read after an
            net(x)               # inference-mode one, a weight now and then read otherwise
        trained = [p for p in net.collect_params().values() if p.grad_req != 'null']
        before = [p.data().asnumpy().astype(np.float64) for p in trained]
        trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': rate})
        assert train_step(net, x, y, trainer, DFBLoss(), clip_grad=clip)[3]
        gradient = np.sqrt(sum(((p.grad().asnumpy().astype(np.float64) / len(y)) ** 2).sum()
                               for p in trained))
        moved = np.sqrt(sum(((p.data().asnumpy() - b) ** 2).sum()
                            for p, b in zip(trained, before)))
        return gradient, moved

    gradient, moved = step(0)
    np.testing.assert_allclose(moved, rate * gradient, rtol=1e-3)
    clip = float(gradient / 10)  # a Python float, as the command line gives
    clipped, moved = step(clip)
    np.testing.assert_allclose([clipped, moved], [clip, rate * clip], rtol=1e-3)


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_parameters(four_class_set, tmp_path):
    full, killed = tmp_path / 'full', tmp_path / 'killed'
    epochs = ['--epochs', '4']
    # one thread, whatever the caller set: with two, oneDNN's kernels already make two
    # uninterrupted runs differ, so no resume could match
    env = dict(os.environ, OMP_NUM_THREADS='1')
    subprocess.run([sys.executable, SCRIPT] + options(four_class_set, full, *epochs), check=True,
                   capture_output=True, env=env)
    process = subprocess.Popen([sys.executable, SCRIPT] + options(four_class_set, killed, *epochs),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    while not (killed / 'epoch-0001.json').exists():  # however long a busy machine takes
        assert process.poll() is None, 'the run ended before its second checkpoint'
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    # as if killed while writing epoch 2: its parameters are there, its json is not
    (killed / 'epoch-0002.params').write_bytes(b'half written')
    subprocess.run([sys.executable, SCRIPT] + options(four_class_set, killed, '--resume', *epochs),
                   check=True, capture_output=True, env=env)
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


@pytest.mark.slow
def test_save_frequency_checkpoints_every_n_epochs_and_the_last(four_class_set, tmp_path):
    history = train(parse_training_args('tsn', options(
        four_class_set, tmp_path, '--epochs', '3', '--save-frequency', '2')))
    assert sorted(p.name for p in tmp_path.glob('epoch-*.json')) == [
        'epoch-0001.json', 'epoch-0002.json']
    scores = [h['train_top1_comb'] for h in history]  # no --val-list: training top-1
    assert json.load(open(str(tmp_path / 'best.json'))) == {
        'epoch': int(np.argmax(scores)), 'best': max(scores)}


def test_gb_head_logs_its_one_output_as_avg(four_class_set, tmp_path):
    history = train(parse_training_args('tsn', options(four_class_set, tmp_path, '--epochs', '1',
                                                       '--head', 'gb')))
    assert {k for k in history[0] if k.startswith('train_')} == {
        'train_loss', 'train_top1', 'train_loss_avg', 'train_top1_avg'}
    assert 'train_top1_avg' in (tmp_path / 'train.log').read_text()


def test_ctx_names_the_devices_like_gpus(monkeypatch):
    common = ['--train-list', 'train.txt']
    assert parse_training_args('i3d', common).gpus == []  # CPU
    monkeypatch.setattr(mx.context, 'num_gpus', lambda: 3)
    assert parse_training_args('tsn', common + ['--ctx', '0,1']).gpus == [0, 1]
    assert parse_training_args('i3d', common + ['--gpus', '2']).gpus == [2]
