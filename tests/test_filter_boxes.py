"""Filter boxes land on what the filter responds to, in the real networks.

The oracle: a network whose convolutions are all positive averages (weights 1/fan-in,
BatchNorm the identity, inference mode) is a stack of symmetric blurs, so every filter of
a positive filter bank fires most at the cell whose receptive field is centred nearest a
single bright spot on a background that the first ReLU zeroes. The spots are placed 4
pixels (and, for I3D, 1 frame) away from the middle of the frame on either side, so that
whatever the cells' true centres, no spot is close to the border between two cells.
"""
import cv2
import mxnet as mx
import numpy as np
import pytest

from gluon_dfb import get_model
from gluon_dfb.analysis.filter_boxes import draw_filter_hits, locate_filters
from gluon_dfb.data.transforms import MEAN

GREY = np.floor(255 * MEAN).astype(np.uint8)  # just below the mean: negative once normalised
SPOT_SHIFTS = [(-1, -4, -4), (1, -4, 4), (-1, 4, -4), (1, 4, 4)]  # (frame, y, x)


def averaging(net, input_shape):
    """``net`` with every convolution (filter bank included) a positive average and every
    BatchNorm the identity."""
    net(mx.nd.zeros(input_shape))  # finish deferred initialisation
    for name, param in net.collect_params().items():
        shape = param.shape
        if name.endswith('weight') and len(shape) > 2:  # convolutions
            value = 1.0 / np.prod(shape[1:])
        elif name.endswith(('gamma', 'running_var')):
            value = 1.0
        elif name.endswith(('beta', 'running_mean')):
            value = 0.0
        else:
            continue
        # new arrays: set_data cannot write into a weight that oneDNN has re-laid out
        param.initialize(mx.init.Constant(value), force_reinit=True)
    return net


def spot_clip(frames, size, centre):
    """A grey clip with a bright 3x3 spot centred at ``centre`` = (frame, y, x)."""
    video = np.tile(GREY, (frames, size, size, 1))
    t, y, x = centre
    video[t, y - 1:y + 2, x - 1:x + 2] = 255
    return video


@pytest.mark.parametrize('name,head,frames,size,kwargs', [
    ('tsn_resnet18_dfb_custom', 'gb_df_lb', 3, 64, dict(num_segments=1)),
    ('tsn_resnet18_dfb_custom', 'gb_df', 3, 128, dict(num_segments=1)),
    ('i3d_resnet18_dfb_custom', 'gb_df_lb', 16, 64, {}),
    ('i3d_resnet18_dfb_custom', 'gb_df', 16, 128, {}),
    ('i3d_resnet18_dfb_custom', 'gb_df_lb', 20, 64, dict(use_pool2=True)),
])
def test_box_and_frame_contain_the_spot(name, head, frames, size, kwargs):
    net = get_model(name, nclass=2, head=head, **kwargs)
    tsn = name.startswith('tsn')
    net = averaging(net, (frames, 3, size, size) if tsn else (1, 3, frames, size, size))
    volume_shape = None
    for shift in SPOT_SHIFTS:
        spot = (frames // 2 + (0 if tsn else shift[0]), size // 2 + shift[1],
                size // 2 + shift[2])
        video = spot_clip(frames, size, spot)
        hits = locate_filters(net, video, class_index=1)
        if volume_shape is None:
            volume_shape = net.filter_responses(mx.nd.ones(
                (frames, 3, size, size) if tsn else (1, 3, frames, size, size))).shape
        assert len(hits) == 5
        for hit in hits:
            x0, y0, x1, y1 = hit.box
            assert x0 <= spot[2] + 0.5 <= x1 and y0 <= spot[1] + 0.5 <= y1, (spot, hit)
            # no larger than a cell of the volume: the box says where, not "anywhere"
            assert x1 - x0 <= size / volume_shape[-1] and y1 - y0 <= size / volume_shape[-2]
            if tsn:
                assert hit.frame == spot[0], (spot, hit)
            else:
                assert abs(hit.frame - spot[0]) <= 2, (spot, hit)


def test_drawn_grid(tmp_path):
    net = get_model('tsn_resnet18_dfb_custom', nclass=2, head='gb_df', num_segments=1)
    video = spot_clip(3, 64, (1, 30, 40))
    hits = locate_filters(net, video, class_index=0)
    path = str(tmp_path / 'filters.png')
    before = video.copy()
    draw_filter_hits(video, hits, path, 'class 0')
    np.testing.assert_array_equal(video, before)  # each panel draws on its own copy
    image = cv2.imread(path)
    assert image is not None and image.std() > 10
