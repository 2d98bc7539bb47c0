"""Pretrain a 2D ResNet v1b trunk on generated proxy images (the stand-in for ImageNet
where nothing can be downloaded) and write a GluonCV-layout parameter file, loadable as
``--pretrained-base`` (inflated for I3D), with a json beside it (sha1, recipe, held-out
accuracy).

    python train_scripts/pretrain_trunk.py --depth 18 --input-size 32 --out trunk.params
"""
from gluon_dfb.engine.pretrain import main
from gluon_dfb.errors import run_command

if __name__ == '__main__':
    run_command(main)
