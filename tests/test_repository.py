"""What the repository says about itself: the Python it needs, the modules its README
lists, and the run outputs git leaves out."""
import os
import re
import subprocess

import pytest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')


def read(name):
    with open(os.path.join(ROOT, name)) as f:
        return f.read()


def test_python_version_is_one_that_has_keyword_only_dataclasses():
    required = re.search(r"python_requires='>=(\d+)\.(\d+)'", read('setup.py')).groups()
    stated = re.search(r'Python (\d+)\.(\d+)\+', read('README.rst')).groups()
    assert required == stated
    # the configurations share option groups through dataclass(kw_only=True) (Python 3.10)
    assert '@dataclass(kw_only=True)' in read(os.path.join('gluon_dfb', 'engine', 'config.py'))
    assert tuple(map(int, required)) >= (3, 10)


def test_readme_layout_names_every_block_and_top_level_module():
    layout = read('README.rst').split('\nLayout\n')[1]
    package = os.path.join(ROOT, 'gluon_dfb')
    modules = [n for folder in ('', 'nn', 'zoo', 'inference')
               for n in os.listdir(os.path.join(package, folder))
               if n.endswith('.py') and not n.startswith('__')]
    assert {'sync_batch_norm.py', 'weights.py', 'quantize.py', 'cli.py'} <= set(modules)
    assert [m for m in modules if not re.search(r'[`/]%s``' % re.escape(m), layout)] == []


def git(*args):
    return subprocess.run(['git', '-C', ROOT] + list(args), capture_output=True, text=True)


@pytest.mark.skipif(git('rev-parse').returncode != 0, reason='not a git checkout')
def test_run_outputs_are_ignored_at_the_top_level_only():
    outputs = ['out_tsn/train.log', 'out_i3d/best.params', 'predictions.npz',
               'analysis/report.md']
    ignored = git('check-ignore', '--no-index', *outputs).stdout.split()
    assert ignored == outputs
    sources = ['gluon_dfb/analysis/metrics.py', 'gluon_dfb/analysis/new_module.py']
    assert git('check-ignore', '--no-index', *sources).stdout == ''
    assert git('ls-files', 'out_*', 'predictions.npz', 'analysis').stdout == ''
