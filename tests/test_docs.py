"""The documentation: it builds with warnings as errors and its examples run (``make
docs``), and the README stays short, with every figure of its tables found in the file it
names as their source."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
README_MAX_LINES = 150

#: a table's border line: a simple table's ``===  ===`` or a grid table's ``+---+---+``
BORDER = re.compile(r'^(=+ +)+=+\s*$|^\+([-=]+\+)+\s*$')
#: ``Source: PATH`` (the path may be an inline literal, a full stop may end the line)
SOURCE = re.compile(r'^Source:\s+``?([^`\s]+?)``?\.?\s*$|^Source:\s+([^`\s]+?)\.?\s*$')
#: a figure as the README writes it: 59.77, +5.1, 3.00x, 99.6%, 4.4 (not the 3 of I3D,
#: the 50 of resnet50 or the 20 of 2d-20x10)
NUMBER = re.compile(r'(?<![\w.+-])[+-]?\d+(?:\.\d+)?(?:x|%)?(?![\w.])')


def read(name):
    with open(os.path.join(ROOT, name), encoding='utf-8') as f:
        return f.read()


def readme_lines():
    return read('README.rst').splitlines()


def blocks(lines):
    """(first, last) line index of each table and each indented literal block."""
    found, i = [], 0
    while i < len(lines):
        if BORDER.match(lines[i]):
            j = i
            while j + 1 < len(lines) and lines[j + 1].strip():
                j += 1
            found.append((i, j))
            i = j + 1
        elif lines[i].rstrip().endswith('::') and not lines[i].lstrip().startswith('..'):
            j = i + 1
            while j + 1 < len(lines) and (not lines[j + 1].strip()
                                          or lines[j + 1].startswith((' ', '\t'))):
                j += 1
            while j > i and not lines[j].strip():
                j -= 1
            if j > i:
                found.append((i + 1, j))
            i = j + 1
        else:
            i += 1
    return found


def neighbour(lines, index, step):
    """The nearest non-blank line from ``index`` in direction ``step`` (or '')."""
    index += step
    while 0 <= index < len(lines) and not lines[index].strip():
        index += step
    return lines[index].strip() if 0 <= index < len(lines) else ''


def source_of(lines, first, last):
    """The path on the ``Source:`` line right above or below a block, else None."""
    for line in (neighbour(lines, first, -1), neighbour(lines, last, +1)):
        match = SOURCE.match(line)
        if match:
            return match.group(1) or match.group(2)
    return None


def sourced_tables(lines):
    """(source path or None, first, last, the block's lines) of every table, and of every
    literal block that names a source."""
    result = []
    for first, last in blocks(lines):
        is_table = bool(BORDER.match(lines[first]))
        source = source_of(lines, first, last)
        if is_table or source:
            result.append((source, first, last, lines[first:last + 1]))
    return result


def figures(block):
    """The numbers of a table's rows (border lines left out)."""
    return [n for line in block if not BORDER.match(line) for n in NUMBER.findall(line)]


def test_readme_is_at_most_150_lines():
    lines = readme_lines()
    assert len(lines) <= README_MAX_LINES, (
        'README.rst has %d lines; at most %d: move detail to docs/'
        % (len(lines), README_MAX_LINES))


def test_every_readme_table_names_its_source_and_its_figures_are_in_it():
    lines = readme_lines()
    tables = sourced_tables(lines)
    assert len(tables) >= 2, 'the headline tables (the ablation, INT8) are missing'
    checked = 0
    for source, first, last, block in tables:
        where = 'README.rst, lines %d-%d' % (first + 1, last + 1)
        assert source, '%s: a table without a "Source: PATH" line right above or below it' \
            % where
        path = os.path.join(ROOT, source)
        assert os.path.isfile(path), '%s: its source %s does not exist' % (where, source)
        text = read(source)
        numbers = figures(block)
        assert numbers, '%s: no figures found' % where
        missing = sorted({n for n in numbers if n not in text})
        assert not missing, '%s: not in %s: %s' % (where, source, ', '.join(missing))
        checked += len(numbers)
    assert checked >= 20


def test_the_checks_catch_a_table_without_source_and_a_figure_not_in_it():
    table = ['=====  =====', 'a      b', '=====  =====', 'I3D    +5.1 +- 4.4',
             'x      3.00x', '=====  =====']
    assert sourced_tables([''] + table + ['']) == [(None, 1, 6, table)]
    assert figures(table) == ['+5.1', '4.4', '3.00x']
    named = table + ['', 'Source: ``results/report.md``.']
    assert sourced_tables(named)[0][0] == 'results/report.md'
    assert sourced_tables(['Source: benchmarks/RESULTS.md', ''] + table)[0][0] == \
        'benchmarks/RESULTS.md'


@pytest.mark.slow  # a Sphinx build, not a unit test: make test runs it
def test_docs_build_with_warnings_as_errors_and_their_examples_pass(tmp_path):
    # this interpreter (the venv that runs the tests, with the docs extra) and no
    # re-install: `make test` has just made the venv
    done = subprocess.run(['make', '-C', ROOT, 'docs', 'DOCS_OUT=%s' % tmp_path,
                           'PY=%s' % sys.executable, '-o', '.venv/.installed'],
                          capture_output=True, text=True)
    assert done.returncode == 0, 'make docs failed:\n%s\n%s' % (done.stdout[-5000:],
                                                               done.stderr[-5000:])
    assert (tmp_path / 'html' / 'index.html').is_file()
    assert (tmp_path / 'html' / 'cli.html').is_file()
    summary = (tmp_path / 'doctest' / 'output.txt').read_text()
    assert ' 0 failures in tests' in summary
