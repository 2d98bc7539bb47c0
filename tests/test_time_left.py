"""The ablation's progress line: the time it says is left, for runs of equal length done
one or several at a time, against the time that was in fact left."""
import logging
import math

import pytest

from gluon_dfb.ablation import runs


@pytest.mark.parametrize('processes, count, first', [
    (1, 7, '6 min'), (2, 7, '3 min'), (3, 7, '2 min'), (2, 2, '0 s'), (3, 4, '60 s')])
def test_time_left_is_the_time_the_remaining_turns_take(processes, count, first, monkeypatch,
                                                       caplog):
    """Runs of a minute, ``processes`` at a time (the last turn maybe not full), results
    taken in order: after each, the time said left is the time the turns left take."""
    minute = 60.0
    jobs = [(None, 'gb', 0.01, seed) for seed in range(count)]
    clock = {'now': 0.0}
    monkeypatch.setattr(runs.time, 'time', lambda: clock['now'])
    progress = runs._Progress(jobs, 'fine-tuning', processes)
    caplog.set_level(logging.INFO, logger=runs.logger.name)
    for k, job in enumerate(jobs):
        turn = k // processes + 1
        clock['now'] = turn * minute
        progress.done(job, {})
        truth = (math.ceil(count / processes) - turn) * minute
        assert progress.seconds_left() == pytest.approx(truth)
    assert caplog.messages[0] == ('fine-tuning: 1 of %d runs done (gb lr 0.01 seed 0); '
                                  'about %s left' % (count, first))


def test_kept_runs_take_no_time(monkeypatch, caplog):
    jobs = [(None, 'gb', 0.01, seed) for seed in range(4)]
    clock = {'now': 0.0}
    monkeypatch.setattr(runs.time, 'time', lambda: clock['now'])
    progress = runs._Progress(jobs, 'fine-tuning', 2)
    clock['now'] = 30.0
    caplog.set_level(logging.INFO, logger=runs.logger.name)
    progress.done(jobs[0], {'kept': True})
    assert caplog.messages[-1].endswith('(gb lr 0.01 seed 0, kept); about 0 s left')
    progress.done(jobs[1], {})
    assert caplog.messages[-1].endswith('about 30 s left')  # 2 runs, one turn of 30 s
