"""The one command, ``gluon-dfb VERB``, as installed: every verb reaches its command
line's options under its own name, and the scripts of ``train_scripts/`` are the same
command lines."""
import os
import runpy
import subprocess
import sys

import pytest

from gluon_dfb import cli
from gluon_dfb.cli import VERBS

COMMAND = os.path.join(os.path.dirname(sys.executable), 'gluon-dfb')


def run(*argv):
    return subprocess.run([COMMAND] + list(argv), capture_output=True, text=True)


def test_help_lists_every_verb_with_a_line():
    done = run('--help')
    assert done.returncode == 0
    lines = {line.split()[0]: line for line in done.stdout.splitlines()[3:]}
    assert sorted(lines) == sorted(VERBS)
    assert all(len(line.split()) > 3 for line in lines.values())


def test_an_unknown_verb_is_named_with_the_closest():
    done = run('predcit', 'video.mp4')
    assert done.returncode == 2 and "unknown verb 'predcit'; did you mean predict?" in done.stderr


def help_of(run_main, capsys):
    """What a command line prints for ``--help`` (run in this process), and its status."""
    with pytest.raises(SystemExit) as done:
        run_main()
    return done.value.code, capsys.readouterr().out


def verb_help(verb, capsys):
    return help_of(lambda: cli.main([verb, '--help']), capsys)


@pytest.mark.parametrize('verb', sorted(VERBS))
def test_each_verb_shows_its_own_options(verb, capsys, monkeypatch):
    monkeypatch.setattr(sys, 'argv', ['gluon-dfb'])
    status, text = verb_help(verb, capsys)
    assert status == 0
    assert text.startswith('usage: gluon-dfb %s ' % verb)


def test_train_takes_the_architecture_of_its_model(tmp_path):
    """The defaults (and checks) of the architecture that --model names: I3D reads one
    clip of 32 frames, TSN 3 segments of one frame."""
    i3d = run('train', '--model', 'i3d_resnet18_dfb_custom', '--train-list', 'x.txt',
              '--num-segments', '3')
    assert i3d.returncode == 2 and 'gluon-dfb train: error: --num-segments is for TSN' in \
        i3d.stderr
    tsn = run('train', '--model', 'tsn_resnet18_dfb_custom', '--num-classes', '2',
              '--train-list', str(tmp_path / 'missing.txt'), '--num-segments', '3',
              '--out-dir', str(tmp_path / 'out'))
    assert tsn.returncode == 2 and 'missing.txt does not exist' in tsn.stderr


ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
#: Every older way in: (its command line, the verb whose command line it is).
ALIASES = [
    (['train_scripts/train_tsn.py'], 'train'),
    (['train_scripts/train_i3d.py'], 'train'),
    (['train_scripts/test_recognizer.py'], 'test'),
    (['train_scripts/prepare_data.py'], 'prepare'),
    (['train_scripts/pretrain_trunk.py'], 'pretrain'),
    (['-m', 'gluon_dfb.predict'], 'predict'),
    (['-m', 'gluon_dfb.export'], 'export'),
    (['-m', 'gluon_dfb.quantize'], 'quantize'),
    (['-m', 'gluon_dfb.demo'], 'demo'),
    (['-m', 'gluon_dfb.ablation'], 'ablation'),
    (['-m', 'gluon_dfb.analysis'], 'analysis'),
]


def options_of(help_text):
    """The option flags a --help lists, in order."""
    return [word.strip('[],') for word in help_text.split() if word.strip('[],').startswith('-')]


@pytest.mark.parametrize('alias, verb', ALIASES, ids=[a[-1] for a, _ in ALIASES])
def test_every_old_command_is_its_verbs_command_line(alias, verb, capsys, monkeypatch):
    """Each older command, run as Python runs it (a script, or ``-m``), prints its verb's
    options and help."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, 'argv', [alias[-1], '--help'])
    if alias[0] == '-m':
        status, old = help_of(lambda: runpy.run_module(alias[1], run_name='__main__'), capsys)
    else:
        status, old = help_of(lambda: runpy.run_path(alias[0], run_name='__main__'), capsys)
    assert status == 0
    _, new = verb_help(verb, capsys)
    if alias[-1].endswith('train_i3d.py'):  # the training verb defaults to TSN's model
        old = old.replace('i3d_resnet50_dfb', 'tsn_resnet50_dfb').replace('a I3D', 'a TSN')
    assert options_of(old) == options_of(new) != []
    assert old.split('\n\n', 1)[1] == new.split('\n\n', 1)[1]
