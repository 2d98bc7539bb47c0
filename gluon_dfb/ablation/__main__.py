"""``python -m gluon_dfb.ablation`` (``make ablation``): see :mod:`gluon_dfb.ablation.command`."""
from ..errors import run_command
from .command import main

run_command(main)
