"""The analysis against direct numpy computations on prediction files the test writes."""
import json
import subprocess
import sys

import cv2
import numpy as np

from gluon_dfb.analysis.report import summarize
from gluon_dfb.engine.evaluate import load_predictions, save_predictions

CLASSES = ['a1', 'a2', 'a3', 'b1', 'b2', 'c1']
GROUPS = {'group a': ['a1', 'a2', 'a3'], 'group b': ['b1', 'b2'], 'group c': ['c1']}


def write(path, rng, labels, skill, model):
    logits = rng.normal(size=(len(labels), len(CLASSES)))
    logits[np.arange(len(labels)), labels] += skill
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    save_predictions(path, probabilities, labels, ['v%d.mp4' % i for i in range(len(labels))],
                     CLASSES, '3d-10clip', model)
    return probabilities


def class_mean(predicted, labels, classes):
    """The paper's group accuracy: the mean over the classes of each one's top-1."""
    return np.mean([np.mean(predicted[labels == c] == c) for c in classes])


def test_figures_equal_numpy(tmp_path, rng):
    labels = rng.permutation(np.repeat(np.arange(6), [30, 4, 9, 7, 3, 7]))  # unequal classes
    probabilities = write(str(tmp_path / 'p.npz'), rng, labels, 1.5, 'dfb')
    s = summarize(load_predictions(str(tmp_path / 'p.npz')), GROUPS)
    predicted = probabilities.argmax(axis=1)
    assert s['top1'] == np.mean(predicted == labels)
    top5 = [labels[i] in np.argsort(-probabilities[i])[:5] for i in range(60)]
    assert s['top5'] == np.mean(top5)
    for c in range(6):
        mask = labels == c
        assert s['per_class'][c] == np.mean(predicted[mask] == c)
        for d in range(6):
            assert s['matrix'][c, d] == np.sum(mask & (predicted == d))
    assert np.isclose(s['mean_class'], np.mean([np.mean(predicted[labels == c] == c)
                                                for c in range(6)]))
    in_a = np.isin(labels, [0, 1, 2])
    pooled = np.mean(predicted[in_a] == labels[in_a])  # top-1 over the group's videos
    assert abs(class_mean(predicted, labels, [0, 1, 2]) - pooled) > 0.02  # the data tell
    assert np.isclose(s['groups']['group a'], class_mean(predicted, labels, [0, 1, 2]))
    assert np.isclose(s['groups']['group b'], class_mean(predicted, labels, [3, 4]))
    assert s['videos'] == 60 and s['protocol'] == '3d-10clip'


def test_report_with_baseline(tmp_path, rng):
    labels = rng.permutation(np.repeat(np.arange(6), [20, 5, 15, 30, 4, 6]))
    ours = write(str(tmp_path / 'ours.npz'), rng, labels, 2.0, 'dfb')
    base = write(str(tmp_path / 'base.npz'), rng, labels, 0.5, 'gb')
    groups = tmp_path / 'groups.json'
    groups.write_text(json.dumps(GROUPS))
    out = tmp_path / 'analysis'
    printed = subprocess.run([sys.executable, '-m', 'gluon_dfb.analysis', str(tmp_path / 'ours.npz'),
                              '--baseline', str(tmp_path / 'base.npz'), '--groups', str(groups),
                              '--out', str(out)], check=True, capture_output=True,
                             text=True).stdout
    top1 = np.mean(ours.argmax(axis=1) == labels)
    assert 'top-1 %.4f' % top1 in printed
    report = (out / 'report.md').read_text()
    assert '| gb | %.2f |' % (100 * np.mean(base.argmax(axis=1) == labels)) in report
    assert '3d-10clip' in report

    # the most confused pair of the baseline, with both models' counts
    b_pred, o_pred = base.argmax(axis=1), ours.argmax(axis=1)
    counts = {(i, j): np.sum((labels == i) & (b_pred == j)) for i in range(6) for j in range(6)
              if i != j}
    (i, j), count = max(counts.items(), key=lambda kv: kv[1])
    ours_count = np.sum((labels == i) & (o_pred == j))
    assert '| %s | %s | %d | %d |' % (CLASSES[i], CLASSES[j], count, ours_count) in report

    b_acc, o_acc = class_mean(b_pred, labels, [3, 4]), class_mean(o_pred, labels, [3, 4])
    assert '| group b | %.2f | %.2f | %+.2f |' % (100 * b_acc, 100 * o_acc,
                                                  100 * (o_acc - b_acc)) in report
    for png in ('confusion.png', 'confusion_group_a.png', 'confusion_group_b.png'):
        image = cv2.imread(str(out / png))
        assert image is not None and image.shape[0] > 200 and image.std() > 10, png


def test_importing_the_package_leaves_matplotlibs_backend_alone():
    """The figures are drawn without pyplot, so a notebook's backend stays its own."""
    code = ("import matplotlib; matplotlib.use('svg'); import gluon_dfb.analysis.report, "
            "gluon_dfb.analysis.filter_boxes, gluon_dfb.engine.train, "
            "gluon_dfb.inference.predict; print(matplotlib.get_backend())")
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == 'svg', done.stderr
