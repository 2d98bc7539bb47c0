"""I3D over an inflated 3D ResNet (paper sec. 4.2), with the discriminative filter bank head."""
from functools import partial

from mxnet import init
from mxnet.gluon import HybridBlock, nn
from gluoncv.model_zoo.action_recognition.i3d_resnet import Bottleneck

from ..nn import BatchNorm3D
from .recognizer import Recognizer

__all__ = ['I3DResNet', 'BasicBlock3D', 'make_res_layer', 'STAGE_BLOCKS']

#: Residual block type and blocks per stage for each depth.
STAGE_BLOCKS = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3), 50: (3, 4, 6, 3),
                101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}


def inflation_pattern(blocks):
    """Which blocks have a temporal kernel, as in GluonCV's I3D-ResNet (Wang et al.):
    all of stage 2, every other block of stages 3 and 4 from the first, every other
    block of stage 5 from the second."""
    return ((1,) * blocks[0],
            tuple(1 - i % 2 for i in range(blocks[1])),
            tuple(1 - i % 2 for i in range(blocks[2])),
            tuple(i % 2 for i in range(blocks[3])))


class BasicBlock3D(HybridBlock):
    """Inflated ResNet basic block (depths 18 and 34): 3x3x3 (or 1x3x3) then 1x3x3.

    GluonCV's 3D ``BasicBlock`` has no padding in its 3x3x3 convolutions and is marked
    unsupported; this one keeps the feature size like the 2D block it inflates.
    """

    expansion = 1

    def __init__(self, inplanes, planes, spatial_stride=1, temporal_stride=1, downsample=None,
                 if_inflate=True, norm_layer=BatchNorm3D, **kwargs):
        super(BasicBlock3D, self).__init__()
        kt = 3 if if_inflate else 1
        self.conv1 = nn.Conv3D(planes, kernel_size=(kt, 3, 3), in_channels=inplanes,
                               strides=(temporal_stride, spatial_stride, spatial_stride),
                               padding=(kt // 2, 1, 1), use_bias=False)
        self.bn1 = norm_layer(in_channels=planes)
        self.conv2 = nn.Conv3D(planes, kernel_size=(1, 3, 3), in_channels=planes,
                               padding=(0, 1, 1), use_bias=False)
        self.bn2 = norm_layer(in_channels=planes)
        self.downsample = downsample

    def hybrid_forward(self, F, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(out + identity)


def make_res_layer(block, inplanes, planes, inflate, spatial_stride=1, temporal_stride=1,
                   norm_layer=BatchNorm3D, layer_name=''):
    """One ResNet stage of 3D blocks, structured and named like GluonCV's
    ``i3d_resnet.make_res_layer`` (so its checkpoints load), but passing ``norm_layer``
    down to every block.

    Parameters
    ----------
    block : type
        ``Bottleneck`` (GluonCV's) or :class:`BasicBlock3D`.
    inplanes, planes : int
        Input channels, and width of the stage (output is ``planes * block.expansion``).
    inflate : tuple of int
        Per block, 1 for a temporal kernel, 0 for a purely spatial block.
    spatial_stride, temporal_stride : int
        Strides of the first block.
    """
    downsample = None
    if spatial_stride != 1 or inplanes != planes * block.expansion:
        downsample = nn.HybridSequential(prefix=layer_name + 'downsample_')
        with downsample.name_scope():
            downsample.add(nn.Conv3D(planes * block.expansion, kernel_size=1,
                                     in_channels=inplanes, use_bias=False,
                                     strides=(temporal_stride, spatial_stride, spatial_stride)))
            downsample.add(norm_layer(in_channels=planes * block.expansion))
    layers = nn.HybridSequential(prefix=layer_name)
    with layers.name_scope():
        for i, if_inflate in enumerate(inflate):
            first = i == 0
            layers.add(block(inplanes=inplanes if first else planes * block.expansion,
                             planes=planes,
                             spatial_stride=spatial_stride if first else 1,
                             temporal_stride=temporal_stride if first else 1,
                             downsample=downsample if first else None,
                             if_inflate=bool(if_inflate), inflate_style='3x1x1',
                             if_nonlocal=False, norm_layer=norm_layer,
                             layer_name='%d_' % i))
    return layers


class I3DResNet(Recognizer):
    r"""Inflated 3D ResNet v1b with the discriminative filter bank head.

    Time is down-sampled by 4 in the stem (conv1 and pool1 strides of 2) and then kept
    (paper sec. 4.2). Attribute names follow GluonCV's ``I3D_ResNetV1`` (``first_stage``,
    ``res_layers``, ``pool2``, ``st_avg``, ``head``, ``fc``), so its checkpoints load by
    structural name.

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
    num_segments : int, default 1
        Clips per video averaged by the consensus during training.
    dropout : float, default 0.5
        Dropout before the dense classifiers.
    use_pool2 : bool, default False
        GluonCV's extra temporal max pooling (stride 2) after stage 2.
    init_std : float, default 0.01
        Standard deviation of the dense classifiers' initial weights.

    Inputs: ``(B * num_segments, 3, T, H, W)``.
    """

    ndim = 3

    def __init__(self, nclass, depth=50, head='gb_df_lb', num_filters=5, num_segments=1,
                 dropout=0.5, use_pool2=False, init_std=0.01, **kwargs):
        super(I3DResNet, self).__init__(**kwargs)
        if depth not in STAGE_BLOCKS:
            raise ValueError('I3D ResNet depth must be one of %s, not %r'
                             % (sorted(STAGE_BLOCKS), depth))
        self.depth = depth
        self.use_pool2 = use_pool2
        block = BasicBlock3D if depth < 50 else Bottleneck
        inflate = inflation_pattern(STAGE_BLOCKS[depth])
        with self.name_scope():
            self.first_stage = nn.HybridSequential(prefix='')
            self.first_stage.add(nn.Conv3D(64, kernel_size=(5, 7, 7), strides=(2, 2, 2),
                                           padding=(2, 3, 3), in_channels=3, use_bias=False))
            self.first_stage.add(BatchNorm3D(in_channels=64))
            self.first_stage.add(nn.Activation('relu'))
            self.first_stage.add(nn.MaxPool3D(pool_size=(1, 3, 3), strides=(2, 2, 2),
                                              padding=(0, 1, 1)))
            self.pool2 = nn.MaxPool3D(pool_size=(2, 1, 1), strides=(2, 1, 1))
            self.res_layers = nn.HybridSequential(prefix='')
            inplanes = 64
            for i in range(4):
                planes = 64 * 2 ** i
                self.res_layers.add(make_res_layer(
                    block, inplanes, planes, inflate[i], spatial_stride=1 if i == 0 else 2,
                    layer_name='layer%d_' % (i + 1)))
                inplanes = planes * block.expansion
            self.st_avg = nn.GlobalAvgPool3D()
            self.head = nn.HybridSequential(prefix='')
            self.head.add(nn.Dropout(rate=dropout))
            self.fc = nn.Dense(nclass, in_units=inplanes,
                               weight_initializer=init.Normal(sigma=init_std))
            self.head.add(self.fc)
            self.build_head(nclass, head, num_filters, dropout, num_segments,
                            inplanes // 2, inplanes,
                            partial(make_res_layer, block, inplanes // 2, 512, inflate[3],
                                    spatial_stride=2, layer_name='local_layer4_'))

    def stage4(self, F, x):
        """Trunk up to the end of stage 4 (``res_layers[2]``)."""
        x = self.res_layers[0](self.first_stage(x))
        if self.use_pool2:
            x = self.pool2(x)
        return self.res_layers[2](self.res_layers[1](x))

    def trunk_stages(self):
        """The blocks of stages 1-4, a tuple per stage (stem, ``res_layers[0..2]``)."""
        return [(self.first_stage,)] + [(self.res_layers[i],) for i in range(3)]

    def stage5(self, f4):
        """The pretrained stage 5 of the global branch."""
        return self.res_layers[3](f4)

    def global_logits(self, F, f5):
        """Logits of the global average pooling classifier."""
        return self.head(F.flatten(self.st_avg(f5)))
