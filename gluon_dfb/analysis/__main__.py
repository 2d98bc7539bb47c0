"""``python -m gluon_dfb.analysis``: see :mod:`gluon_dfb.analysis.report`."""
from ..errors import run_command
from .report import main

run_command(main)
