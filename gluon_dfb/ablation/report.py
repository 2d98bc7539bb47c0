"""The ablation's report: the verdict first, then the data, the trunk, the protocol, the
tables of fine-tuning and of the head-only probe, the analysis of the full model against
GB and where its filters fire on the classes it improved most."""
import inspect
import os

import numpy as np

from ..analysis.filter_boxes import explain_video
from ..analysis.metrics import per_class_accuracy
from ..analysis.plots import plot_confusion
from ..analysis.report import write_report as write_analysis
from ..data import evaluation_protocol, read_video_list
from ..data.finegrained import render_video
from ..engine.config import config_argv
from ..engine.pretrain import describe_accuracy
from ..zoo import get_model, model_entry
from .protocol import chosen_rows
from .runs import training_config
from .selection import plus_minus
from .tables import chosen_table, gain_lines, grid_table, summary
from .verdict import coarse_caution, verdict_lines

__all__ = ['write_report', 'answer_lines', 'data_line', 'trunk_line', 'sampling_words',
           'filter_pictures']


def answer_lines(rows, difference):
    """The report's first lines: the verdict (``difference``: of the full model and GB;
    None when either was not run), a caution where GB does not tell the groups apart
    (:func:`~.verdict.coarse_caution`), then each variant's rates chosen on val seed by seed
    and its test top-1 over the seeds."""
    stats_of = summary(rows)
    lines = (verdict_lines('GB+DF+LB', 'GB', difference) if difference
             else ['**Verdict**: none: it compares GB+DF+LB with GB, and --variants left one '
                   'of them out.'])
    lines += coarse_caution(stats_of.get('GB', {}).get('coarse', (None,))[0]) + ['']
    for (variant, seeds), stats in zip(rows.items(), stats_of.values()):
        lines.append('- %s: test top-1 %s (rates chosen on val: %s)' % (
            variant, plus_minus(*stats['top1']), ', '.join('seed %d: %g' % (seed, lr)
                                                         for seed, lr, _ in seeds)))
    return lines


def filter_pictures(setup, rows, videos=4):
    """The analysis of the full model against GB (first seed, chosen rates), and where
    the full model's filters fire on a test video of each of the ``videos`` classes whose
    test top-1 it improved most over GB; returns the pictures' names."""
    out = os.path.join(setup['out'], 'analysis')
    full, base = rows['GB+DF+LB'][0][2], rows['GB'][0][2]
    ours, gb = write_analysis(full['test']['predictions'], out, base['test']['predictions'],
                              setup['data']['groups'])
    plot_confusion(gb['matrix'], gb['names'], os.path.join(out, 'confusion_gb.png'),
                   'GB (%s)' % gb['protocol'])
    gain = np.nan_to_num(per_class_accuracy(ours['matrix']) - per_class_accuracy(gb['matrix']),
                         nan=-np.inf)
    improved = [int(c) for c in np.argsort(-gain, kind='stable')[:videos]]
    net = get_model(setup['model'], nclass=setup['nclass'], num_segments=1, head='gb_df_lb',
                    pretrained=full['params'])
    recipe, arch = setup['recipe'], model_entry(setup['model'])['arch']
    size = recipe['input_size']
    protocol = evaluation_protocol('1clip', arch, num_segments=8, new_length=recipe.get(
        'new_length') or 1, new_step=recipe.get('new_step') or 1, size=size)
    first = {}
    for record in read_video_list(setup['data']['test']):
        first.setdefault(record.label, record.path)
    names = []
    for label in improved:
        name = 'filters_class%02d.png' % label
        explain_video(net, os.path.join(setup['data']['root'], first[label]), label,
                      os.path.join(setup['out'], name), '%s (%+.0f points over GB): the '
                      'filters of its class' % (setup['classes'][label], 100 * gain[label]),
                      protocol, size, recipe.get('short_side', size))
        names.append(name)
    return names


def render_option(config, name):
    """A rendering option of the set: the configured one, else the generator's default."""
    return config['render'].get(name, inspect.signature(render_video).parameters[name].default)


