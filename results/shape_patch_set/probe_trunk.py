"""What a trunk's frozen stage-4 features tell apart on a set of class folders: a ridge
read-out of their average (over 3 centre frames and the cells) fitted on two thirds of
the videos of the classes named, its accuracy on the other third.

    python results/shape_patch_set/probe_trunk.py TRUNK.params DATA \
        --classes "triangle flat" "ring clockwise" [--videos 60] [--seed 0]
"""
import argparse
import os
import tempfile

import numpy as np

from gluon_dfb import get_model
from gluon_dfb.engine.head_probe import stage4_features


def video_features(trunk, data, classes, videos):
    """``(features (n, C4), labels (n,))`` of the first ``videos`` videos of each class."""
    lines = []
    for label, name in enumerate(classes):
        files = sorted(f for f in os.listdir(os.path.join(data, name)) if f.endswith('.mp4'))
        lines += ['%s/%s 16 %d\n' % (name, f, label) for f in files[:videos]]
    with tempfile.NamedTemporaryFile('w', suffix='.txt') as listed:
        listed.writelines(lines)
        listed.flush()
        net = get_model('tsn_resnet18_dfb_custom', nclass=len(classes), num_segments=1,
                        pretrained_base=trunk)
        features, labels = stage4_features(net, listed.name, data, 3, 96, 96)
    return features.mean(axis=(1, 3, 4)), labels


def readout_accuracy(features, labels, seed=0, ridge=10.0):
    """Held-out accuracy of a ridge regression onto one-hot labels (standardised features,
    a bias), fitted on a seeded two thirds of the videos."""
    order = np.random.RandomState(seed).permutation(len(labels))
    train, test = order[:len(order) * 2 // 3], order[len(order) * 2 // 3:]
    mean, std = features[train].mean(0), features[train].std(0) + 1e-6
    x = np.hstack([(features - mean) / std, np.ones((len(labels), 1))])
    y = np.eye(labels.max() + 1)[labels]
    weights = np.linalg.solve(x[train].T @ x[train] + ridge * np.eye(x.shape[1]),
                              x[train].T @ y[train])
    return float(np.mean((x[test] @ weights).argmax(1) == labels[test])), len(test)


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('trunk')
    parser.add_argument('data')
    parser.add_argument('--classes', nargs='+', required=True)
    parser.add_argument('--videos', type=int, default=60)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    accuracy, count = readout_accuracy(*video_features(args.trunk, args.data, args.classes,
                                                       args.videos), seed=args.seed)
    print('%s: %.1f%% of %d held-out videos (chance %.1f%%)' % (
        ' vs '.join(args.classes), 100 * accuracy, count, 100 / len(args.classes)))
