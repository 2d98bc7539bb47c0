"""The main job (``make demo``): the paper's ablation (table 1) on the embedded
fine-grained set, from scratch on a CPU.

Generates the set, trains GB, GB+DF and GB+DF+LB with identical budgets and seeds, tests
them, and writes ``report.md`` with the ablation table, the analysis of the full model
against the baseline (confusion matrices, per-group table, most-confused pairs) and the
pictures of where the filters fire.

    python -m gluon_dfb.demo [--out demo_out] [--seeds 0 1] [--epochs 25] [--lr 0.001]
"""
import argparse
import json
import logging
import os
import time
from types import SimpleNamespace

import numpy as np

from .analysis.filter_boxes import explain_video
from .analysis.metrics import topk_accuracy
from .analysis.report import write_report
from .data import VideoDataset, evaluation_protocol
from .data.finegrained import DETAILS, make_finegrained_set
from .engine.checkpoint import latest_checkpoint
from .engine.evaluate import evaluate_list, save_predictions
from .engine.options import parse_training_args
from .engine.train import train
from .zoo import get_model

__all__ = ['run_demo']

HEADS = (('GB', 'gb'), ('GB+DF', 'gb_df'), ('GB+DF+LB', 'gb_df_lb'))
MODEL = 'tsn_resnet18_dfb_custom'
SIZE = 32  # from scratch on 2 cores, small frames are what trains within minutes
DETAIL_HALF = 2  # the detail is 5 pixels wide
LR = 0.001


