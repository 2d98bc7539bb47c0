"""Train a TSN network with the discriminative filter bank head.

    python train_scripts/train_tsn.py --model tsn_resnet50_dfb_custom --num-classes 10 \
        --train-list train.txt --val-list val.txt --data-root videos --out-dir out
"""
from gluon_dfb.engine.train import main
from gluon_dfb.errors import run_command

if __name__ == '__main__':
    run_command(lambda: main(arch='tsn'))
