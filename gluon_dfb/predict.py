"""``python -m gluon_dfb.predict``: :mod:`gluon_dfb.inference.predict`'s command line (also
``gluon-dfb predict``)."""
import sys

from .errors import run_command
from .inference.predict import main

if __name__ == '__main__':
    sys.exit(run_command(main))
