"""``.. command-line-reference::``: the reference of the ``gluon-dfb`` command, generated
when the docs are built.

For each verb of :data:`gluon_dfb.cli.VERBS` the directive imports the verb's module,
runs its ``main(['--help'])`` with stdout captured (``sys.argv[0]`` set to ``gluon-dfb
VERB`` first, as the command does, so that usage says ``gluon-dfb VERB``) and emits a
section with the verb's one-line description and the help text as a literal block. A verb
whose parser has subcommands (``prepare``) gets the help of each subcommand too. The
help is wrapped at 80 columns whatever the terminal, so the page does not depend on
where it was built.
"""
import argparse
import contextlib
import importlib
import io
import os
import sys

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from api_reference import always_reread

WIDTH = '80'


def help_text(module, verb, argv):
    """What ``gluon-dfb VERB ARGV --help`` prints."""
    saved_prog, saved_columns = sys.argv[0], os.environ.get('COLUMNS')
    sys.argv[0] = 'gluon-dfb %s' % verb
    os.environ['COLUMNS'] = WIDTH
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            module.main(list(argv) + ['--help'])
    except SystemExit as exit_:
        if exit_.code not in (0, None):
            raise RuntimeError('gluon-dfb %s --help exited with %r' % (
                ' '.join([verb] + list(argv)), exit_.code)) from None
    else:
        raise RuntimeError('gluon-dfb %s --help did not exit' % ' '.join([verb] + list(argv)))
    finally:
        sys.argv[0] = saved_prog
        if saved_columns is None:
            os.environ.pop('COLUMNS', None)
        else:
            os.environ['COLUMNS'] = saved_columns
    return out.getvalue()


def subcommands(module):
    """The subcommands of a module whose ``parser()`` has them (else none)."""
    build = getattr(module, 'parser', None)
    if not callable(build):
        return []
    try:
        parser = build()
    except TypeError:
        return []
    for action in getattr(parser, '_actions', ()):
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


class CommandLineReference(SphinxDirective):
    """A section per verb of ``gluon-dfb``: its description and its ``--help``."""
    has_content = False

    def section(self, title, ids, paragraphs, text):
        section = nodes.section(ids=[nodes.make_id(ids)])
        section += nodes.title(text=title)
        section += paragraphs
        block = nodes.literal_block(text, text)
        block['language'] = 'text'
        section += block
        return section

    def run(self):
        from gluon_dfb.cli import VERBS, usage
        always_reread(self.env, self.env.docname)  # the options come from many modules
        result = [self.section('gluon-dfb', 'gluon-dfb-command', [], usage())]
        for verb, (module_name, about) in VERBS.items():
            module = importlib.import_module(module_name)
            runs = nodes.paragraph()
            runs += nodes.Text(about[:1].upper() + about[1:] + '; runs ')
            runs += nodes.literal(text='%s.main(argv)' % module_name)
            runs += nodes.Text('.')
            section = self.section('gluon-dfb %s' % verb, 'gluon-dfb-%s' % verb, [runs],
                                   help_text(module, verb, []))
            for name in subcommands(module):
                section += self.section('gluon-dfb %s %s' % (verb, name),
                                        'gluon-dfb-%s-%s' % (verb, name), [],
                                        help_text(module, verb, [name]))
            result.append(section)
        return result


def setup(app):
    app.add_directive('command-line-reference', CommandLineReference)
    return {'version': '1.0', 'parallel_read_safe': True, 'parallel_write_safe': True}