def training_options(data, out_dir, head, seed, epochs, lr=LR):
    """The one training recipe every variant gets (only the head differs)."""
    return parse_training_args('tsn', [
        '--model', MODEL, '--head', head, '--num-classes', str(data['nclass']),
        '--train-list', data['train'], '--data-root', data['root'], '--input-size', str(SIZE),
        '--short-side', str(SIZE), '--batch-size', '8', '--lr', str(lr),
        '--lr-steps', str(epochs * 3 // 4), '--epochs', str(epochs), '--num-workers', '0',
        '--seed', str(seed), '--out-dir', out_dir])


def test_model(data, run_dir, head):
    """1-clip test (3 centre frames, centre crop) of the run's last checkpoint (no model
    selection on the test videos)."""
    args = SimpleNamespace(
        model=MODEL, params=latest_checkpoint(run_dir) + '.params', num_classes=data['nclass'],
        head=head, test_list=data['val'], data_root=data['root'], frame_pattern=None,
        protocol='1clip', num_segments=3, new_length=1, new_step=1, input_size=SIZE,
        short_side=SIZE, gpus=[], num_workers=0, view_batch=0)
    probabilities, labels, paths, _ = evaluate_list(args)
    path = os.path.join(run_dir, 'predictions.npz')
    save_predictions(path, probabilities, labels, paths, data['classes'], '1clip (3 frames)',
                     head)
    return path, probabilities, labels


def fine_accuracy(probabilities, labels):
    """Accuracy of telling apart the classes of a group, given the group: the argmax
    over the true group's classes only."""
    group = labels // len(DETAILS)
    within = probabilities.reshape(len(labels), -1, len(DETAILS))[np.arange(len(labels)), group]
    return float(np.mean(within.argmax(axis=1) == labels % len(DETAILS)))


def coarse_accuracy(probabilities, labels):
    """Accuracy of the predicted class's group."""
    return float(np.mean(probabilities.argmax(axis=1) // len(DETAILS) == labels // len(DETAILS)))


def filter_pictures(data, run_dir, out_dir, videos=4):
    """Where the filters of the true class fire, for the first validation videos of
    different classes of the full model."""
    net = get_model(MODEL, nclass=data['nclass'], num_segments=1, head='gb_df_lb',
                    pretrained=latest_checkpoint(run_dir) + '.params')
    protocol = evaluation_protocol('1clip', 'tsn', num_segments=8, size=SIZE)
    dataset = VideoDataset(data['val'], protocol, root=data['root'], short_side=SIZE)
    pictures, seen = [], set()
    for i, record in enumerate(dataset.records):
        if record.label in seen or len(pictures) >= videos:
            continue
        seen.add(record.label)
        name = 'filters_class%02d.png' % record.label
        explain_video(net, dataset.path(i), record.label, os.path.join(out_dir, name),
                      '%s: the filters of its class' % data['classes'][record.label],
                      protocol, SIZE, SIZE)
        pictures.append(name)
    return pictures


def run_demo(out_dir='demo_out', seeds=(0, 1), epochs=25, videos_per_class=(16, 16), lr=LR):
    """Run the ablation; returns ``{(seed, variant): figures}`` and writes the report."""
    os.makedirs(out_dir, exist_ok=True)
    start = time.time()
    paths = make_finegrained_set(os.path.join(out_dir, 'data'), videos_per_class, seed=0,
                                 size=SIZE, frames=16, detail_half=DETAIL_HALF)  # clutter 4
    classes = open(paths['classes']).read().splitlines()
    data = dict(paths, root=os.path.join(out_dir, 'data'), classes=classes,
                nclass=len(classes))
    results = {}
    for seed in seeds:
        for variant, head in HEADS:
            run_dir = os.path.join(out_dir, 'seed%d' % seed, head)
            train(training_options(data, run_dir, head, seed, epochs, lr))
            predictions, probabilities, labels = test_model(data, run_dir, head)
            results[(seed, variant)] = dict(
                predictions=predictions, top1=topk_accuracy(probabilities, labels, 1),
                top5=topk_accuracy(probabilities, labels, 5),
                fine=fine_accuracy(probabilities, labels),
                coarse=coarse_accuracy(probabilities, labels))
            logging.getLogger('gluon_dfb').info('seed %d %s: %s', seed, variant,
                                                results[(seed, variant)])
    first = seeds[0]
    write_report(results[(first, 'GB+DF+LB')]['predictions'], out_dir,
                 results[(first, 'GB')]['predictions'], paths['groups'])
    os.replace(os.path.join(out_dir, 'report.md'), os.path.join(out_dir, 'analysis.md'))
    pictures = filter_pictures(data, os.path.join(out_dir, 'seed%d' % first, 'gb_df_lb'),
                               out_dir)
    write_demo_report(out_dir, results, seeds, epochs, lr, videos_per_class, pictures,
                      data['nclass'], time.time() - start)
    return results


def write_demo_report(out_dir, results, seeds, epochs, lr, videos_per_class, pictures, nclass,
                      seconds):
    """``report.md``: the ablation (paper table 1 style) with every measured figure."""
    lines = ['# gluon-dfb demo: the ablation on the embedded fine-grained set', '',
             '%d classes in %d groups: a group shares scene and large motion; its classes '
             'differ only in the colour of a %d-pixel square the actor carries (saturated red '
             'or blue), among a random number of dull red and blue clutter squares. %d '
             'training and %d test videos per class, %dx%d, 16 frames. TSN-ResNet18 from '
             'scratch (no pretrained weights can be downloaded here), 3 segments, %d epochs, '
             'SGD lr %g (/10 at 3/4), batch 8, identical recipe and seeds for every variant. '
             'Test: 1 clip (3 centre frames, centre crop) per video, last epoch\'s weights.'
             % (nclass, nclass // len(DETAILS), 2 * DETAIL_HALF + 1, videos_per_class[0],
                videos_per_class[1], SIZE, SIZE, epochs, lr), '',
             '*fine*: accuracy of telling apart the classes of the true group (argmax over '
             'them); *coarse*: accuracy of the predicted group.', '',
             '| variant | seed | top-1 | top-5 | fine | coarse |', '|---|---|---|---|---|---|']
    for variant, _ in HEADS:
        for seed in seeds:
            r = results[(seed, variant)]
            lines.append('| %s | %d | %.1f | %.1f | %.1f | %.1f |' % (
                variant, seed, 100 * r['top1'], 100 * r['top5'], 100 * r['fine'],
                100 * r['coarse']))
        mean = {k: np.mean([results[(s, variant)][k] for s in seeds])
                for k in ('top1', 'top5', 'fine', 'coarse')}
        lines.append('| **%s** | mean | **%.1f** | %.1f | **%.1f** | %.1f |' % (
            variant, 100 * mean['top1'], 100 * mean['top5'], 100 * mean['fine'],
            100 * mean['coarse']))
    gain = np.mean([results[(s, 'GB+DF+LB')]['top1'] - results[(s, 'GB')]['top1']
                    for s in seeds])
    lines += ['', 'GB+DF+LB - GB, top-1, mean over %d seeds: **%+.1f points** (the paper\'s '
              'claim is a gain; the aim here was 5 or more).' % (len(seeds), 100 * gain), '',
              '**Read with care:** the comparison depends on the learning rate. The full '
              'model\'s loss has four cross-entropy terms, so at the same rate its trunk takes '
              'larger steps; at lr 0.003 and 0.01 GB alone gets this set entirely right within '
              'the same budget and the gain vanishes or reverses (README.rst, "The demo", has '
              'the figures; `python -m gluon_dfb.demo --lr 0.01` reproduces them).', '',
              'Analysis of GB+DF+LB against GB (seed %d): [analysis.md](analysis.md).'
              % seeds[0], '', '## Where the filters fire (GB+DF+LB, seed %d)' % seeds[0], '']
    lines += ['![%s](%s)' % (p, p) for p in pictures]
    lines += ['', 'Total time: %.0f s.' % seconds]
    with open(os.path.join(out_dir, 'report.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    with open(os.path.join(out_dir, 'results.json'), 'w') as f:
        json.dump({'%s seed %d' % (v, s): {k: r[k] for k in ('top1', 'top5', 'fine', 'coarse')}
                   for (s, v), r in results.items()}, f, indent=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', default='demo_out')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--epochs', type=int, default=25)
    parser.add_argument('--lr', type=float, default=LR)
    parser.add_argument('--videos-per-class', type=int, nargs=2, default=[16, 16])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(message)s')
    run_demo(args.out, tuple(args.seeds), args.epochs, tuple(args.videos_per_class), args.lr)
    print(open(os.path.join(args.out, 'report.md')).read())


if __name__ == '__main__':
    main()
