"""Prepare data: build list files, check them against their videos, re-encode videos.

List files (``path num_frames label``) and class lists from the official annotations,
checks of a list against its videos, re-encodings to a smaller short side::

    python train_scripts/prepare_data.py kinetics400 --annotations kinetics_train.csv \
        --root videos/train --out train.txt --classes classes.txt
    python train_scripts/prepare_data.py sthsthv1 --labels something-something-v1-labels.csv \
        --annotations something-something-v1-train.csv --root 20bn-something-something-v1 \
        --out train.txt --classes classes.txt
    python train_scripts/prepare_data.py check train.txt --data-root videos/train \
        --model i3d_resnet50_dfb_kinetics400          # writes train.txt.clean, train.txt.check
    python train_scripts/prepare_data.py resize train.txt --data-root videos/train \
        --out-root videos256/train --short-side 256   # writes train_256.txt
"""
import sys

from gluon_dfb.data.commands import main
from gluon_dfb.errors import run_command

if __name__ == '__main__':
    sys.exit(run_command(main))
