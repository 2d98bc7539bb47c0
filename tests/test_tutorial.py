"""docs/tutorial.rst as a user runs it: every command of its code blocks, in order, on a
tiny folder of class folders; each command gets options appended at its end that make
it tiny (argparse keeps the last value given), nothing else is changed."""
import os
import re
import shlex
import subprocess
import sys

import pytest

from gluon_dfb.engine import pretrain
from gluon_dfb.zoo.proxy import proxy_trunk_path

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
COMMAND = os.path.join(os.path.dirname(sys.executable), 'gluon-dfb')
#: Options appended to each verb's command: tiny frames, one epoch, few runs.
TINY = {
    'ablation': ['--input-size', '32', '--epochs', '1', '--batch-size', '3', '--lrs', '0.01',
                 '--seeds', '0', '1', '--widen', '0', '--no-probe', '--processes', '1'],
    'train': ['--input-size', '32', '--short-side', '32', '--batch-size', '3', '--epochs', '1',
              '--lr-steps', '1', '--num-workers', '0'],
    'test': ['--input-size', '32', '--short-side', '32', '--num-workers', '0'],
    'export': ['--input-shape', '1,3,32,32'],
    'quantize': ['--input-size', '32', '--short-side', '32', '--calib-videos', '4',
                 '--check-videos', '4', '--range-scales', '3'],
    'predict': ['--input-size', '32', '--short-side', '32'],
}


def tutorial_commands():
    """The ``gluon-dfb`` commands of the tutorial's bash blocks, in order, as argv lists."""
    text = open(os.path.join(ROOT, 'docs', 'tutorial.rst')).read()
    blocks = re.findall(r'\.\. code-block:: bash\n\n((?:    .*\n|\n)+)', text)
    lines = '\n'.join(blocks).replace('\\\n', ' ')
    return [shlex.split(line) for line in lines.splitlines() if line.strip()]


@pytest.mark.slow
def test_every_tutorial_command_runs(class_folders, tmp_path, monkeypatch):
    monkeypatch.setenv('GLUON_DFB_MODEL_ROOT', str(tmp_path / 'store'))
    os.makedirs(str(tmp_path / 'store'))
    pretrain.pretrain_trunk(proxy_trunk_path(depth=18), steps=2, batch_size=8, input_size=32,
                            heldout=32, warmup_steps=1)  # the stand-in trunk, made tiny
    video = os.path.join(class_folders, 'drink', 'clips', 'cam0_take0.mp4')
    commands = tutorial_commands()
    assert [c[1] for c in commands] == ['ablation', 'train', 'test', 'analysis', 'export',
                                        'quantize', 'predict']
    for argv in commands:
        assert argv[0] == 'gluon-dfb'
        argv = [{'DATA': class_folders, 'VIDEO': video}.get(a, a.replace('DATA/', class_folders
                                                                         + '/')) for a in argv]
        done = subprocess.run([COMMAND] + argv[1:] + TINY.get(argv[1], []), cwd=str(tmp_path),
                              capture_output=True, text=True)
        assert done.returncode == 0, '%s\n%s' % (' '.join(argv), done.stderr[-3000:])
        if argv[1] == 'ablation':
            assert open(str(tmp_path / 'ablation_out' / 'report.md')).read().split('\n')[
                2].startswith('**Verdict**: ')
    assert re.search(r'\(1clip\): (drink|eat|pour) \d\.\d{3}', done.stdout)
