"""The main job on a small budget: it trains every variant at the rate the committed
ablation chose, tests it, and prints its table beside the committed one."""
import copy
import json

import numpy as np
import pytest

import gluon_dfb.ablation.demo as demo
from gluon_dfb.ablation import DEFAULTS


def committed_rows(rates_by_seed):
    """A committed ablation section whose seeds chose the given rates (val top-1 given)."""
    return {'chosen': {variant: [{'seed': seed, 'lr': lr, 'val': {'top1': top1, 'nll': 1.0},
                                  'test': {k: 0.5 for k in ('top1', 'top5', 'fine', 'coarse')}}
                                 for seed, (lr, top1) in enumerate(rows)]
                       for variant, rows in rates_by_seed.items()}}


def test_demo_rate_is_the_one_most_seeds_chose_on_validation():
    section = committed_rows({'GB': [(0.03, 0.5), (0.01, 0.6), (0.03, 0.4)],
                              'GB+DF': [(0.01, 0.5), (0.003, 0.7)],
                              'GB+DF+LB': [(0.003, 0.9)]})
    assert demo.demo_rates(section) == {'GB': 0.03, 'GB+DF': 0.003, 'GB+DF+LB': 0.003}


def test_committed_ablation_is_shipped_and_complete():
    committed = demo.committed_ablation()
    rates = demo.demo_rates(committed['finetune'])
    assert set(rates) == {'GB', 'GB+DF', 'GB+DF+LB'}
    for variant, rows in committed['finetune']['chosen'].items():
        assert len(rows) >= 3
        head = {'GB': 'gb', 'GB+DF': 'gb_df', 'GB+DF+LB': 'gb_df_lb'}[variant]
        for row in rows:
            assert row['lr'] in committed['finetune']['grids'][head][str(row['seed'])]
        assert rates[variant] in [row['lr'] for row in rows]


@pytest.mark.slow
def test_small_demo_trains_at_the_committed_rates(tmp_path, monkeypatch):
    config = copy.deepcopy(DEFAULTS)
    config.update(videos_per_class=[2, 2, 2])
    config['recipe'].update(input_size=64, epochs=1, lr_steps=[1])
    monkeypatch.setitem(demo.DEFAULTS, 'pretrain', dict(steps=2, batch_size=8, heldout=64,
                                                        warmup_steps=1))
    section = committed_rows({'GB': [(0.01, 0.5)] * 3, 'GB+DF': [(0.003, 0.5)] * 3,
                              'GB+DF+LB': [(0.001, 0.5)] * 3})
    earlier = {'file': 'proxy_resnet18_v1b-0123abcd.params', 'sha1': '4567' * 10}
    monkeypatch.setattr(demo, 'committed_ablation',
                        lambda: {'config': config, 'finetune': section, 'trunk': earlier})
    monkeypatch.setenv('GLUON_DFB_MODEL_ROOT', str(tmp_path / 'store'))
    rows = demo.run_demo(str(tmp_path / 'out'), seeds=(0,), processes=2)
    report = (tmp_path / 'out' / 'report.md').read_text()
    assert sorted(rows) == ['GB', 'GB+DF+LB']  # the verdict's pair
    for variant, lr in (('GB', 0.01), ('GB+DF+LB', 0.001)):
        [(seed, used, result)] = rows[variant]
        assert used == lr and 'val' not in result  # no validation split in the demo
        saved = np.load(result['test']['predictions'])
        assert result['test']['top1'] == np.mean(
            saved['probabilities'].argmax(axis=1) == saved['labels'])
        assert '| %s | 0 | %g | %.1f |' % (variant, lr, 100 * result['test']['top1']) in report
        assert '| %s | 0 | %g | 50.0 | 50.0 |' % (variant, lr) in report  # the committed row
    assert report.count('GB+DF+LB - GB, test top-1') == 2
    assert '## This run (seed 0)' in report
    assert report.count('| mean +- std |') == 3  # the committed variants', not one seed's
    assert "The committed ablation's trunk was proxy_resnet18_v1b-0123abcd.params" in report
    saved = json.load(open(str(tmp_path / 'out' / 'results.json')))
    assert saved['GB'][0]['lr'] == 0.01
