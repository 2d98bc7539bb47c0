"""The ablation's protocol: the rate is chosen on validation (never on test), grids widen
at an edge, the splits are disjoint, and a tiny ablation reports what its runs measured."""
import copy
import json
import os
import shutil

import cv2
import decord
import mxnet as mx
import numpy as np
import pytest

from gluon_dfb.ablation import DEFAULTS, run_ablation
from gluon_dfb.ablation.experiment import cache_features, prepare
from gluon_dfb.ablation.protocol import chosen_rows, sweep
from gluon_dfb.ablation.runs import probe_run
from gluon_dfb.ablation.selection import choose_rate, edge_rates, next_rate
from gluon_dfb.analysis.metrics import coarse_accuracy, fine_accuracy, group_index
from gluon_dfb.data import read_video_list
from gluon_dfb.data.finegrained import make_finegrained_set


def planted(val, test, nll=None):
    """Runs whose validation and test top-1 are given per rate."""
    nll = nll or {lr: 1.0 for lr in val}
    return {lr: {'val': {'top1': val[lr], 'nll': nll[lr]}, 'test': {'top1': test[lr]}}
            for lr in val}


def test_rate_is_the_validation_argmax_never_the_test_one():
    runs = planted({0.001: 0.6, 0.003: 0.8, 0.01: 0.7}, {0.001: 0.9, 0.003: 0.5, 0.01: 0.95})
    assert choose_rate(runs) == 0.003
    tied = planted({0.001: 0.8, 0.003: 0.8, 0.01: 0.8}, {0.001: 0.1, 0.003: 0.2, 0.01: 0.9},
                   nll={0.001: 0.7, 0.003: 0.5, 0.01: 0.6})
    assert choose_rate(tied) == 0.003  # ties: lower validation NLL, whatever test says


def test_grid_widens_beyond_a_chosen_edge():
    assert [next_rate(r) for r in (0.001, 0.003, 0.01, 0.03)] == [0.003, 0.01, 0.03, 0.1]
    assert [next_rate(r, up=False) for r in (0.001, 0.003, 0.1)] == [0.0003, 0.001, 0.03]
    assert edge_rates([0.003, 0.01, 0.03], {0.01}) == []
    assert edge_rates([0.003, 0.01, 0.03], {0.03, 0.01}) == [0.1]
    assert edge_rates([0.003, 0.01, 0.03], {0.003, 0.03}) == [0.001, 0.1]


def fake_run(job):
    """A run whose validation top-1 peaks at lr 0.1 for seed 0 and at 0.01 for seed 1,
    for every head (test peaks at 0.001)."""
    _, head, lr, seed = job
    return {'val': {'top1': -abs(np.log10(lr) + 1 + seed), 'nll': 0.0},
            'test': {'top1': -abs(np.log10(lr) + 3)}}


def test_sweep_widens_each_seed_until_its_choice_is_inside():
    results, grids = sweep(fake_run, {}, [0.003, 0.01], seeds=(0, 1), processes=1, widen=3)
    for head in ('gb', 'gb_df', 'gb_df_lb'):
        assert grids[(head, 0)] == [0.003, 0.01, 0.03, 0.1, 0.3]  # 0.1 chosen, inside: stops
        assert grids[(head, 1)] == [0.003, 0.01, 0.03]  # 0.01 chosen, inside after one
    assert sorted(results) == sorted((head, lr, seed) for (head, seed), rates in grids.items()
                                     for lr in rates)
    rows = chosen_rows(results, grids, (0, 1))
    assert all([(seed, lr) for seed, lr, _ in rs] == [(0, 0.1), (1, 0.01)]
               for rs in rows.values())


def test_fine_and_coarse_accuracy_against_numpy(rng):
    groups = {'a': ['x', 'y'], 'b': ['z', 'w', 'v']}
    group_of = group_index(groups, ['x', 'y', 'z', 'w', 'v'])
    assert group_of.tolist() == [0, 0, 1, 1, 1]
    probabilities = rng.uniform(size=(40, 5))
    labels = rng.randint(0, 5, 40)
    fine = np.mean([np.flatnonzero(group_of == group_of[l])[
        probabilities[i, group_of == group_of[l]].argmax()] == l for i, l in enumerate(labels)])
    coarse = np.mean(group_of[probabilities.argmax(axis=1)] == group_of[labels])
    assert fine_accuracy(probabilities, labels, group_of) == fine
    assert coarse_accuracy(probabilities, labels, group_of) == coarse


