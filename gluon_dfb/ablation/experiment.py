"""The paper's ablation (table 1) in a miniature of its regime: a proxy-pretrained
ResNet-18 trunk, 96-pixel frames (stage 5 has 3x3 cells), the embedded fine-grained
set split into train, val and test, every variant at every rate of a grid and several
seeds, the rate chosen on val; fine-tuning rows and a head-only probe."""
import inspect
import json
import logging
import os
import time

import numpy as np

from ..analysis.filter_boxes import explain_video
from ..analysis.metrics import group_index
from ..analysis.plots import plot_confusion
from ..analysis.report import write_report as write_analysis
from ..data import evaluation_protocol, read_video_list
from ..data.finegrained import make_finegrained_set, render_video
from ..engine.head_probe import stage4_features
from ..engine.pretrain import stored_trunk
from ..zoo import get_model
from .protocol import chosen_rows, sweep
from ..engine.config import config_argv
from .runs import VARIANTS, finetune_run, probe_run, training_config
from .tables import chosen_table, gain_lines, grid_table, summary

__all__ = ['DEFAULTS', 'prepare', 'run_ablation']

logger = logging.getLogger(__name__)

#: What the ablation is a function of (``python -m gluon_dfb.ablation`` flags).
DEFAULTS = dict(
    model='tsn_resnet18_dfb_custom', videos_per_class=(32, 32, 32), data_seed=0,
    frames=16, render={},
    recipe=dict(input_size=96, num_segments=3, batch_size=8, epochs=4, lr_steps=[3]),
    probe=dict(epochs=6, lr_steps=[4], frames=8),
    pretrain=dict(depth=18, input_size=32, steps=600),
    seeds=(0, 1, 2), lrs=(0.003, 0.01, 0.03),
    probe_seeds=(0, 1, 2), probe_lrs=(0.003, 0.01, 0.03), widen=2,
    processes=2)


def prepare(out, config, root=None, splits=('train', 'val', 'test')):
    """The pretrained trunk (made once, kept in the weight store) and the data set, as
    the ``setup`` the runs take."""
    trunk, trunk_info = stored_trunk(root, **config['pretrain'])
    folder = os.path.join(out, 'data')
    counts = tuple(config['videos_per_class'])
    data = make_finegrained_set(folder, counts, seed=config['data_seed'],
                                size=config['recipe']['input_size'], frames=config['frames'],
                                **config['render'])
    data['root'] = folder
    classes = open(data['classes']).read().splitlines()
    groups = json.load(open(data['groups']))
    key = {k: config[k] for k in ('model', 'videos_per_class', 'data_seed', 'frames', 'render',
                                  'recipe', 'probe')}
    key['trunk_sha1'] = trunk_info['sha1']
    return {'out': out, 'key': json.loads(json.dumps(key)), 'model': config['model'],
            'nclass': len(classes), 'classes': classes,
            'group_of': group_index(groups, classes).tolist(), 'data': data,
            'trunk': trunk, 'trunk_info': trunk_info, 'recipe': config['recipe'],
            'probe': config['probe']}


def cache_features(setup):
    """Stage-4 features of the frozen trunk for every split, computed once:
    ``setup['features']``, an npz of ``{split}_features`` and ``{split}_labels``."""
    path = os.path.join(setup['out'], 'probe', 'stage4_features.npz')
    key = json.dumps(setup['key'], sort_keys=True)
    if os.path.exists(path):
        with np.load(path) as cached:
            if str(cached['key']) != key:
                os.remove(path)
    if not os.path.exists(path):
        net = get_model(setup['model'], nclass=setup['nclass'], num_segments=1,
                        pretrained_base=setup['trunk'])
        arrays = {'key': np.array(key)}
        for split in ('train', 'val', 'test'):
            features, labels = stage4_features(
                net, setup['data'][split], setup['data']['root'], setup['probe']['frames'],
                setup['recipe']['input_size'], setup['recipe']['input_size'])
            arrays.update({split + '_features': features, split + '_labels': labels})
        os.makedirs(os.path.dirname(path), exist_ok=True)
        np.savez(path + '.tmp.npz', **arrays)
        os.replace(path + '.tmp.npz', path)
    setup['features'] = path
    return path


