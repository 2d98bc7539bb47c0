"""One command for the paper's analysis of per-video predictions (sec. 5):

    python -m gluon_dfb.analysis predictions.npz [--baseline gb_predictions.npz] \
        [--groups groups.json] --out analysis/

writes ``report.md`` (top-1, top-5, per-class and mean-class accuracy, per-group accuracy
as the mean of the group's per-class accuracies; with a baseline, the per-group
improvement table and the most-confused pairs with both models' counts) and the
confusion matrices as PNG, whole and per group.
"""
import argparse
import json
import os
import re

import numpy as np

from ..arguments import output_folder, positive_int
from ..engine.evaluate import load_predictions
from ..errors import BadInputError, MissingFileError
from .metrics import (confusion_matrix, group_accuracy, most_confused_pairs,
                      per_class_accuracy, topk_accuracy)
from .plots import plot_confusion

__all__ = ['summarize', 'write_report']


def class_names(predictions, source):
    """The class names of a predictions file (its column numbers if it has none);
    BadInputError naming ``source`` if they do not fit its probabilities."""
    nclass = predictions['probabilities'].shape[1]
    names = [str(c) for c in predictions['classes']] or [str(i) for i in range(nclass)]
    if len(names) != nclass:
        raise BadInputError('%s names %d classes for probabilities of %d: its class list '
                            'is another model\'s' % (source, len(names), nclass))
    return names


def check_groups(groups, names, source):
    """BadInputError naming ``source`` if a group names a class the predictions lack."""
    unknown = sorted({m for members in groups.values() for m in members} - set(names))
    if unknown:
        raise BadInputError('%s names %d classes that are not in the predictions: %s' % (
            source, len(unknown), ', '.join(repr(u) for u in unknown[:5])))


def summarize(predictions, groups=None):
    """The figures of one predictions file (see :func:`load_predictions`)."""
    probabilities, labels = predictions['probabilities'], predictions['labels']
    nclass = probabilities.shape[1]
    names = class_names(predictions, predictions['model'])
    matrix = confusion_matrix(labels, probabilities.argmax(axis=1), nclass)
    per_class = per_class_accuracy(matrix)
    summary = {'model': predictions['model'], 'protocol': predictions['protocol'],
               'videos': int(len(labels)), 'names': names, 'matrix': matrix,
               'top1': topk_accuracy(probabilities, labels, 1),
               'top5': topk_accuracy(probabilities, labels, 5),
               'per_class': per_class, 'mean_class': float(np.nanmean(per_class))}
    if groups:
        summary['groups'] = group_accuracy(matrix, groups, {n: i for i, n in enumerate(names)})
    return summary


def read_json(path):
    """A JSON file's content; UserError naming it if it is missing or not JSON."""
    if not os.path.isfile(path):
        raise MissingFileError('%s: no such file' % path)
    try:
        with open(path, encoding='utf-8-sig') as f:
            return json.load(f)
    except ValueError as err:
        raise BadInputError('%s is not JSON: %s' % (path, err)) from None


def _slug(text):
    return re.sub(r'[^a-z0-9]+', '_', text.lower()).strip('_')


def write_report(predictions_file, out_dir, baseline_file=None, groups_file=None, pairs=10):
    """Write ``report.md`` and the PNGs; returns the summaries (model, baseline).
    Inputs that do not fit together are refused before anything is written."""
    loaded = {f: load_predictions(f) for f in filter(None, (predictions_file, baseline_file))}
    names = [class_names(predictions, source) for source, predictions in loaded.items()][0]
    if baseline_file and not np.array_equal(loaded[baseline_file]['labels'],
                                            loaded[predictions_file]['labels']):
        raise BadInputError('%s and %s are not predictions of the same videos' % (
            baseline_file, predictions_file))
    groups = read_json(groups_file) if groups_file else None
    if groups:
        check_groups(groups, names, groups_file)
    ours = summarize(loaded[predictions_file], groups)
    base = summarize(loaded[baseline_file], groups) if baseline_file else None
    os.makedirs(out_dir, exist_ok=True)
    names = ours['names']
    lines = ['# Analysis of %s' % ours['model'], '',
             'Test protocol: **%s**, %d videos.' % (ours['protocol'], ours['videos']), '',
             '| model | top-1 | top-5 | mean class |', '|---|---|---|---|']
    for s in filter(None, (base, ours)):
        lines.append('| %s | %.2f | %.2f | %.2f |' % (s['model'], 100 * s['top1'],
                                                      100 * s['top5'], 100 * s['mean_class']))
    plot_confusion(ours['matrix'], names, os.path.join(out_dir, 'confusion.png'),
                   '%s (%s)' % (ours['model'], ours['protocol']))
    lines += ['', '![confusion matrix](confusion.png)', '', '## Per-class accuracy', '',
              '| class | %s%s |' % ('baseline | ' if base else '', 'accuracy'),
              '|---|%s---|' % ('---|' if base else '')]
    for i, name in enumerate(names):
        lines.append('| %s | %s%.2f |' % (
            name, '%.2f | ' % (100 * base['per_class'][i]) if base else '',
            100 * ours['per_class'][i]))
    if groups:
        lines += ['', '## Per group (parent category)', '',
                  "A group's accuracy is the mean of its classes' top-1 accuracies "
                  '(paper sec. 5.2), not the top-1 over its videos.', '',
                  '| group | %saccuracy%s |' % ('baseline | ' if base else '',
                                                ' | improvement' if base else ''),
                  '|---|---|%s' % ('---|---|' if base else '')]
        order = sorted(groups, key=lambda g: -(ours['groups'][g] - base['groups'][g])
                       if base else g)
        for g in order:
            if base:
                lines.append('| %s | %.2f | %.2f | %+.2f |' % (
                    g, 100 * base['groups'][g], 100 * ours['groups'][g],
                    100 * (ours['groups'][g] - base['groups'][g])))
            else:
                lines.append('| %s | %.2f |' % (g, 100 * ours['groups'][g]))
            idx = [names.index(m) for m in groups[g] if m in names]
            png = 'confusion_%s.png' % _slug(g)
            plot_confusion(ours['matrix'][np.ix_(idx, idx)], [names[i] for i in idx],
                           os.path.join(out_dir, png), g)
        lines += [''] + ['![%s](confusion_%s.png)' % (g, _slug(g)) for g in groups]
    reference = base or ours
    lines += ['', '## Most confused pairs%s' % (' (of the baseline)' if base else ''), '',
              '| true class | predicted as | %s%s |' % ('baseline | ' if base else '', 'videos'),
              '|---|---|%s---|' % ('---|' if base else '')]
    for i, j, count in most_confused_pairs(reference['matrix'], pairs):
        lines.append('| %s | %s | %s%d |' % (names[i], names[j], '%d | ' % count if base else '',
                                             ours['matrix'][i, j]))
    with open(os.path.join(out_dir, 'report.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return ours, base


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('predictions')
    parser.add_argument('--baseline', help="a baseline's predictions on the same videos")
    parser.add_argument('--groups', help='JSON: group name -> class names')
    parser.add_argument('--pairs', type=positive_int, default=10)
    parser.add_argument('--out', type=output_folder, default='analysis')
    args = parser.parse_args(argv)
    ours, base = write_report(args.predictions, args.out, args.baseline, args.groups,
                              args.pairs)
    print('%s (%s, %d videos): top-1 %.4f, top-5 %.4f, mean class %.4f; report in %s' % (
        ours['model'], ours['protocol'], ours['videos'], ours['top1'], ours['top5'],
        ours['mean_class'], os.path.join(args.out, 'report.md')))
