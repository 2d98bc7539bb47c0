"""Prepare data: list files from annotations, checks of a list against its videos,
re-encodings (``gluon-dfb prepare``; usage in :mod:`gluon_dfb.data.commands`)::

    python train_scripts/prepare_data.py {kinetics400,sthsthv1,check,resize} --help
"""
import sys

from gluon_dfb.data.commands import main
from gluon_dfb.errors import run_command

if __name__ == '__main__':
    sys.exit(run_command(main))
