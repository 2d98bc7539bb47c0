"""Sphinx configuration of gluon-dfb's documentation (``make docs``)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.abspath(os.path.join(HERE, '..')))  # gluon_dfb from the checkout
sys.path.insert(0, os.path.join(HERE, '_ext'))                 # our extensions

project = 'gluon-dfb'
author = 'gluon-dfb contributors'
copyright = 'gluon-dfb contributors'
release = version = '0.1.0'

extensions = [
    'sphinx.ext.autodoc',
    'sphinx.ext.doctest',
    'numpydoc',
    'api_reference',
    'cli_reference',
]

master_doc = 'index'
exclude_patterns = ['_build']
html_theme = 'alabaster'
html_static_path = []

# autodoc: members in source order; the documented members only.
autodoc_member_order = 'bysource'
autodoc_default_options = {'members': True}
# `X` (single back-quotes) reads as an inline literal, as ``X`` does, not as a title.
default_role = 'literal'

# numpydoc: no autosummary tables of class members (autodoc lists them).
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