def run_ablation(out, config):
    """Run the probe and the fine-tuning sweeps and write ``report.md`` and
    ``results.json`` in ``out``; returns what ``results.json`` holds."""
    start = time.time()
    os.makedirs(out, exist_ok=True)
    setup = prepare(out, config)
    _check_disjoint(setup['data'])
    cache_features(setup)
    probe, probe_grids = sweep(probe_run, setup, list(config['probe_lrs']),
                               config['probe_seeds'], config['processes'], config['widen'],
                               'head-only probe')
    tuned, tuned_grids = sweep(finetune_run, setup, list(config['lrs']), config['seeds'],
                               config['processes'], config['widen'], 'fine-tuning')
    results = {
        'config': config, 'trunk': {'file': setup['trunk'], **setup['trunk_info']},
        'finetune': _section(tuned, tuned_grids, config['seeds']),
        'probe': _section(probe, probe_grids, config['probe_seeds']),
        'seconds': round(time.time() - start)}
    with open(os.path.join(out, 'results.json'), 'w') as f:
        json.dump(results, f, indent=1)
    rows = chosen_rows(tuned, tuned_grids, config['seeds'])
    pictures = _pictures(setup, rows)
    _write_report(out, setup, config, results, tuned, tuned_grids, probe, probe_grids,
                  pictures)
    return results


def _check_disjoint(data):
    """No video is in two splits (each split is generated from its own seeds)."""
    seen = {}
    for split in ('train', 'val', 'test'):
        for record in read_video_list(data[split]):
            if record.path in seen:
                raise AssertionError('%s is in both %s and %s' % (record.path, seen[record.path],
                                                                  split))
            seen[record.path] = split


def _section(results, grids, seeds):
    """The json of one sweep: every run's figures, each variant's grid, the choices."""
    rows = chosen_rows(results, grids, seeds)
    return {'grids': {head: {str(seed): grids[(head, seed)] for seed in seeds}
                      for _, head in VARIANTS},
            'runs': {'%s lr %g seed %d' % key: {s: results[key][s] for s in ('val', 'test')}
                     for key in sorted(results)},
            'chosen': {variant: [{'seed': seed, 'lr': lr, 'val': r['val'], 'test': r['test']}
                                 for seed, lr, r in seed_rows]
                       for variant, seed_rows in rows.items()},
            'summary': summary(rows)}


def _pictures(setup, rows, videos=4):
    """The analysis of the full model against GB (first seed, chosen rates), and where
    the full model's filters fire on test videos of different classes."""
    out = os.path.join(setup['out'], 'analysis')
    full, base = rows['GB+DF+LB'][0][2], rows['GB'][0][2]
    _, gb = write_analysis(full['test']['predictions'], out, base['test']['predictions'],
                           setup['data']['groups'])
    plot_confusion(gb['matrix'], gb['names'], os.path.join(out, 'confusion_gb.png'),
                   'GB (%s)' % gb['protocol'])
    net = get_model(setup['model'], nclass=setup['nclass'], num_segments=1, head='gb_df_lb',
                    pretrained=full['params'])
    size = setup['recipe']['input_size']
    protocol = evaluation_protocol('1clip', 'tsn', num_segments=8, size=size)
    names, seen = [], set()
    for record in read_video_list(setup['data']['test']):
        if record.label in seen or len(names) >= videos:
            continue
        seen.add(record.label)
        name = 'filters_class%02d.png' % record.label
        explain_video(net, os.path.join(setup['data']['root'], record.path), record.label,
                      os.path.join(setup['out'], name),
                      '%s: the filters of its class' % setup['classes'][record.label],
                      protocol, size, size)
        names.append(name)
    return names


def _render_option(config, name):
    """A rendering option of the set: the configured one, else the generator's default."""
    return config['render'].get(name, inspect.signature(render_video).parameters[name].default)


