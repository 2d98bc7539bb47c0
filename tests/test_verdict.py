"""The ablation's verdict: the paired bootstrap over test videos and seeds against the
normal approximation of a paired difference, its words on differences the test sets
up, and correctness read back from prediction files."""
import numpy as np
import pytest

from gluon_dfb.ablation.report import answer_lines
from gluon_dfb.ablation.runs import figures
from gluon_dfb.ablation.verdict import (COARSE_FLOOR, correct_per_video, paired_difference,
                                       verdict_lines)
from gluon_dfb.engine.evaluate import save_predictions


def test_one_seed_interval_is_the_paired_normal_interval(rng):
    videos = 600
    base = rng.rand(videos) < 0.6
    ours = np.where(rng.rand(videos) < 0.8, base, ~base)  # flips 20% of the answers
    ours[:30] = True
    got = paired_difference(ours[None], base[None])
    d = ours.astype(float) - base
    half = 1.96 * d.std() / np.sqrt(videos)
    assert got['mean'] == pytest.approx(d.mean())
    assert got['per_seed'] == [pytest.approx(d.mean())]
    low, high = got['interval']
    assert (high - low) == pytest.approx(2 * half, rel=0.1)
    assert (low + high) / 2 == pytest.approx(d.mean(), abs=0.1 * half)


def test_seeds_widen_the_interval_when_they_disagree(rng):
    videos = 400
    base = rng.rand(3, videos) < 0.5
    same = np.tile(base[:1] | (rng.rand(1, videos) < 0.2), (3, 1))
    agreeing = paired_difference(same, np.tile(base[:1], (3, 1)))
    disagreeing = same.copy()
    disagreeing[1] = base[0]  # seed 1 gains nothing
    spread = paired_difference(disagreeing, np.tile(base[:1], (3, 1)))
    width = [r['interval'][1] - r['interval'][0] for r in (agreeing, spread)]
    assert width[1] > 1.5 * width[0]


@pytest.mark.parametrize('gain,expected', [(0.2, 'ahead'), (-0.2, 'behind'), (0.0, 'level')])
def test_verdict_words(gain, expected, rng):
    base = rng.rand(2, 300) < 0.5
    ours = base.copy()
    flip = rng.rand(2, 300) < abs(gain)
    ours[flip] = gain > 0
    if gain == 0:  # as many gained as lost
        ours[0, :20], base[0, :20] = True, False
        ours[0, 20:40], base[0, 20:40] = False, True
    result = paired_difference(ours, base)
    assert result['verdict'] == expected
    line = verdict_lines('GB+DF+LB', 'GB', result)[0]
    assert {'ahead': '**ahead**', 'behind': '**behind**', 'level': '**not separate**'}[
        expected] in line
    assert '%+.1f points' % (100 * result['mean']) in line


def test_correctness_is_read_from_the_prediction_files(tmp_path, rng):
    labels = rng.randint(0, 4, 50)
    files = []
    for seed in range(2):
        probabilities = rng.dirichlet(np.ones(4), 50)
        path = save_predictions(str(tmp_path / ('seed%d' % seed)), probabilities, labels,
                                ['v%d.mp4' % i for i in range(50)], list('abcd'), '1clip', 'gb')
        files.append((path, probabilities.argmax(axis=1) == labels))
    correct = correct_per_video([f for f, _ in files])
    np.testing.assert_array_equal(correct, [c for _, c in files])
    other = save_predictions(str(tmp_path / 'other'), rng.dirichlet(np.ones(4), 50),
                             labels[::-1], ['v%d.mp4' % i for i in range(50)], list('abcd'),
                             '1clip', 'gb')
    with pytest.raises(ValueError, match='other test videos'):
        correct_per_video([files[0][0], other])


@pytest.mark.parametrize('mixed', [0, 18])
def test_the_report_cautions_when_gb_mixes_the_groups(mixed):
    """GB's test predictions on 3 groups of 2 classes (120 videos), ``mixed`` videos of
    group 0 taken for group 2: the caution under the verdict appears, with the coarse
    accuracy numpy gives, exactly when that is below the floor."""
    group_of = np.repeat([0, 1, 2], 2)
    labels = np.repeat(np.arange(6), 20)
    rows, coarse = {'GB': [], 'GB+DF+LB': []}, []
    for seed in range(2):
        predicted = labels.copy()
        predicted[:mixed] = 4 + seed
        coarse.append(np.mean(group_of[predicted] == group_of[labels]))
        probabilities = np.full((len(labels), 6), 0.02)
        probabilities[np.arange(len(labels)), predicted] = 0.9
        rows['GB'].append((seed, 0.01, {'test': figures(probabilities, labels, group_of)}))
        rows['GB+DF+LB'].append((seed, 0.01, {'test': figures(np.eye(6)[labels], labels,
                                                              group_of)}))
    lines = answer_lines(rows, None)
    caution = [line for line in lines if line.startswith('**Caution**')]
    assert bool(caution) == (np.mean(coarse) < COARSE_FLOOR) == (mixed > 0)
    if caution:
        assert 'only %.1f%% of the test videos' % (100 * np.mean(coarse)) in caution[0]
    assert lines[0].startswith('**Verdict**')
