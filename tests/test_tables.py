"""The ablation's tables and summary lines: the spread over seeds is printed where there
is one, and one seed is said as such rather than printed as a spread of 0."""
import numpy as np
import pytest

from gluon_dfb.ablation.report import answer_lines, trunk_line
from gluon_dfb.ablation.runs import figures
from gluon_dfb.ablation.tables import chosen_table, gain_lines
from gluon_dfb.ablation.verdict import paired_difference, verdict_lines
from gluon_dfb.zoo.proxy import PROXY_RECIPE


def runs(seeds, rng):
    """Test figures of GB and GB+DF+LB on 60 videos of 4 classes, per seed."""
    labels = np.repeat(np.arange(4), 15)
    return {variant: [(seed, 0.01, {'test': figures(rng.rand(len(labels), 4), labels)})
                      for seed in seeds] for variant in ('GB', 'GB+DF+LB')}


def top1(rows, variant):
    return np.array([100 * r['test']['top1'] for _, _, r in rows[variant]])


def test_several_seeds_give_mean_and_sample_std(rng):
    rows = runs((0, 1, 2), rng)
    table = '\n'.join(chosen_table(rows))
    for variant in rows:
        values = top1(rows, variant)
        assert '| **%s** | mean +- std | | **%.1f +- %.1f** |' % (
            variant, values.mean(), values.std(ddof=1)) in table
    gains = top1(rows, 'GB+DF+LB') - top1(rows, 'GB')
    assert '**mean %+.1f +- %.1f points**' % (gains.mean(), gains.std(ddof=1)) in \
        gain_lines(rows)[0]


def test_one_seed_is_said_not_shown_as_no_spread(rng):
    rows = runs((1,), rng)
    table = chosen_table(rows)
    assert not any('mean +- std' in line for line in table)
    for variant in rows:
        row = '| %s | 1 | 0.01 | %.1f |' % (variant, top1(rows, variant)[0])
        assert row in '\n'.join(table)
    gain = (top1(rows, 'GB+DF+LB') - top1(rows, 'GB'))[0]
    assert gain_lines(rows) == ['GB+DF+LB - GB, test top-1, each at its own validation-chosen '
                                'rate: **%+.1f points** (one seed: no spread).' % gain]
    answer = answer_lines(rows, None)
    assert '- GB: test top-1 %.1f (one seed) (rates chosen on val: seed 1: 0.01)' % (
        top1(rows, 'GB')[0]) in answer
    assert not any('+-' in line for line in table + answer)


@pytest.mark.parametrize('seeds', [1, 3])
def test_verdict_says_how_many_seeds(seeds, rng):
    ours, base = rng.rand(2, seeds, 100) < 0.5
    [line] = verdict_lines('GB+DF+LB', 'GB', paired_difference(ours, base))
    gains = 100 * (ours.mean(axis=1) - base.mean(axis=1))
    if seeds == 1:
        assert '(GB+DF+LB - GB, one seed)' in line and 'seeds' not in line
    else:
        assert '(GB+DF+LB - GB, mean over 3 seeds; per seed %s)' % ', '.join(
            '%+.1f' % g for g in gains) in line
        assert 'bootstrap over the 100 test videos and the seeds' in line


def test_trunk_line_names_faint_objects_silhouette_and_last_gamma_only_where_used():
    heldout = {'shape': 0.5, 'orientation': 0.5, 'texture': 0.5, 'colour': 0.5, 'all': 0.5}
    trunk = dict(file='/store/trunk.params', sha1='0123abcd' * 5, factors={'shape': 8},
                 heldout=heldout,
                 recipe=dict(PROXY_RECIPE, faint=0.25, silhouette=0.5, last_gamma=True))
    line = trunk_line(trunk)
    assert "25% of the objects drawn faint" in line
    assert "silhouette a second loss, weighted 0.5" in line
    assert "each residual block's last BatchNorm starting at gamma 0" in line
    assert '`trunk.params` (sha1 0123abcd)' in line
    plain = trunk_line(dict(trunk, recipe=dict(PROXY_RECIPE, faint=0.0, silhouette=0.0,
                                                last_gamma=False)))
    assert 'faint' not in plain and 'silhouette' not in plain and 'gamma' not in plain
    earlier = dict(PROXY_RECIPE)  # a trunk's json from before the option: no last_gamma
    del earlier['last_gamma']
    assert 'gamma' not in trunk_line(dict(trunk, recipe=earlier))
