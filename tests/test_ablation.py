"""The ablation's protocol: the rate is chosen on validation (never on test), grids widen
at an edge, the splits are disjoint, and a tiny ablation reports what its runs measured."""
import copy
import glob
import json
import os
import shutil

import cv2
import decord
import mxnet as mx
import numpy as np
import pytest

from gluon_dfb.ablation import DEFAULTS, budget, command, experiment, run_ablation, runs
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
    # the verdict opens the report, its differences recomputed from the prediction files
    verdict = saved['finetune']['verdict']
    correct = {v: [np.mean(p['probabilities'].argmax(1) == p['labels']) for p in (
        np.load(r['test']['predictions']) for r in saved['finetune']['chosen'][v])]
        for v in ('GB', 'GB+DF+LB')}
    np.testing.assert_allclose(verdict['per_seed'],
                               np.subtract(correct['GB+DF+LB'], correct['GB']), atol=1e-12)
    low, high = verdict['interval']
    assert low <= verdict['mean'] <= high
    assert report.split('\n')[2].startswith('**Verdict**: ')
    assert '%+.1f points' % (100 * verdict['mean']) in report.split('\n')[2]
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
    worker runs several jobs, in an order that varies from run to run). Equal to 1e-5:
    with more than one OpenMP thread, oneDNN's sums may round differently from run to run;
    a run drawn from other random numbers differs by far more."""
    monkeypatch.setenv('GLUON_DFB_MODEL_ROOT', str(tmp_path / 'store'))
    setup = prepare(str(tmp_path / 'out'), tiny_config())
    cache_features(setup)
    job = (setup, 'gb_df_lb', 0.01, 0)
    first = probe_run(job)
    shutil.rmtree(first['run_dir'])  # else the kept result is returned
    mx.random.uniform(shape=(1000,))
    np.random.uniform(size=1000)
    second = probe_run(job)
    assert second['train_loss'] == pytest.approx(first['train_loss'], rel=1e-5)
    for split in ('val', 'test'):
        assert second[split] == pytest.approx(first[split], rel=1e-5)


@pytest.mark.slow
def test_ablation_on_a_folder_of_class_folders(class_folders, tmp_path, capsys):
    """The user's data through the command: split, trained, tested; the verdict equals the
    one recomputed from the runs' prediction files, and a second invocation trains nothing."""
    out = str(tmp_path / 'out')
    argv = ['--data', class_folders, '--split', '0.6', '0.2', '0.2', '--out', out,
            '--input-size', '32', '--epochs', '1', '--batch-size', '3', '--seeds', '0', '1',
            '--lrs', '0.01', '--widen', '0', '--no-probe', '--variants', 'GB', 'GB+DF+LB',
            '--processes', '1']
    command.main(argv)
    printed = capsys.readouterr()
    assert 'no --pretrained-base: every variant starts from a RANDOM trunk' in printed.err
    report = open(os.path.join(out, 'report.md')).read()
    assert printed.out.startswith(report)
    assert 'broken.mp4' in open(os.path.join(out, 'lists', 'unreadable.txt')).read()
    assert [len(read_video_list(os.path.join(out, 'lists', s + '.txt')))
            for s in ('train', 'val', 'test')] == [9, 3, 3]
    runs = {(head, seed): os.path.join(out, 'finetune', head, 'lr0.01', 'seed%d' % seed)
            for head in ('gb', 'gb_df_lb') for seed in (0, 1)}
    assert not os.path.exists(os.path.join(out, 'finetune', 'gb_df'))  # not asked for
    correct = {}
    for key, run_dir in runs.items():
        predictions = np.load(os.path.join(run_dir, 'test_predictions.npz'))
        assert sorted(predictions['labels']) == [0, 1, 2]
        correct[key] = predictions['probabilities'].argmax(1) == predictions['labels']
    per_seed = [np.mean(correct[('gb_df_lb', s)]) - np.mean(correct[('gb', s)]) for s in (0, 1)]
    verdict = json.load(open(os.path.join(out, 'results.json')))['finetune']['verdict']
    np.testing.assert_allclose(verdict['per_seed'], per_seed, atol=1e-12)
    first = report.split('\n')[2]
    assert first.startswith('**Verdict**: ') and '%+.1f points' % (50 * sum(per_seed)) in first
    assert 'fine' not in report.split('## Fine-tuning')[1].split('\n')[4]  # no groups given
    assert '**Trunk**: none' in report
    command.main(argv)  # resumed: nothing trains again
    assert 'it trained 0 of the 4 runs and took the other 4' in open(
        os.path.join(out, 'report.md')).read()