def _write_report(out, setup, config, results, tuned, tuned_grids, probe, probe_grids,
                  pictures):
    recipe, trunk = config['recipe'], results['trunk']
    rows = chosen_rows(tuned, tuned_grids, config['seeds'])
    probe_rows = chosen_rows(probe, probe_grids, config['probe_seeds'])
    placeholders = {'--head': 'HEAD', '--lr': 'LR', '--seed': 'SEED', '--out-dir': 'OUT'}
    example = training_config(dict(setup, trunk='TRUNK'), 'gb', 0.01, 1, 'OUT')
    argv = config_argv(example)
    command = 'python train_scripts/train_tsn.py ' + ' '.join(
        placeholders.get(before, value) for before, value in zip([''] + argv, argv))
    lines = [
        '# The ablation (paper table 1) in a miniature of the paper\'s regime', '',
        '**Data**: the embedded fine-grained set, %d classes in %d groups (a group shares '
        'scene, motion and marker shape; its two classes differ only in the colour of the '
        'small marker the actor carries, among 0-%d look-alikes in duller versions of both '
        'colours), %s videos per class for train / val / test, each split from its own '
        'seeds, %dx%d, %d frames.' % (
            setup['nclass'], len(set(setup['group_of'])), _render_option(config, 'lookalikes'),
            ' / '.join(map(str, config['videos_per_class'])), recipe['input_size'],
            recipe['input_size'], config['frames']), '',
        '**Trunk**: ResNet-%d v1b pretrained on generated proxy images (%d classes of shape x '
        'colour, %dx%d, %d steps of %d): held-out top-1 %.1f%% (shape %.1f%%, colour %.1f%%); '
        '`%s` (sha1 %s). Every variant starts from it; the local stage 5 and the filter bank '
        'start random (paper sec. 4).' % (
            trunk['recipe']['depth'], trunk['classes'], trunk['recipe']['input_size'],
            trunk['recipe']['input_size'],
            trunk['recipe']['steps'], trunk['recipe']['batch_size'],
            100 * trunk['heldout']['top1'], 100 * trunk['heldout']['shape'],
            100 * trunk['heldout']['colour'], os.path.basename(trunk['file']),
            trunk['sha1'][:8]), '',
        '**Protocol**: every variant and seed at every rate of the grid, a seed\'s grid widened '
        'by the next rate where its chosen rate was at an edge; the rate is chosen per '
        'variant and seed on **val** top-1 (ties: lower val NLL); test figures are read at '
        'that rate only. *fine*: accuracy among the true group\'s classes; *coarse*: '
        'accuracy of the group. Test: 1 clip (%d centre frames, centre crop).'
        % recipe['num_segments'], '',
        '## Fine-tuning', '',
        '`%s`, %d segments, batch %d, %d epochs, SGD (momentum %g, wd %g), lr /10 at epoch %s, '
        'the last weights tested. One run (TRUNK: the trunk\'s file in the weight store):' % (
            setup['model'], recipe['num_segments'], recipe['batch_size'], recipe['epochs'],
            example.momentum, example.wd, ','.join(map(str, recipe['lr_steps']))), '',
        '    ' + command, '']
    lines += chosen_table(rows) + [''] + gain_lines(rows) + ['', 'Every rate (val top-1, mean '
                                                             'over the seeds run at it; test '
                                                             'beside it, not used to choose):',
                                                             '']
    lines += grid_table(tuned, tuned_grids, config['seeds'])
    lines += ['', '## Head-only probe', '',
              'The trunk frozen up to stage 4 (BatchNorm on running statistics), its features '
              'of %d frames per video computed once; only what each variant adds after stage '
              '4 is trained (GB: stage 5, pooling, classifier; the full model also the random '
              'local stage 5 with its skip and the filter bank), %d epochs, a random cached '
              'frame per segment, lr /10 at epoch %s.' % (
                  config['probe']['frames'], config['probe']['epochs'],
                  ','.join(map(str, config['probe']['lr_steps']))), '']
    lines += chosen_table(probe_rows) + [''] + gain_lines(probe_rows) + ['', 'Every rate:', '']
    lines += grid_table(probe, probe_grids, config['probe_seeds'])
    lines += ['', '## Analysis (fine-tuning, seed %d, chosen rates)' % config['seeds'][0], '',
              'GB+DF+LB against GB on the test split: [analysis/report.md](analysis/report.md) '
              '(per-class and per-group accuracy, most-confused pairs).', '',
              '![confusion of GB](analysis/confusion_gb.png) '
              '![confusion of GB+DF+LB](analysis/confusion.png)', '',
              '## Where the filters fire (GB+DF+LB)', '']
    lines += ['![%s](%s)' % (p, p) for p in pictures]
    runs = list(tuned.values()) + list(probe.values())
    kept = sum(bool(r.get('kept')) for r in runs)
    lines += ['', 'Time of this invocation: %d s; it trained %d of the %d runs and took the other '
              '%d from an earlier invocation\'s results (same inputs).' % (
                  results['seconds'], len(runs) - kept, len(runs), kept)]
    with open(os.path.join(out, 'report.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
