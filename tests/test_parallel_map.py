"""parallel_map: results in order; an item whose worker hangs (in native code, holding
the GIL, as decord does on some damaged files) or dies loses that item only; and
`prepare check` reports such an entry as unreadable."""
import ctypes
import os
import signal
import subprocess
import sys

import pytest

from gluon_dfb.data import check as check_module
from gluon_dfb.data.check import check_list
from gluon_dfb.data.parallel import RemoteTraceback, WorkerLost, parallel_map

SCRIPT = os.path.join(os.path.dirname(__file__), '..', 'train_scripts', 'prepare_data.py')


def troubled(x):
    """``x * x``, except 3 (sleeps in C with the GIL held), 5 (killed) and 7 (raises)."""
    if x == 3:
        ctypes.PyDLL(None).sleep(3600)  # PyDLL keeps the GIL: no Python signal runs
    if x == 5:
        os.kill(os.getpid(), signal.SIGKILL)
    if x == 7:
        raise ValueError('seven')
    return x * x


def test_results_come_in_the_order_of_the_items():
    items = list(range(50, 10, -1))
    assert parallel_map(troubled, items, 3, 'squares') == [x * x for x in items]


def test_a_hung_or_dead_worker_loses_its_item_only():
    items = [0, 1, 2, 3, 4, 5, 6, 8]
    results = parallel_map(troubled, items, 2, 'squares', timeout=3, failed=lambda why: why)
    assert results[:3] == [0, 1, 4] and results[4] == 16 and results[6:] == [36, 64]
    assert results[3] == 'no result after 3 s (its worker was stopped)'
    assert results[5] == 'its worker process died (exit code -9)'


def test_without_a_substitute_a_lost_item_is_named():
    with pytest.raises(WorkerLost, match='^5: its worker process died'):
        parallel_map(troubled, [4, 5, 6], 2, 'squares')


def test_an_exception_of_the_function_comes_with_the_worker_traceback():
    with pytest.raises(ValueError, match='seven') as raised:
        parallel_map(troubled, [6, 7], 2, 'squares')
    assert isinstance(raised.value.__cause__, RemoteTraceback)
    assert "raise ValueError('seven')" in str(raised.value.__cause__)


def test_check_reports_an_entry_that_takes_too_long_as_unreadable(real_videos, tmp_path,
                                                                   monkeypatch):
    good = real_videos['carphone_pristine.mp4']
    os.symlink(good, str(tmp_path / 'good.mp4'))
    os.symlink(good, str(tmp_path / 'stuck.mp4'))
    check_video = check_module.check_video

    def stuck_on_one(item, **kwargs):
        if item[1].path == 'stuck.mp4':
            ctypes.PyDLL(None).sleep(3600)
        return check_video(item, **kwargs)
    monkeypatch.setattr(check_module, 'check_video', stuck_on_one)  # the workers fork
    list_file = tmp_path / 'l.txt'
    list_file.write_text('good.mp4 1 0\nstuck.mp4 1 0\n')
    clean, report = str(tmp_path / 'clean.txt'), str(tmp_path / 'report.tsv')
    sampling = dict(arch='tsn', num_segments=3, new_length=1, new_step=1)
    counts, _ = check_list(str(list_file), str(tmp_path), sampling, clean, report, workers=2,
                           timeout=2)
    assert counts == {'frame count': 1, 'unreadable': 1}
    lines = open(report).read().splitlines()
    assert lines[1] == '%s\tunreadable\tno result after 2 s (its worker was stopped)' % (
        tmp_path / 'stuck.mp4') and lines[0].startswith(str(tmp_path / 'good.mp4'))
    assert [line.split()[0] for line in open(clean)] == ['good.mp4']


def test_check_refuses_a_timeout_that_is_not_positive(tmp_path):
    list_file = tmp_path / 'l.txt'
    list_file.write_text('good.mp4 1 0\n')
    done = subprocess.run([sys.executable, SCRIPT, 'check', str(list_file), '--arch', 'tsn',
                           '--timeout', '0'], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and 'argument --timeout' in done.stderr, done.stderr
