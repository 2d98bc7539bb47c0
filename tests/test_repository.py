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


def test_docs_layout_names_every_block_and_top_level_module():
    layout = read(os.path.join('docs', 'development.rst')).split('\nLayout\n')[1]
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


#: The floors of the package, lowest first: a module imports from its own floor or
#: lower ones; the top-level modules below ``nn`` are shared by all.
FLOORS = ['errors', 'outputs', 'arguments', 'scoring', 'nn', 'models', 'zoo', 'data', 'engine',
          'analysis', 'inference', 'ablation', 'cli']
#: Top-level modules that only make ``python -m gluon_dfb.X`` run a verb's main.
ALIASES = ['predict', 'export', 'quantize', 'demo']


def package_imports():
    """{(floor of the importing module, module path): floors it imports from}."""
    package = os.path.join(ROOT, 'gluon_dfb')
    found = {}
    for folder, _, files in os.walk(package):
        inside = os.path.relpath(folder, package)
        for name in files:
            if not name.endswith('.py'):
                continue
            floor = name[:-3] if inside == '.' else inside.split(os.sep)[0]
            text = open(os.path.join(folder, name)).read()
            up = '..' if inside != '.' else '.'
            imported = set(re.findall(r'^\s*from %s(\w+)' % re.escape(up), text, re.M))
            imported |= {item.split()[0] for group in re.findall(
                r'^\s*from %s import ([\w, ]+)' % re.escape(up), text, re.M)
                for item in group.split(',')}
            found[(floor, os.path.join(inside, name))] = imported - {floor}
    return found


def test_each_floor_imports_only_from_the_floors_below_it():
    upward = ['%s imports %s' % (path, other) for (floor, path), imported
              in package_imports().items() if floor not in ALIASES + ['__init__']
              for other in imported if other in FLOORS
              and FLOORS.index(other) > FLOORS.index(floor)]
    assert upward == []
    top = sorted(n[:-3] for n in os.listdir(os.path.join(ROOT, 'gluon_dfb'))
                 if n.endswith('.py') and n != '__init__.py')
    assert sorted(set(top) - set(ALIASES)) == sorted(f for f in FLOORS if f in top)
    assert len(set(top) - set(ALIASES)) <= 5
