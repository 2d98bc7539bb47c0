"""``python -m gluon_dfb.analysis``: see :mod:`gluon_dfb.analysis.report`."""
from .report import main

main()
