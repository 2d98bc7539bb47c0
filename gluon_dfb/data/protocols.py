"""Sampling protocols: how one video becomes a training sample or its test views.

A protocol picks frame indices ``(V, F)`` (V temporal views of F frames), turns the
decoded uint8 frames into spatial views, and lays them out for the network:
``'3d'`` gives ``(views, 3, F, H, W)`` clips, ``'2d'`` gives ``(views * F, 3, H, W)``
frames (TSN: consecutive rows are the segments of one view).
"""
import numpy as np

from . import sampling, transforms

__all__ = ['Protocol', 'training_protocol', 'evaluation_protocol', 'TEST_PROTOCOLS']

TEST_PROTOCOLS = ('1clip', '3d-10clip', '2d-20x10')


class Protocol(object):
    """A sampling protocol.

    Parameters
    ----------
    indices : callable
        ``(num_frames, rng) -> int array (V, F)``.
    spatial : callable
        ``(uint8 (V, F, H, W, 3), rng) -> uint8 (V', F, h, w, 3)``.
    layout : str
        '2d' or '3d'.
    name : str
        For messages.
    """

    def __init__(self, indices, spatial, layout, name):
        self.indices, self.spatial, self.layout, self.name = indices, spatial, layout, name

    def arrange(self, views):
        """Lay out uint8 views ``(V', F, h, w, 3)`` for the network (moving bytes, not
        floats), then normalise."""
        if self.layout == '3d':
            views = views.transpose(0, 4, 1, 2, 3)
        else:
            views = views.reshape((-1,) + views.shape[2:]).transpose(0, 3, 1, 2)
        return transforms.normalize(np.ascontiguousarray(views), channel_axis=1)

    def __repr__(self):
        return 'Protocol(%s)' % self.name


def training_protocol(arch, num_segments=3, new_length=32, new_step=2, size=224, flip=True):
    """The paper's training sampling: TSN ``num_segments`` random frames, or an I3D
    clip of ``new_length`` frames ``new_step`` apart from a random start; multi-scale
    random crop to ``size``, horizontal flip unless ``flip=False`` (Something-Something)."""
    if arch == 'tsn':
        def indices(n, rng):
            return sampling.segment_indices(n, num_segments, rng=rng)[None]
    else:
        def indices(n, rng):
            return sampling.clip_indices(n, new_length, new_step, rng=rng)[None]

    def spatial(frames, rng):
        return transforms.multiscale_crop(frames[0], size, rng, flip=flip)[None]
    return Protocol(indices, spatial, '2d' if arch == 'tsn' else '3d', '%s-train' % arch)


def evaluation_protocol(name, arch, num_segments=3, new_length=32, new_step=2, size=224):
    """A test-time protocol (paper sec. 4.2).

    ``'1clip'``: TSN ``num_segments`` centre frames / I3D the centre clip, centre crop
    (the training-time setting of the ablations; Something-Something's protocol).
    ``'3d-10clip'``: 10 evenly spaced clips, full frames (fully convolutional), every
    other clip flipped. ``'2d-20x10'``: 20 regularly spaced frames x 10 crops (5 crops
    and their flips), 200 views.
    """
    if name == '1clip' and arch == 'tsn':
        return Protocol(lambda n, rng: sampling.segment_indices(n, num_segments)[None],
                        lambda f, rng: transforms.centre_crop(f[0], size)[None], '2d', name)
    if name == '1clip':
        return Protocol(lambda n, rng: sampling.clip_indices(n, new_length, new_step)[None],
                        lambda f, rng: transforms.centre_crop(f[0], size)[None], '3d', name)
    if name == '3d-10clip':
        def indices(n, rng):
            starts = sampling.spread_clip_starts(n, new_length, new_step, 10)
            return np.stack([sampling.clip_indices(n, new_length, new_step, start=s)
                             for s in starts])

        def spatial(frames, rng):
            flipped = frames[1::2, :, :, ::-1]
            return np.stack([flipped[i // 2] if i % 2 else frames[i] for i in range(10)])
        return Protocol(indices, spatial, '3d', name)
    if name == '2d-20x10':
        return Protocol(lambda n, rng: sampling.segment_indices(n, 20)[None],
                        lambda f, rng: transforms.ten_crops(f[0], size), '2d', name)
    raise ValueError('Unknown test protocol %r; choose one of %s' % (name, TEST_PROTOCOLS))
