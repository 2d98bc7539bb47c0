"""``python -m gluon_dfb.quantize``: :mod:`gluon_dfb.inference.quantize`'s command line (also
``gluon-dfb quantize``)."""
import sys

from .errors import run_command
from .inference.quantize import main

if __name__ == '__main__':
    sys.exit(run_command(main))
