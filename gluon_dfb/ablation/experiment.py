"""The paper's ablation (table 1) in a miniature of its regime: a proxy-pretrained
ResNet-18 trunk, 96-pixel frames (stage 5 has 3x3 cells), the embedded fine-grained
set split into train, val and test, every variant at every rate of a grid and several
seeds, the rate chosen on val; fine-tuning rows and a head-only probe."""
import json
import logging
import os
import time

import numpy as np

from ..analysis.metrics import group_index
from ..data import read_video_list
from ..engine.head_probe import stage4_features
from ..engine.pretrain import stored_trunk
from ..errors import BadInputError
from ..zoo import get_model, model_entry
from .budget import centre_rates, fit_budget
from .datasets import ablation_data, data_key
from .protocol import chosen_rows, sweep
from .report import write_report
from .runs import VARIANTS, finetune_run, probe_run, run_all
from .tables import summary
from .verdict import correct_per_video, paired_difference

__all__ = ['DEFAULTS', 'prepare', 'run_ablation']

logger = logging.getLogger(__name__)

#: What the ablation is a function of (``python -m gluon_dfb.ablation`` flags).
DEFAULTS = dict(
    model='tsn_resnet18_dfb_custom', data=None, pretrained_base='proxy',
    videos_per_class=(32, 32, 32), data_seed=0, frames=16, render={},
    recipe=dict(input_size=96, num_segments=3, batch_size=8, epochs=4, lr_steps=[3]),
    probe=dict(epochs=6, lr_steps=[4], frames=8), probe_on=True,
    variants=[name for name, _ in VARIANTS],
    pretrain={},
    seeds=(0, 1, 2), lrs=(0.003, 0.01, 0.03),
    probe_seeds=(0, 1, 2), probe_lrs=(0.003, 0.01, 0.03), widen=2,
    processes=2)


def prepare(out, config, root=None):
    """The pretrained trunk (the proxy trunk is made once and kept in the weight store)
    and the data set (:func:`~gluon_dfb.ablation.datasets.ablation_data`), as the
    ``setup`` the runs take."""
    if config['pretrained_base'] == 'proxy':  # for the model's depth
        trunk, trunk_info = stored_trunk(root, **dict(
            config['pretrain'], depth=model_entry(config['model'])['depth']))
    else:
        trunk, trunk_info = config['pretrained_base'], {'sha1': None}
    data = ablation_data(out, config)
    for line in data.get('split_lines', []):
        logger.info(line)
    classes = data['classes']
    groups = json.load(open(data['groups'])) if data.get('groups') else None
    key = {k: config[k] for k in ('model', 'recipe', 'probe')}
    key['data'] = data_key(data) if config.get('data') else {
        k: config[k] for k in ('videos_per_class', 'data_seed', 'frames', 'render')}
    key['trunk'] = trunk_info['sha1'] or trunk
    return {'out': out, 'key': json.loads(json.dumps(key)), 'model': config['model'],
            'nclass': len(classes), 'classes': classes,
            'group_of': group_index(groups, classes).tolist() if groups else None,
            'data': data, 'trunk': trunk, 'trunk_info': trunk_info, 'recipe': config['recipe'],
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
    """Run the fine-tuning sweep (and the head-only probe's, if ``config['probe_on']``)
    and write ``report.md`` and ``results.json`` in ``out``; returns what
    ``results.json`` holds."""
    start = time.time()
    os.makedirs(out, exist_ok=True)
    setup = prepare(out, config)
    _check_disjoint(setup['data'])
    variants = [(name, head) for name, head in VARIANTS if name in config['variants']]
    if config.get('budget_minutes'):
        config = fit_to_budget(setup, config, variants)
    sweeps = {}
    if config['probe_on']:
        cache_features(setup)
        sweeps['probe'] = sweep(probe_run, setup, list(config['probe_lrs']),
                                config['probe_seeds'], config['processes'], config['widen'],
                                'head-only probe', variants)
    sweeps['finetune'] = sweep(finetune_run, setup, list(config['lrs']), config['seeds'],
                               config['processes'], config['widen'], 'fine-tuning', variants)
    results = {'config': config, 'trunk': {'file': setup['trunk'], **setup['trunk_info']},
               'seconds': None}
    for name, (runs, grids) in sweeps.items():
        seeds = config['seeds' if name == 'finetune' else 'probe_seeds']
        results[name] = _section(runs, grids, seeds, variants)
    rows = chosen_rows(*sweeps['finetune'], config['seeds'], variants)
    results['finetune']['verdict'] = (full_against_gb(rows)
                                      if {'GB', 'GB+DF+LB'} <= set(rows) else None)
    results['seconds'] = round(time.time() - start)
    write_report(out, setup, config, results, sweeps, variants)
    with open(os.path.join(out, 'results.json'), 'w') as f:
        json.dump(results, f, indent=1)
    return results


def fit_to_budget(setup, config, variants):
    """``config`` with the rates, seeds and widening that fit ``config['budget_minutes']``
    of fine-tuning, from the time of its first run (the first variant, the centre rate,
    the first seed), which the sweep then keeps; ``config['budget']`` says what was
    dropped."""
    first = (setup, variants[0][1], centre_rates(config['lrs'], 1)[0], config['seeds'][0])
    result = run_all(finetune_run, [first], config['processes'], 'timing one run')[0]
    try:
        lrs, seeds, widen, words = fit_budget(
            result['seconds'], 60 * config['budget_minutes'], config['processes'],
            len(variants), config['lrs'], config['seeds'], config['widen'])
    except ValueError as err:
        raise BadInputError('--budget-minutes %g: %s' % (config['budget_minutes'], err))
    for line in words:
        logger.info(line)
    return dict(config, lrs=lrs, seeds=seeds, widen=widen, budget=words)


def full_against_gb(rows):
    """The paired test difference of the full model and GB at their chosen rates
    (:func:`~gluon_dfb.ablation.verdict.paired_difference`)."""
    correct = {variant: correct_per_video([r['test']['predictions'] for _, _, r in rows[variant]])
               for variant in ('GB+DF+LB', 'GB')}
    return paired_difference(correct['GB+DF+LB'], correct['GB'])


def _check_disjoint(data):
    """No video is in two splits (each split is generated from its own seeds)."""
    seen = {}
    for split in ('train', 'val', 'test'):
        for record in read_video_list(data[split]):
            if record.path in seen:
                raise AssertionError('%s is in both %s and %s' % (record.path, seen[record.path],
                                                                  split))
            seen[record.path] = split


def _section(results, grids, seeds, variants):
    """The json of one sweep: every run's figures, each variant's grid, the choices."""
    rows = chosen_rows(results, grids, seeds, variants)
    return {'grids': {head: {str(seed): grids[(head, seed)] for seed in seeds}
                      for _, head in variants},
            'runs': {'%s lr %g seed %d' % key: {s: results[key][s] for s in ('val', 'test')}
                     for key in sorted(results)},
            'chosen': {variant: [{'seed': seed, 'lr': lr, 'val': r['val'], 'test': r['test']}
                                 for seed, lr, r in seed_rows]
                       for variant, seed_rows in rows.items()},
            'summary': summary(rows)}


