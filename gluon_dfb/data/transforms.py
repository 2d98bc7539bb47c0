"""Spatial transforms of whole clips, kept as uint8 ``(F, H, W, 3)`` arrays until the
final normalisation (paper sec. 4.2: short side 256, multi-scale random 224 crops and
flips in training; centre, ten or no crops at test)."""
import cv2
import numpy as np

__all__ = ['resized_shape', 'resize', 'resize_frame', 'multiscale_crop', 'centre_crop_place',
           'centre_crop', 'ten_crops', 'normalize', 'NORMALIZED', 'MEAN', 'STD']

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
SCALES = (1.0, 0.875, 0.75, 0.66)


def resized_shape(height, width, short_side):
    """(height, width) with the short side at ``short_side`` and the aspect ratio kept;
    videos already smaller, and any with ``short_side=None``, are left at their size
    (never blown up)."""
    short = min(height, width)
    if short_side is None or short <= short_side:
        return height, width
    return (int(round(height * short_side / short)), int(round(width * short_side / short)))


def resize(clip, height, width):
    """Bilinear resize of every frame of ``clip`` (F, H, W, 3) with OpenCV."""
    if clip.shape[1:3] == (height, width):
        return clip
    out = np.empty((clip.shape[0], height, width, clip.shape[3]), clip.dtype)
    for frame, target in zip(clip, out):
        resize_frame(frame, target)
    return out


def resize_frame(frame, out):
    """Write ``frame`` (H, W, 3) into ``out`` (h, w, 3), bilinearly resized with OpenCV
    (copied if the sizes are equal)."""
    if frame.shape == out.shape:
        out[...] = frame
    else:
        cv2.resize(frame, (out.shape[1], out.shape[0]), dst=out, interpolation=cv2.INTER_LINEAR)


def multiscale_crop(clip, size, rng, flip=True):
    """Training augmentation: a random crop whose sides are each one of
    ``SCALES`` x the short side (at most one scale step apart, as in TSN), at a random
    place, resized to ``size`` x ``size``, and flipped with probability 1/2."""
    _, h, w, _ = clip.shape
    base = min(h, w)
    pairs = [(i, j) for i in range(len(SCALES)) for j in range(len(SCALES)) if abs(i - j) <= 1]
    i, j = pairs[rng.randint(len(pairs))]
    ch, cw = int(base * SCALES[i]), int(base * SCALES[j])
    top, left = rng.randint(0, h - ch + 1), rng.randint(0, w - cw + 1)
    out = resize(clip[:, top:top + ch, left:left + cw], size, size)
    if flip and rng.randint(2):
        out = out[:, :, ::-1]
    return out


def _crop(clip, top, left, size):
    return clip[:, top:top + size, left:left + size]


def at_least_shape(height, width, size):
    """The ``(height, width)`` that :func:`at_least` gives a ``height`` x ``width`` frame."""
    short = min(height, width)
    if short >= size:
        return height, width
    return (max(size, int(round(height * size / short))),
            max(size, int(round(width * size / short))))


def at_least(clip, size):
    """``clip`` upscaled so that its short side is ``size`` if it is shorter (the one
    case where frames are enlarged: a crop cannot be larger than the frame)."""
    return resize(clip, *at_least_shape(clip.shape[1], clip.shape[2], size))


def centre_crop_place(height, width, size):
    """Where :func:`centre_crop` takes its crop from a ``height`` x ``width`` frame.

    Returns
    -------
    (int, int, int, int)
        The frame's size after :func:`at_least`, ``(h, w)``, and the crop's top-left corner
        in it, ``(top, left)``.
    """
    h, w = at_least_shape(height, width, size)
    return h, w, (h - size) // 2, (w - size) // 2


def centre_crop(clip, size):
    """The centred ``size`` x ``size`` crop; (F, size, size, 3)."""
    h, w, top, left = centre_crop_place(clip.shape[1], clip.shape[2], size)
    return _crop(resize(clip, h, w), top, left, size)


def ten_crops(clip, size):
    """Oversampling: four corner crops and the centre crop, then the same five flipped;
    (10, F, s, s, 3), every view a whole clip (not a mix of clips' frames)."""
    clip = at_least(clip, size)
    _, h, w, _ = clip.shape
    places = [(0, 0), (0, w - size), (h - size, 0), (h - size, w - size),
              ((h - size) // 2, (w - size) // 2)]
    five = np.stack([_crop(clip, t, l, size) for t, l in places])
    return np.concatenate([five, five[:, :, :, ::-1]])


# NORMALIZED[c, v]: the value v (0..255) of channel c normalised, in float32 arithmetic:
# float32(v) * float32(1 / (255 std[c])) - float32(mean[c] / std[c])
NORMALIZED = np.multiply(np.arange(256, dtype=np.uint8), (1.0 / (255.0 * STD))[:, None],
                         dtype=np.float32) - (MEAN / STD)[:, None]


def normalize(views, channel_axis=-1):
    """uint8 views -> float32 ImageNet-normalised, keeping the layout; ``channel_axis``
    is where the RGB axis is.

    Each value is looked up in :data:`NORMALIZED` (``cv2.LUT``, one pass over each
    channel's plane), which gives the float32 arithmetic's results bit for bit at a
    fraction of its time.
    """
    views = np.ascontiguousarray(views)
    out = np.empty(views.shape, np.float32)
    axis = channel_axis % views.ndim
    lead, trail = int(np.prod(views.shape[:axis])), int(np.prod(views.shape[axis + 1:]))
    if trail == 1:  # channels last: one call with a 3-channel table
        cv2.LUT(views.reshape(lead, 1, 3), np.ascontiguousarray(NORMALIZED.T)[None],
                dst=out.reshape(lead, 1, 3))
        return out
    src, dst = views.reshape(lead, 3, 1, trail), out.reshape(lead, 3, 1, trail)
    for i in range(lead):
        for c in range(3):
            cv2.LUT(src[i, c], NORMALIZED[c], dst=dst[i, c])
    return out
