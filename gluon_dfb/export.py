"""``python -m gluon_dfb.export``: :mod:`gluon_dfb.inference.export`'s command line (also
``gluon-dfb export``)."""
import sys

from .errors import run_command
from .inference.export import main

if __name__ == '__main__':
    sys.exit(run_command(main))