def data_line(setup, config):
    """The report's **Data** paragraph: the embedded set's design, or the user's lists."""
    recipe = config['recipe']
    if config.get('data') is None:
        return ('**Data**: the embedded fine-grained set, %d classes in %d groups (a group '
                'shares scene, motion and marker shape; its two classes differ only in the '
                'colour of the small marker the actor carries, among 0-%d look-alikes in duller '
                'versions of both colours), %s videos per class for train / val / test, each '
                'split from its own seeds, %dx%d, %d frames.' % (
                    setup['nclass'], len(set(setup['group_of'])),
                    render_option(config, 'lookalikes'),
                    ' / '.join(map(str, config['videos_per_class'])), recipe['input_size'],
                    recipe['input_size'], config['frames']))
    data = setup['data']
    counts = [len(read_video_list(data[split])) for split in ('train', 'val', 'test')]
    line = ('**Data**: %d classes%s, %d / %d / %d videos for train / val / test (%s), '
            'videos under `%s`.' % (
                setup['nclass'], ' in %d groups' % len(set(setup['group_of']))
                if setup['group_of'] is not None else '', *counts,
                ', '.join('`%s`' % data[split] for split in ('train', 'val', 'test')),
                data['root']))
    if data.get('split_lines'):
        line += ' Split of the class folders (--split %s, --split-seed %d%s):\n\n%s' % (
            ' '.join('%g' % f for f in config['data']['split']), config['data']['split_seed'],
            ', --group-by %s' % config['data']['group_by'] if config['data'].get('group_by')
            else '', '\n'.join('    ' + text for text in data['split_lines']))
    return line


def trunk_line(trunk):
    """The report's **Trunk** paragraph: the proxy trunk's recipe and held-out accuracy,
    or the weights the user named."""
    if trunk['file'] is None:
        return ('**Trunk**: none: every variant starts from a random trunk (no '
                '--pretrained-base), which is not the paper\'s regime.')
    if 'recipe' not in trunk:
        return ('**Trunk**: `%s` (--pretrained-base). Every variant starts from it; the local '
                'stage 5 and the filter bank start random (paper sec. 4).' % trunk['file'])
    recipe = trunk['recipe']
    extras = ''
    if recipe.get('faint'):
        extras += '; %g%% of the objects drawn faint' % (100 * recipe['faint'])
    if recipe.get('silhouette'):
        extras += ('; the main object\'s silhouette a second loss, weighted %g'
                   % recipe['silhouette'])
    if recipe.get('last_gamma'):
        extras += '; each residual block\'s last BatchNorm starting at gamma 0'
    optimizer = {'sgd': 'SGD', 'adam': 'Adam'}[recipe.get('optimizer', 'sgd')]
    return ('**Trunk**: ResNet-%d v1b pretrained on generated images (%dx%d, %d %s steps of %d; '
            'each image\'s main object among clutter, its %s told apart%s): held-out accuracy '
            '%s; `%s` (sha1 %s). Every variant starts from it; the local stage 5 and the '
            'filter bank start random (paper sec. 4).' % (
                recipe['depth'], recipe['input_size'], recipe['input_size'], recipe['steps'],
                optimizer, recipe['batch_size'], ', '.join(trunk['factors']), extras,
                describe_accuracy(trunk['heldout']), os.path.basename(trunk['file']),
                trunk['sha1'][:8]))


def sampling_words(config):
    """How a run of ``config`` (a :class:`~gluon_dfb.engine.config.TrainConfig`) samples a
    video, in words."""
    if config.arch == 'tsn':
        return '%d segments of one frame' % config.num_segments
    return 'one clip of %d frames %d apart' % (config.new_length, config.new_step)


