"""Test a trained network with the paper's test-time protocols and save per-video
predictions for the analysis.

    python train_scripts/test_recognizer.py --model i3d_resnet50_dfb_custom --num-classes 8 \
        --params out/best.params --test-list val.txt --data-root videos --protocol 3d-10clip
"""
from gluon_dfb.engine.testing import main
from gluon_dfb.errors import run_command

if __name__ == '__main__':
    run_command(main)