@pytest.mark.slow
def test_budget_drops_runs_and_says_which(class_folders, tmp_path, capsys, monkeypatch):
    """The grid is fitted to the budget from the first run's measured time (set here to 60 s
    a run, so that what fits does not depend on this machine's speed); the first run is
    kept, the dropped ones are not run, and the report says what was dropped."""
    measured = []

    def at_60_seconds_a_run(run_seconds, *args):
        measured.append(run_seconds)
        return budget.fit_budget(60, *args)
    monkeypatch.setattr(experiment, 'fit_budget', at_60_seconds_a_run)
    out = str(tmp_path / 'out')
    command.main(['--data', class_folders, '--out', out, '--input-size', '32', '--epochs', '1',
                  '--batch-size', '3', '--seeds', '0', '1', '--lrs', '0.003', '0.01', '0.03',
                  '--widen', '1', '--no-probe', '--variants', 'GB', 'GB+DF+LB',
                  '--processes', '1', '--budget-minutes', '4'])
    assert len(measured) == 1 and measured[0] > 0
    trained = sorted(os.path.relpath(os.path.dirname(p), out) for p in glob.glob(
        os.path.join(out, 'finetune', '*', '*', '*', 'result.json')))
    assert trained == [os.path.join('finetune', head, 'lr0.01', 'seed%d' % seed)
                       for head in ('gb', 'gb_df_lb') for seed in (0, 1)]
    report = open(os.path.join(out, 'report.md')).read()
    assert ('--budget-minutes 4: one fine-tuning run took 60 s (1 at once), so 4 runs fit; '
            'kept 4 runs: rates 0.01, seeds 0 1, widening off; dropped rates 0.003 0.03, '
            'widening.') in report
    assert 'it trained 3 of the 4 runs and took the other 1' in report  # the timing run


@pytest.mark.slow
def test_ablation_of_an_i3d_model(class_folders, tmp_path, capsys):
    """An I3D model goes through the same protocol (its clip from the recipe flags); the
    probe, which samples TSN frames, is refused unless left out."""
    argv = ['--data', class_folders, '--out', str(tmp_path / 'out'), '--model',
            'i3d_resnet18_dfb_custom', '--input-size', '32', '--new-length', '4',
            '--new-step', '1', '--epochs', '1', '--batch-size', '3', '--seeds', '0',
            '--lrs', '0.01', '--widen', '0', '--variants', 'GB', 'GB+DF+LB', '--processes', '1']
    with pytest.raises(SystemExit):
        command.parse_config(argv)
    assert 'with an I3D --model add --no-probe' in capsys.readouterr().err
    command.main(argv + ['--no-probe'])
    report = open(str(tmp_path / 'out' / 'report.md')).read()
    assert report.split('\n')[2].startswith('**Verdict**: ')
    assert 'one clip of 4 frames 1 apart' in report
    predictions = np.load(str(tmp_path / 'out' / 'finetune' / 'gb_df_lb' / 'lr0.01' / 'seed0' /
                              'test_predictions.npz'))
    assert predictions['probabilities'].shape == (3, 3)


def test_a_diverged_run_is_scored_as_chance_and_the_grid_goes_on(tmp_path, monkeypatch):
    """A rate at which training diverges does not end the ablation: its run is kept as
    uniform predictions (chance), named, and a rate whose run learned is chosen over it."""
    lists = {}
    for split, labels in (('train', [0, 1, 2]), ('val', [0, 1, 2, 2]), ('test', [1, 1, 2, 0])):
        lists[split] = str(tmp_path / ('%s.txt' % split))
        with open(lists[split], 'w') as f:
            f.writelines('%s_%d.mp4 16 %d\n' % (split, i, label) for i, label in enumerate(labels))
    setup = {'out': str(tmp_path / 'out'), 'key': {}, 'model': 'tsn_resnet18_dfb_custom',
             'nclass': 3, 'classes': ['a', 'b', 'c'], 'group_of': [0, 0, 1], 'trunk': None,
             'data': dict(lists, root=str(tmp_path)), 'recipe': DEFAULTS['recipe']}

    def diverging(config):
        raise runs.TrainingDiverged('epoch 0: the run diverged (the training loss is nan)')
    monkeypatch.setattr(runs, 'train', diverging)
    result = runs.finetune_run((setup, 'gb_df_lb', 0.1, 0))
    assert 'the training loss is nan' in result['diverged']
    assert result['val']['top1'] == pytest.approx(0.25)  # argmax of uniform: class 0
    assert result['test']['nll'] == pytest.approx(np.log(3))
    saved = np.load(result['test']['predictions'])
    np.testing.assert_array_equal(saved['labels'], [1, 1, 2, 0])
    np.testing.assert_allclose(saved['probabilities'], 1 / 3)
    learned = {'val': {'top1': 0.5, 'nll': 0.9}}
    assert choose_rate({0.1: result, 0.03: learned}) == 0.03
    kept = json.load(open(os.path.join(result['run_dir'], 'result.json')))
    assert kept['diverged'] == result['diverged']


def test_clip_grad_reaches_every_run_and_keys_only_runs_that_clip(class_folders, tmp_path):
    """``--clip-grad`` is a recipe flag of every fine-tuning run; off, the recipe (so the
    runs' keys, on which resuming depends) is as it was before the flag existed."""
    argv = ['--data', class_folders, '--out', str(tmp_path / 'out')]
    _, plain = command.parse_config(argv)
    _, clipped = command.parse_config(argv + ['--clip-grad', '2'])
    assert 'clip_grad' not in plain['recipe']
    assert clipped['recipe'] == dict(plain['recipe'], clip_grad=2.0)
    setup = {'model': 'tsn_resnet18_dfb_custom', 'nclass': 3, 'trunk': None,
             'data': {'train': 'train.txt', 'root': str(tmp_path)}}
    assert runs.training_config(dict(setup, recipe=clipped['recipe']), 'gb_df_lb', 0.03, 0,
                                'OUT').clip_grad == 2.0
    assert runs.training_config(dict(setup, recipe=plain['recipe']), 'gb', 0.03, 0,
                                'OUT').clip_grad == 0.0
