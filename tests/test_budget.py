"""Fitting the ablation to a time budget: the largest grid that fits a run's measured time,
the centre rates kept, more seeds preferred, and what was dropped said."""
import pytest

from gluon_dfb.ablation.budget import centre_rates, fit_budget

LRS, SEEDS = [0.003, 0.01, 0.03], [0, 1, 2]


def test_centre_rates_drop_the_edges_high_first():
    assert centre_rates([0.03, 0.001, 0.01, 0.003], 3) == [0.001, 0.003, 0.01]
    assert centre_rates([0.03, 0.001, 0.01, 0.003], 2) == [0.003, 0.01]
    assert centre_rates(LRS, 1) == [0.01]


def test_the_largest_grid_that_fits_prefers_seeds():
    # 60 s a run, two at once, 10 minutes: 20 runs; 3 variants x 2 rates x 3 seeds = 18
    lrs, seeds, widen, words = fit_budget(60, 600, 2, 3, LRS, SEEDS, widen=2)
    assert (lrs, seeds, widen) == ([0.003, 0.01], [0, 1, 2], 0)
    assert 'so 20 runs fit; kept 18 runs' in words[0]
    assert words[0].endswith('dropped rates 0.03, widening')


def test_a_generous_budget_drops_nothing():
    lrs, seeds, widen, words = fit_budget(60, 3600, 2, 3, LRS, SEEDS, widen=1)
    assert (lrs, seeds, widen) == (LRS, SEEDS, 1)
    assert words[0].endswith('nothing dropped')


def test_a_budget_below_one_run_a_variant_is_refused():
    with pytest.raises(ValueError, match=r'one fine-tuning run takes 100 s \(2 at once\): the '
                                         r'fewest runs the comparison needs \(one a variant, '
                                         r'3\) take 3.3 minutes'):
        fit_budget(100, 60, 2, 3, LRS, SEEDS, widen=0)