def write_report(out, setup, config, results, sweeps, variants):
    """Write ``out/report.md`` (and its pictures) from the runs of each sweep
    (``sweeps``: ``{'finetune' | 'probe': (results, grids)}``, the probe's absent when it
    was not run)."""
    recipe = config['recipe']
    tuned, tuned_grids = sweeps['finetune']
    rows = chosen_rows(tuned, tuned_grids, config['seeds'], variants)
    compared = {'GB', 'GB+DF+LB'} <= set(rows)
    pictures = filter_pictures(setup, rows) if compared else []
    placeholders = {'--head': 'HEAD', '--lr': 'LR', '--seed': 'SEED', '--out-dir': 'OUT'}
    example = training_config(dict(setup, trunk='TRUNK'), 'gb', 0.01, 1, 'OUT')
    argv = config_argv(example)
    command = 'gluon-dfb train ' + ' '.join(
        placeholders.get(before, value) for before, value in zip([''] + argv, argv))
    lines = ['# The ablation (paper table 1) %s' % (
        'in a miniature of the paper\'s regime' if config.get('data') is None
        else 'on %s' % setup['data']['root']), '']
    lines += answer_lines(rows, results['finetune']['verdict']) + [
        '',
        data_line(setup, config), '', trunk_line(results['trunk']), '',
        '**Protocol**: every variant and seed at every rate of the grid, a seed\'s grid widened '
        'by the next rate where its chosen rate was at an edge; the rate is chosen per '
        'variant and seed on **val** top-1 (ties: lower val NLL); test figures are read at '
        'that rate only.%s Test: 1 clip (%s, centre crop).%s' % (
            ' *fine*: accuracy among the true group\'s classes; *coarse*: accuracy of the '
            'group.' if setup['group_of'] is not None else '', sampling_words(example),
            ''.join(' ' + line + '.' for line in config.get('budget', []))), '',
        '## Fine-tuning', '',
        '`%s`, %s, batch %d, %d epochs, SGD (momentum %g, wd %g%s), lr /10 at epoch %s, the '
        'last weights tested. One run (TRUNK: the trunk\'s file):' % (
            setup['model'], sampling_words(example), recipe['batch_size'], recipe['epochs'],
            example.momentum, example.wd,
            ', global gradient norm clipped to %g per video' % example.clip_grad
            if example.clip_grad else '', ','.join(map(str, recipe['lr_steps']))), '',
        '    ' + command, '']
    lines += chosen_table(rows) + ([''] + gain_lines(rows) if compared else []) + [
        '', 'Every rate (val top-1, mean over the seeds run at it; test beside it, not used '
        'to choose):', '']
    lines += grid_table(tuned, tuned_grids, config['seeds'], variants)
    if 'probe' in sweeps:
        lines += probe_lines(config, sweeps['probe'], variants)
    if compared:
        lines += ['', '## Analysis (fine-tuning, seed %d, chosen rates)' % config['seeds'][0],
                  '', 'GB+DF+LB against GB on the test split: '
                  '[analysis/report.md](analysis/report.md) (per-class and per-group accuracy, '
                  'most-confused pairs).', '',
                  '![confusion of GB](analysis/confusion_gb.png) '
                  '![confusion of GB+DF+LB](analysis/confusion.png)', '',
                  '## Where the filters fire (GB+DF+LB), on the classes it improved most', '']
        lines += ['![%s](%s)' % (p, p) for p in pictures]
    runs = [r for found, _ in sweeps.values() for r in found.values()]
    kept = sum(bool(r.get('kept')) for r in runs)
    lines += ['', 'Time of this invocation: %d s; it trained %d of the %d runs and took the other '
              '%d from results already on disk (same inputs: an earlier invocation\'s, or the '
              'budget\'s timing run).' % (
                  results['seconds'], len(runs) - kept, len(runs), kept)]
    diverged = ['%s lr %g seed %d' % (r['inputs']['head'], r['inputs']['lr'], r['inputs']['seed'])
                for r in runs if r.get('diverged')]
    if diverged:
        lines += ['', 'Diverged (scored as chance, never chosen over a run that learned): %s.'
                  % ', '.join(diverged)]
    with open(os.path.join(out, 'report.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')


def probe_lines(config, probe, variants):
    """The report's section of the head-only probe."""
    results, grids = probe
    rows = chosen_rows(results, grids, config['probe_seeds'], variants)
    lines = ['', '## Head-only probe', '',
             'The trunk frozen up to stage 4 (BatchNorm on running statistics), its features '
             'of %d frames per video computed once; only what each variant adds after stage 4 '
             'is trained (GB: stage 5, pooling, classifier; the full model also the random '
             'local stage 5 with its skip and the filter bank), %d epochs, a random cached '
             'frame per segment, lr /10 at epoch %s.' % (
                 config['probe']['frames'], config['probe']['epochs'],
                 ','.join(map(str, config['probe']['lr_steps']))), '']
    lines += chosen_table(rows) + ([''] + gain_lines(rows)
                                   if {'GB', 'GB+DF+LB'} <= set(rows) else [])
    lines += ['', 'Every rate:', ''] + grid_table(results, grids, config['probe_seeds'], variants)
    return lines
