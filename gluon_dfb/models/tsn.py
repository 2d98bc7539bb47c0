"""TSN over a 2D ResNet v1b (paper sec. 4.2), with the discriminative filter bank head."""
from functools import partial

from mxnet import init
from mxnet.gluon import nn
from gluoncv.model_zoo import resnetv1b

from .i3d import STAGE_BLOCKS
from .recognizer import Recognizer

__all__ = ['TSNResNet']


class TSNResNet(Recognizer):
    r"""Temporal segment network on a ResNet v1b, every frame through the same network.

    Attribute names follow GluonCV's ``ActionRecResNetV1b`` (``conv1`` .. ``layer4``,
    ``output``), so its checkpoints load by structural name.

    Parameters
    ----------
    nclass : int
        Number of classes.
    depth : int, default 50
        ResNet depth, one of 18, 34, 50, 101, 152.
    head : str, default 'gb_df_lb'
        'gb' (global branch), 'gb_df' (plus filter bank on F5g) or 'gb_df_lb' (full).
    num_filters : int, default 5
        Discriminative filters per class.
    num_segments : int, default 3
        Frames (segments) per video; consecutive input rows of one video are averaged.
    dropout : float, default 0.5
        Dropout before the dense classifiers.
    init_std : float, default 0.01
        Standard deviation of the dense classifiers' initial weights.

    Inputs: ``(B * num_segments, 3, H, W)``.
    """

    ndim = 2

    def __init__(self, nclass, depth=50, head='gb_df_lb', num_filters=5, num_segments=3,
                 dropout=0.5, init_std=0.01, **kwargs):
        super(TSNResNet, self).__init__(**kwargs)
        if depth not in STAGE_BLOCKS:
            raise ValueError('TSN ResNet depth must be one of %s, not %r'
                             % (sorted(STAGE_BLOCKS), depth))
        self.depth = depth
        with self.name_scope():
            resnet = getattr(resnetv1b, 'resnet%d_v1b' % depth)(pretrained=False)
            self.conv1 = resnet.conv1
            self.bn1 = resnet.bn1
            self.relu = resnet.relu
            self.maxpool = resnet.maxpool
            self.layer1 = resnet.layer1
            self.layer2 = resnet.layer2
            self.layer3 = resnet.layer3
            self.layer4 = resnet.layer4
            self.avgpool = resnet.avgpool
            self.flat = resnet.flat
            self.drop = nn.Dropout(rate=dropout)
            channels5 = resnet.fc._in_units
            self.output = nn.Dense(nclass, in_units=channels5,
                                   weight_initializer=init.Normal(sigma=init_std))
            self.build_head(nclass, head, num_filters, dropout, num_segments,
                            channels5 // 2, channels5, partial(fresh_layer4, resnet))

    def stage4(self, F, x):
        """Trunk up to the end of stage 4 (``layer3``)."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer3(self.layer2(self.layer1(x)))

    def trunk_stages(self):
        """The blocks of stages 1-4, a tuple per stage (stem, ``layer1`` .. ``layer3``)."""
        return [(self.conv1, self.bn1), (self.layer1,), (self.layer2,), (self.layer3,)]

    def stage5(self, f4):
        """The pretrained stage 5 of the global branch."""
        return self.layer4(f4)

    def global_logits(self, F, f5):
        """Per-frame logits of the global average pooling classifier."""
        return self.output(self.drop(self.flat(self.avgpool(f5))))


def fresh_layer4(resnet):
    """A new, uninitialised stage 5 with the structure of ``resnet.layer4``, built by
    GluonCV's own ``ResNetV1b._make_layer``."""
    block = type(resnet.layer4[0])
    resnet.inplanes = 256 * block.expansion
    return resnet._make_layer(4, block, 512, len(resnet.layer4), strides=2,
                              norm_layer=nn.BatchNorm)
