"""Where each discriminative filter fires (paper figs. 4-5): the maximum of each of a
class's N filters over the filter-bank volume, mapped back to an input frame and a box
in pixels, drawn as a PNG grid."""
import cv2
import mxnet as mx
import numpy as np
from matplotlib.figure import Figure

from ..data.decode import read_video_frames
from ..data.transforms import centre_crop, normalize
from .feature_grid import filter_bank_grid

__all__ = ['FilterHit', 'locate_filters', 'network_input', 'draw_filter_hits',
           'explain_video']


class FilterHit(object):
    """Filter ``k`` of a class fired most at input ``frame`` inside ``box``
    ``(x0, y0, x1, y1)`` (input pixels; pixel ``(x, y)`` covers ``[x, x + 1) x [y, y + 1)``),
    with ``value``."""

    def __init__(self, k, frame, box, value):
        self.k, self.frame, self.box, self.value = k, frame, box, value

    def __repr__(self):
        return 'FilterHit(k=%d, frame=%d, box=%s, value=%.3g)' % (
            self.k, self.frame, tuple(round(v, 1) for v in self.box), self.value)


def network_input(net, frames):
    """uint8 frames ``(F, H, W, 3)`` -> the network's input: one clip ``(1, 3, F, H, W)``
    for 3D networks, ``F`` frames ``(F, 3, H, W)`` for TSN."""
    x = normalize(np.ascontiguousarray(frames.transpose(3, 0, 1, 2))[None], channel_axis=1)
    return x if net.ndim == 3 else np.ascontiguousarray(x[0].transpose(1, 0, 2, 3))


def locate_filters(net, frames, class_index):
    """The strongest response of each of the ``N`` filters of ``class_index``.

    Cell ``(t, y, x)`` of the filter-bank volume is centred on input frame and pixel
    ``offset + stride * (t, y, x)`` (see :func:`~.feature_grid.filter_bank_grid`; I3D:
    frame ``4 t``, pixel ``(16 y, 16 x)``, or ``(32 y, 32 x)`` on ``F5g`` for the 'gb_df'
    head). That frame is reported, with the box one stride wide centred on that pixel,
    clipped to the frame.

    Parameters
    ----------
    net : Recognizer
        With a filter bank (``head`` 'gb_df' or 'gb_df_lb'); TSN built with
        ``num_segments=1``.
    frames : numpy.ndarray
        uint8 ``(F, H, W, 3)`` frames as the network sees them (resized and cropped).
    class_index : int

    Returns
    -------
    list of FilterHit
    """
    volume = net.filter_responses(mx.nd.array(network_input(net, frames))).asnumpy()
    volume = volume[0] if net.ndim == 3 else volume.transpose(1, 0, 2, 3)  # (N*C, T', h, w)
    offset, stride = filter_bank_grid(net)
    num_frames, height, width = frames.shape[:3]
    n = net.filter_bank.num_filters
    hits = []
    for k in range(n):
        response = volume[class_index * n + k]
        cell = np.unravel_index(np.argmax(response), response.shape)
        centre = offset + stride * np.array(cell)
        frame = int(np.clip(np.round(centre[0]), 0, num_frames - 1))
        low = np.clip(centre[1:] + 0.5 - stride[1:] / 2, 0, (height, width))
        high = np.clip(centre[1:] + 0.5 + stride[1:] / 2, 0, (height, width))
        box = (float(low[1]), float(low[0]), float(high[1]), float(high[0]))
        hits.append(FilterHit(k, frame, box, float(response[cell])))
    return hits


def draw_filter_hits(frames, hits, path, title=''):
    """A grid, one panel per filter: the frame where it fired most, its box drawn."""
    fig = Figure(figsize=(3 * len(hits), 3.4))
    axes = fig.subplots(1, len(hits), squeeze=False)
    for ax, hit in zip(axes[0], hits):
        image = frames[hit.frame].copy()  # boxes of other panels stay off it
        x0, y0, x1, y1 = (int(round(v)) for v in hit.box)
        cv2.rectangle(image, (x0, y0), (max(x0, x1 - 1), max(y0, y1 - 1)), (255, 40, 40),
                      max(1, image.shape[0] // 100))
        ax.imshow(image)
        ax.set_title('filter %d: frame %d, %.2g' % (hit.k, hit.frame, hit.value), fontsize=8)
        ax.axis('off')
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def explain_video(net, path, class_index, out_png, title, protocol, size, short_side):
    """Decode the frames of ``path`` that the one-view ``protocol`` picks, centre-crop
    them to ``size``, and draw where the filters of ``class_index`` fire to ``out_png``.

    Returns
    -------
    list of FilterHit
    """
    frames = centre_crop(read_video_frames(path, lambda n: protocol.indices(n, None)[0],
                                           short_side), size)
    hits = locate_filters(net, frames, class_index)
    draw_filter_hits(frames, hits, out_png, title)
    return hits
