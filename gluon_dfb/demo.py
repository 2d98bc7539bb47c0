"""``python -m gluon_dfb.demo`` (``make demo``): :mod:`gluon_dfb.ablation.demo`'s command
line (also ``gluon-dfb demo``)."""
import sys

from .ablation.demo import main
from .errors import run_command

if __name__ == '__main__':
    sys.exit(run_command(main))
