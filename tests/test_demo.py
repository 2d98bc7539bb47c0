"""The main job on a small budget: every variant trains and is tested, the report and
its pictures are written; the demo's accuracies against numpy."""
import json
import os

import cv2
import numpy as np

from gluon_dfb.demo import coarse_accuracy, fine_accuracy, run_demo


def test_fine_and_coarse_accuracy(rng):
    labels = np.array([0, 1, 2, 3, 6, 7])
    probabilities = rng.uniform(size=(6, 8))
    probabilities[0, [0, 1]] = [0.9, 0.2]    # right within its group
    probabilities[1, [0, 1]] = [0.95, 0.1]   # wrong within its group
    fine = np.mean([probabilities[i, 2 * (l // 2):2 * (l // 2) + 2].argmax() == l % 2
                    for i, l in enumerate(labels)])
    assert fine_accuracy(probabilities, labels) == fine
    coarse = np.mean(probabilities.argmax(axis=1) // 2 == labels // 2)
    assert coarse_accuracy(probabilities, labels) == coarse


def test_small_demo_writes_its_report(tmp_path):
    results = run_demo(str(tmp_path), seeds=(0,), epochs=1, videos_per_class=(2, 1),
                       lr=0.001, control_lrs=(0.003,), control_variants=('GB', 'GB+DF+LB'))
    assert set(results) == {(0.001, 0, v) for v in ('GB', 'GB+DF', 'GB+DF+LB')} | {
        (0.003, 0, 'GB'), (0.003, 0, 'GB+DF+LB')}
    report = (tmp_path / 'report.md').read_text()
    for (lr, seed, variant), r in results.items():
        assert '| %s | %g | 0 | %.1f | %.1f |' % (variant, lr, 100 * r['top1'],
                                                  100 * r['top5']) in report
        # the figures are those of the predictions the run saved
        saved = np.load(r['predictions'])
        assert r['top1'] == np.mean(saved['probabilities'].argmax(axis=1) == saved['labels'])
    gains = {lr: results[(lr, 0, 'GB+DF+LB')]['top1'] - results[(lr, 0, 'GB')]['top1']
             for lr in (0.001, 0.003)}
    for lr, gain in gains.items():
        assert '- at lr %g: **%+.1f points**' % (lr, 100 * gain) in report
    best = {v: max((0.001, 0.003), key=lambda lr: results[(lr, 0, v)]['top1'])
            for v in ('GB', 'GB+DF+LB')}
    assert '(GB at %g, GB+DF+LB at %g; ' % (best['GB'], best['GB+DF+LB']) in report
    figures = json.load(open(str(tmp_path / 'results.json')))
    assert figures['GB lr 0.003 seed 0']['top1'] == results[(0.003, 0, 'GB')]['top1']
    assert (tmp_path / 'analysis.md').exists()
    pictures = [p for p in os.listdir(str(tmp_path)) if p.endswith('.png')]
    assert 'confusion.png' in pictures and any(p.startswith('filters_') for p in pictures)
    for p in pictures:
        assert cv2.imread(str(tmp_path / p)).std() > 5, p
