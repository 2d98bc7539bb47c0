"""The one command, ``gluon-dfb VERB``, as installed: every verb reaches its command
line's options under its own name, and the scripts of ``train_scripts/`` are the same
command lines."""
import os
import subprocess
import sys

import pytest

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


@pytest.mark.parametrize('verb', sorted(VERBS))
def test_each_verb_shows_its_own_options(verb):
    done = run(verb, '--help')
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith('usage: gluon-dfb %s ' % verb)


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
