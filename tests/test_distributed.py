"""Horovod data-parallel training on two local Gloo workers, as CI runs it: equal to
one process on the union of the batches, sharded epochs, a dead worker, a real run."""
import json
import os
import signal
import subprocess
import sys
import time

import mxnet as mx
import numpy as np
import psutil
import pytest

from gluon_dfb.data.finegrained import make_finegrained_set
from gluon_dfb.data.sampler import ShardedShuffleSampler

HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN_TSN = os.path.join(HERE, '..', 'train_scripts', 'train_tsn.py')
HOROVODRUN = [os.path.join(os.path.dirname(sys.executable), 'horovodrun'), '--gloo', '-np',
              '2', '-H', 'localhost:2']
# Seconds after which a run counts as hung: a guard against Horovod stalls, not a speed
# requirement (each run takes 10-30 s on 2 idle cores; a busy machine may take minutes).
HANG = 1800

# every test here starts Horovod workers (and needs Horovod built: make horovod)
pytestmark = [pytest.mark.slow, pytest.mark.horovod]


def horovodrun(command):
    return subprocess.run(HOROVODRUN + [sys.executable] + command, capture_output=True,
                          text=True, timeout=HANG)


def load(path):
    return {k: v.asnumpy() for k, v in mx.nd.load(str(path)).items()}


def train_steps(out_dir, steps, lr, *flags):
    """horovod_steps.py on two workers (2 clips each) and in one process (4 clips)."""
    two, one = out_dir / 'two', out_dir / 'one'
    two.mkdir()
    one.mkdir()
    run = horovodrun([os.path.join(HERE, 'horovod_steps.py'), str(two), str(steps), '2',
                      str(lr), '2', '--use-horovod'] + list(flags))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    subprocess.run([sys.executable, os.path.join(HERE, 'horovod_steps.py'), str(one),
                    str(steps), '4', str(lr), '2'] + list(flags), check=True,
                   capture_output=True, timeout=HANG)
    return two, one


def load_runs(two, one):
    """The initial parameters and those of rank 0 and of the one process; both ranks must
    end equal, and the runs must have moved the parameters."""
    init, rank0, rank1, single = [load(p) for p in (two / 'init.params', two / 'rank0.params',
                                                    two / 'rank1.params', one / 'rank0.params')]
    for name in single:
        np.testing.assert_array_equal(rank0[name], rank1[name], err_msg=name)
    moved = max(np.abs(single[n] - init[n]).max() for n in single if 'running' not in n)
    assert moved > 1e-4  # the comparison is about real updates
    return init, rank0, single


def test_two_workers_equal_one_process_on_the_union_of_their_batches(tmp_path):
    two, one = train_steps(tmp_path, 6, 0.001)  # 6 x 2 workers x 2 clips: the 24-clip epoch
    _, rank0, single = load_runs(two, one)
    for name in single:  # frozen BatchNorm: differences of one float32 ulp (1.2e-7)
        np.testing.assert_allclose(rank0[name], single[name], atol=1e-5, rtol=0, err_msg=name)
    used = [json.load(open(str(two / ('rank%d.json' % r)))) for r in (0, 1)]
    assert not set(used[0]) & set(used[1])
    assert sorted(used[0] + used[1]) == sorted(json.load(open(str(one / 'rank0.json'))))
    assert sorted(used[0] + used[1]) == list(range(24))


# The two runs differ in the order of their sums only. In float32, batch statistics of 4
# clips make training chaotic: those rounding differences grow about tenfold a step and
# depend on the CPU's kernels (after 2 steps 4e-6 with AVX-512, 2e-5 with AVX2), so the
# test runs in float64, whose rounding is 2^-29 of float32's: its runs agree to 2^-29 of
# the update even if float32's rounding, amplified, were as large as the update itself.
ROUNDING = 2.0 ** -29
# MXNet's BatchNorm operator holds its momentum in float32: its running statistics move
# by 1 - float32(0.9), a fraction 2.4e-7 more than SyncBatchNorm's exact 1 - 0.9.
MOMENTUM = abs((1 - float(np.float32(0.9))) / (1 - 0.9) - 1)


def test_synchronised_batch_norm_trains_like_one_process_with_batch_norm(tmp_path):
    init, rank0, single = load_runs(*train_steps(tmp_path, 2, 0.0001, '--sync-bn',
                                                 '--float64'))
    for running, rtol in ((False, ROUNDING), (True, ROUNDING + MOMENTUM)):
        names = [n for n in single if ('running' in n) == running]
        largest = max(np.abs(single[n] - init[n]).max() for n in names)
        for name in names:
            np.testing.assert_allclose(rank0[name] - init[name], single[name] - init[name],
                                       atol=rtol * largest, rtol=0, err_msg=name)


class _OneWorker(object):
    """horovod.mxnet's allreduce for a single worker."""

    @staticmethod
    def allreduce(x, average, name):
        return x.copy()