def test_train_val_test_are_disjoint_videos(tmp_path):
    paths = make_finegrained_set(str(tmp_path), (2, 2, 2), seed=0, size=32, frames=4)
    seen = {}
    for split in ('train', 'val', 'test'):
        for record in read_video_list(paths[split]):
            frames = decord.VideoReader(str(tmp_path / record.path)).get_batch(
                range(4)).asnumpy()
            assert record.path not in seen
            seen[record.path] = frames
    contents = list(seen.values())
    assert len(contents) == 3 * 2 * 8
    assert all(not np.array_equal(a, b) for i, a in enumerate(contents)
               for b in contents[i + 1:])


def tiny_config():
    config = copy.deepcopy(DEFAULTS)
    config.update(videos_per_class=(2, 2, 2), seeds=(0,), lrs=(0.001, 0.01), probe_seeds=(0, 1),
                  probe_lrs=(0.01,), widen=1, processes=2)
    config['recipe'].update(input_size=64, epochs=1, lr_steps=[1])
    config['probe'].update(epochs=1, lr_steps=[1], frames=4)
    config['pretrain'].update(steps=2, batch_size=8, heldout=64, warmup_steps=1)
    return config


@pytest.mark.slow
def test_tiny_ablation_reports_what_its_runs_measured(tmp_path, monkeypatch):
    monkeypatch.setenv('GLUON_DFB_MODEL_ROOT', str(tmp_path / 'store'))
    out = str(tmp_path / 'out')
    results = run_ablation(out, tiny_config())
    saved = json.load(open(os.path.join(out, 'results.json')))
    report = open(os.path.join(out, 'report.md')).read()
    for section, seeds in (('finetune', (0,)), ('probe', (0, 1))):
        part = saved[section]
        for variant, rows in part['chosen'].items():
            head = {'GB': 'gb', 'GB+DF': 'gb_df', 'GB+DF+LB': 'gb_df_lb'}[variant]
            assert [r['seed'] for r in rows] == list(seeds)
            for row in rows:
                runs = {lr: part['runs']['%s lr %g seed %d' % (head, lr, row['seed'])]
                        for lr in part['grids'][head][str(row['seed'])]}
                best = max(r['val']['top1'] for r in runs.values())
                assert runs[row['lr']]['val']['top1'] == best  # chosen on validation
                assert runs[row['lr']]['test'] == row['test']
                assert '| %s | %d | %g | %.1f | %.1f |' % (
                    variant, row['seed'], row['lr'], 100 * row['val']['top1'],
                    100 * row['test']['top1']) in report
    # the reported figures are those of the saved predictions
    gb = saved['finetune']['chosen']['GB'][0]['test']
    predictions = np.load(gb['predictions'])
    assert gb['top1'] == np.mean(predictions['probabilities'].argmax(1) == predictions['labels'])
    assert results['trunk']['sha1'] in open(os.path.join(out, 'results.json')).read()
    for picture in ('analysis/confusion.png', 'analysis/confusion_gb.png', 'filters_class00.png'):
        assert cv2.imread(os.path.join(out, picture)).std() > 5, picture
    runs = len(saved['finetune']['runs']) + len(saved['probe']['runs'])
    assert 'it trained %d of the %d runs and took the other 0' % (runs, runs) in report
    again = run_ablation(out, tiny_config())  # a second invocation retrains nothing
    assert again['finetune']['runs'] == results['finetune']['runs']
    assert 'it trained 0 of the %d runs and took the other %d' % (runs, runs) in open(
        os.path.join(out, 'report.md')).read()


@pytest.mark.slow
def test_probe_run_is_a_function_of_its_job(tmp_path, monkeypatch):
    """The same probe job gives the same run whatever the process drew before it (a
    worker runs several jobs, in an order that varies from run to run)."""
    monkeypatch.setenv('GLUON_DFB_MODEL_ROOT', str(tmp_path / 'store'))
    setup = prepare(str(tmp_path / 'out'), tiny_config())
    cache_features(setup)
    job = (setup, 'gb_df_lb', 0.01, 0)
    first = probe_run(job)
    shutil.rmtree(first['run_dir'])  # else the kept result is returned
    mx.random.uniform(shape=(1000,))
    np.random.uniform(size=1000)
    second = probe_run(job)
    assert second['train_loss'] == first['train_loss']
    assert second['val'] == first['val'] and second['test'] == first['test']
