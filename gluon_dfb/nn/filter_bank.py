"""The discriminative filter bank (paper sec. 3.2)."""
from mxnet import init
from mxnet.gluon import HybridBlock, nn

__all__ = ['DiscriminativeFilterBank']


class DiscriminativeFilterBank(HybridBlock):
    r"""N filters per class, global max pooling, and the two classifiers on top.

    ``N * C`` 1x1 (2D) or 1x1x1 (3D) convolutions respond to local cues; the maximum
    of each response over the whole feature volume is taken. Filters
    ``c*N .. c*N+N-1`` belong to class ``c``: their mean is the cross-channel pooled
    score ``z_xchannel``; a dense layer over all ``N * C`` maxima gives ``z_max``.

    Parameters
    ----------
    in_channels : int
        Channels of the feature volume.
    nclass : int
        Number of classes ``C``.
    num_filters : int, default 5
        Filters per class ``N``.
    ndim : int, default 3
        Spatial dimensions of the features: 2 for (B, C, H, W), 3 for (B, C, T, H, W).
    dropout : float, default 0.5
        Dropout before the dense layer of ``z_max``.
    init_std : float, default 0.01
        Standard deviation of the dense layer's initial weights.

    Inputs: features ``(B, in_channels, [T,] H, W)``.
    Outputs: ``z_xchannel (B, C)``, ``z_max (B, C)``.
    """

    def __init__(self, in_channels, nclass, num_filters=5, ndim=3, dropout=0.5,
                 init_std=0.01, **kwargs):
        super(DiscriminativeFilterBank, self).__init__(**kwargs)
        self.nclass = nclass
        self.num_filters = num_filters
        conv = {2: nn.Conv2D, 3: nn.Conv3D}[ndim]
        with self.name_scope():
            self.filters = conv(nclass * num_filters, kernel_size=1, use_bias=False,
                                in_channels=in_channels)
            self.dropout = nn.Dropout(dropout)
            self.dense = nn.Dense(nclass, in_units=nclass * num_filters,
                                  weight_initializer=init.Normal(sigma=init_std))

    def response(self, x):
        """Filter responses before pooling, ``(B, N * C, [T,] H, W)``; channel
        ``c * N + k`` is filter ``k`` of class ``c``."""
        return self.filters(x)

    def hybrid_forward(self, F, x):
        volume = self.filters(x)
        maxima = F.max(F.reshape(volume, shape=(0, 0, -1)), axis=2)
        per_class = F.reshape(maxima, shape=(0, self.nclass, self.num_filters))
        z_xchannel = F.mean(per_class, axis=2)
        z_max = self.dense(self.dropout(maxima))
        return z_xchannel, z_max