@pytest.mark.parametrize('shape', [(4, 3, 5, 6), (2, 3, 4, 5, 6)])
def test_sync_batch_norm_of_one_worker_is_batch_norm(shape, rng):
    from mxnet import autograd
    from mxnet.gluon import nn
    from gluon_dfb.nn import BatchNorm3D, synchronise_batch_norm
    x = mx.nd.array(rng.normal(2, 3, size=shape))
    weights = mx.nd.array(rng.normal(size=shape))
    results = []
    for sync in (False, True):
        layer = (nn.BatchNorm if len(shape) == 4 else BatchNorm3D)(in_channels=3)
        layer.initialize()
        layer.gamma.set_data(mx.nd.array([1, 2, 3]))
        layer.beta.set_data(mx.nd.array([.1, .2, .3]))
        if sync:
            assert synchronise_batch_norm(layer, _OneWorker) == 1
        data = x.copy()
        data.attach_grad()
        with autograd.record():
            loss = (layer(data) * weights).sum()
        loss.backward()
        results.append([layer(data), data.grad, layer.gamma.grad(), layer.beta.grad(),
                        layer.running_mean.data(), layer.running_var.data()])
    for expected, got in zip(*results):
        np.testing.assert_allclose(got.asnumpy(), expected.asnumpy(), atol=2e-5, rtol=1e-5)


@pytest.mark.parametrize('length', [24, 25])
def test_sharded_epochs_are_disjoint_and_cover_the_list(length):
    orders = []
    for epoch in (0, 1):
        parts = []
        for rank in (0, 1):
            sampler = ShardedShuffleSampler(length, seed=5, num_parts=2, part=rank)
            sampler.set_epoch(epoch)
            parts.append(list(sampler))
        assert len(parts[0]) == len(parts[1]) == -(-length // 2)  # same number of steps
        assert set(parts[0]) | set(parts[1]) == set(range(length))
        overlap = len(parts[0]) + len(parts[1]) - length  # the padding, wrapped around
        assert len(set(parts[0]) & set(parts[1])) == overlap == length % 2
        orders.append(parts[0])
    assert orders[0] != orders[1]  # reshuffled each epoch


@pytest.fixture(scope='module')
def embedded_set(tmp_path_factory):
    folder = tmp_path_factory.mktemp('embedded')
    paths = make_finegrained_set(str(folder), videos_per_class=(2, 1), seed=0, size=64,
                                 frames=8)
    return str(folder), paths


def training_command(embedded_set, out_dir, *extra):
    root, paths = embedded_set
    return [TRAIN_TSN, '--use-horovod', '--model', 'tsn_resnet18_dfb_custom',
            '--num-classes', '8', '--train-list', paths['train'], '--val-list', paths['val'],
            '--data-root', root, '--input-size', '64', '--short-side', '64',
            '--batch-size', '2', '--num-workers', '0', '--warmup-epochs', '0.5',
            '--out-dir', str(out_dir)] + list(extra)


def test_horovodrun_trains_tsn_end_to_end(embedded_set, tmp_path):
    out = tmp_path / 'out'
    run = horovodrun(training_command(embedded_set, out, '--epochs', '1'))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert sorted(os.listdir(str(out))) == [
        'best.json', 'best.params', 'curves.png', 'epoch-0000.json', 'epoch-0000.params',
        'epoch-0000.states', 'metrics.json', 'train.log']
    history = json.load(open(str(out / 'metrics.json')))
    assert len(history) == 1 and history[0]['lr'] == pytest.approx(0.02)  # 0.01 x 2
    assert 0 <= history[0]['val_top1'] <= 1 and np.isfinite(history[0]['train_loss'])
    log = open(str(out / 'train.log')).read()
    assert '2 worker(s)' in log and log.count('epoch 0:') == 1  # rank 0 alone writes


def test_a_dead_worker_ends_the_run_with_an_error(embedded_set, tmp_path):
    out = tmp_path / 'out'
    launcher = subprocess.Popen(HOROVODRUN + [sys.executable] + training_command(
        embedded_set, out, '--epochs', '50'), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    try:
        victim, deadline = None, time.time() + HANG
        while victim is None and launcher.poll() is None and time.time() < deadline:
            time.sleep(0.5)
            if os.path.exists(str(out / 'epoch-0000.json')):  # training is under way
                victim = next(p for p in psutil.Process(launcher.pid).children(recursive=True)
                              if 'train_tsn.py' in ' '.join(p.cmdline())
                              and p.environ().get('HOROVOD_RANK') == '1')
        assert victim is not None, 'the run did not start'
        victim.send_signal(signal.SIGKILL)
        output, _ = launcher.communicate(timeout=HANG)  # exits, does not hang
    finally:
        if launcher.poll() is None:
            launcher.kill()
    assert launcher.returncode != 0
    assert 'one or more processes exited with non-zero status' in output
    assert 'Process name: 1' in output
