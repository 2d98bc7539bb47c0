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
    results = run_demo(str(tmp_path), seeds=(0,), epochs=1, videos_per_class=(2, 1))
    assert set(v for _, v in results) == {'GB', 'GB+DF', 'GB+DF+LB'}
    report = (tmp_path / 'report.md').read_text()
    for variant in ('GB', 'GB+DF', 'GB+DF+LB'):
        r = results[(0, variant)]
        assert '| %s | 0 | %.1f | %.1f |' % (variant, 100 * r['top1'], 100 * r['top5']) in report
    figures = json.load(open(str(tmp_path / 'results.json')))
    assert figures['GB seed 0']['top1'] == results[(0, 'GB')]['top1']
    assert (tmp_path / 'analysis.md').exists()
    pictures = [p for p in os.listdir(str(tmp_path)) if p.endswith('.png')]
    assert 'confusion.png' in pictures and any(p.startswith('filters_') for p in pictures)
    for p in pictures:
        assert cv2.imread(str(tmp_path / p)).std() > 5, p
