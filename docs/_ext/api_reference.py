"""``.. package-modules:: PACKAGE``: an ``automodule`` section for every module of a
package, found when the docs are built, so that the API reference follows the package's
layout (a module added, moved or removed needs no edit of ``api.rst``).

Modules whose name starts with ``_`` (``__main__``) are left out, and so are those named
in the ``:exclude:`` option (space-separated short names). A page that uses the directive
(or ``command-line-reference``, :mod:`cli_reference`) is read again on every build, since
what it shows depends on files Sphinx does not track.
"""
import importlib
import pkgutil

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles


def always_reread(env, docname):
    """Mark ``docname`` to be read again on every build."""
    if not hasattr(env, 'gluon_dfb_generated'):
        env.gluon_dfb_generated = set()
    env.gluon_dfb_generated.add(docname)


def package_modules(package_name, exclude=()):
    """The full names of a package's modules, sorted, without ``_*`` and ``exclude``."""
    package = importlib.import_module(package_name)
    return ['%s.%s' % (package_name, info.name)
            for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name)
            if not info.name.startswith('_') and info.name not in exclude]


class PackageModules(SphinxDirective):
    """A section per module of the package named, with its ``automodule``."""
    required_arguments = 1
    option_spec = {'exclude': directives.unchanged}

    def run(self):
        always_reread(self.env, self.env.docname)
        exclude = set(self.options.get('exclude', '').split())
        lines = []
        for name in package_modules(self.arguments[0], exclude):
            title = '``%s``' % name
            lines += [title, '~' * len(title), '', '.. automodule:: %s' % name, '']
        container = nodes.section()
        container.document = self.state.document
        nested_parse_with_titles(self.state, StringList(
            lines, source='<package-modules %s>' % self.arguments[0]), container)
        return container.children


def outdated(app, env, added, changed, removed):
    return sorted(getattr(env, 'gluon_dfb_generated', set()) - set(removed))


def purge(app, env, docname):
    getattr(env, 'gluon_dfb_generated', set()).discard(docname)


def merge(app, env, docnames, other):
    for docname in getattr(other, 'gluon_dfb_generated', set()) & set(docnames):
        always_reread(env, docname)


def setup(app):
    app.add_directive('package-modules', PackageModules)
    app.connect('env-get-outdated', outdated)
    app.connect('env-purge-doc', purge)
    app.connect('env-merge-info', merge)
    return {'version': '1.0', 'parallel_read_safe': True, 'parallel_write_safe': True}


__all__ = ['PackageModules', 'package_modules', 'always_reread']
