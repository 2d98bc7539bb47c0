"""The local detail-preserving feature branch (paper sec. 3.3)."""
from mxnet.gluon import HybridBlock, nn

from .batch_norm import BatchNorm3D

__all__ = ['LocalBranch']


class LocalBranch(HybridBlock):
    r"""A randomly initialised copy of stage 5, upsampled back to stage 4's size,
    plus a skip connection from stage 4.

    ``S = ReLU(upsample(stage5(F4)) + BN(conv1x1(F4)))``. The upsampling is bilinear,
    over space only, to exactly the spatial size of ``F4`` (not a fixed factor), so odd
    input sizes and fully convolutional testing work.

    Parameters
    ----------
    stage : HybridBlock
        A fresh stage 5 (same structure as the backbone's), mapping ``F4`` to ``F5``.
    in_channels : int
        Channels of ``F4``.
    channels : int
        Channels of ``F5`` and of the output.
    ndim : int, default 3
        2 for (B, C, H, W) features, 3 for (B, C, T, H, W).

    Inputs: ``F4``. Outputs: ``S`` with ``channels`` channels and ``F4``'s size.

    ``fixed_shapes = (F5 shape, F4 shape)`` replaces the shape-following operations by
    constant shapes (the same numbers for inputs of that size), for exporters such as
    ONNX that cannot resize "like" another tensor; re-hybridize after setting it.
    """

    def __init__(self, stage, in_channels, channels, ndim=3, **kwargs):
        super(LocalBranch, self).__init__(**kwargs)
        self.ndim = ndim
        self.fixed_shapes = None
        conv, norm = {2: (nn.Conv2D, nn.BatchNorm), 3: (nn.Conv3D, BatchNorm3D)}[ndim]
        with self.name_scope():
            self.stage = stage
            self.skip_conv = conv(channels, kernel_size=1, use_bias=False,
                                  in_channels=in_channels)
            self.skip_bn = norm(in_channels=channels)

    def upsample(self, F, x, like):
        """Bilinear resize of ``x`` to the spatial size of ``like`` (time untouched)."""
        if self.fixed_shapes is not None:
            return self._upsample_fixed(F, x)
        frames = x if self.ndim == 2 else F.reshape(x, shape=(0, -3, 0, 0))
        like_frames = like if self.ndim == 2 else F.reshape(like, shape=(0, -3, 0, 0))
        frames = F.contrib.BilinearResize2D(frames, like=like_frames, mode='like')
        return frames if self.ndim == 2 else F.reshape_like(frames, like)

    def _upsample_fixed(self, F, x):
        """:meth:`upsample` with the constant shapes of ``fixed_shapes``."""
        f5_shape, f4_shape = self.fixed_shapes
        height, width = f4_shape[-2:]
        if self.ndim == 2:
            return F.contrib.BilinearResize2D(x, height=height, width=width)
        batch, channels, time = f5_shape[:3]
        frames = F.reshape(x, shape=(batch, channels * time) + tuple(f5_shape[-2:]))
        frames = F.contrib.BilinearResize2D(frames, height=height, width=width)
        return F.reshape(frames, shape=(batch, channels, time, height, width))

    def hybrid_forward(self, F, f4):
        skip = self.skip_bn(self.skip_conv(f4))
        up = self.upsample(F, self.stage(f4), skip)
        return F.relu(up + skip)
