"""Filter boxes land on what the filter responds to."""
import cv2
import mxnet as mx
import numpy as np

from gluon_dfb import get_model
from gluon_dfb.analysis.filter_boxes import draw_filter_hits, locate_filters


def bright_square_video(frames=16, size=64, at_frame=9, top=24, left=40, side=8):
    video = np.full((frames, size, size, 3), 60, np.uint8)
    video[at_frame, top:top + side, left:left + side] = 255
    return video


def brightness_detector(net):
    """Set every filter to respond to the brightness of the input under it: the trunk is
    replaced by average pooling with the network's own strides (the filter bank stays)."""
    class Trunk(object):
        def __init__(self, ndim):
            self.ndim = ndim

        def __call__(self, F, x):
            if self.ndim == 3:
                pooled = F.Pooling(x, kernel=(4, 16, 16), stride=(4, 16, 16), pool_type='avg')
            else:
                pooled = F.Pooling(x, kernel=(16, 16), stride=(16, 16), pool_type='avg')
            return F.repeat(F.sum(pooled, axis=1, keepdims=True), repeats=512, axis=1)
    net.stage4 = Trunk(net.ndim)
    net.local_branch = None
    net.stage5 = lambda f4: f4
    n, c = net.filter_bank.num_filters, net.nclass
    shape = (n * c, 512) + (1,) * net.ndim
    net.filter_bank.filters.weight.set_data(  # filter i: (i + 1) x mean brightness
        mx.nd.ones(shape) * mx.nd.arange(1, n * c + 1).reshape((n * c,) + (1,) * (net.ndim + 1))
        / 512)
    return net


def test_box_lands_on_the_square_in_3d(tmp_path):
    net = brightness_detector(get_model('i3d_resnet18_dfb_custom', nclass=3, head='gb_df'))
    video = bright_square_video()
    hits = locate_filters(net, video, class_index=1)
    assert len(hits) == 5
    for hit in hits:
        x0, y0, x1, y1 = hit.box
        assert x0 <= 40 and 48 <= x1 and y0 <= 24 and 32 <= y1  # the 8x8 square is inside
        assert (x1 - x0, y1 - y0) == (16, 16)  # one cell of stride 16
        assert hit.frame == 10  # temporal cell 2 of 4 covers frames 8..11 (square: 9)
    path = str(tmp_path / 'filters.png')
    before = video.copy()
    draw_filter_hits(video, hits, path, 'class 1')
    np.testing.assert_array_equal(video, before)  # each panel draws on its own copy
    image = cv2.imread(path)
    assert image is not None and image.std() > 10


def test_box_lands_on_the_square_in_2d():
    net = brightness_detector(get_model('tsn_resnet18_dfb_custom', nclass=2, head='gb_df',
                                        num_segments=1))
    video = bright_square_video(frames=5, at_frame=3, top=8, left=16)
    hits = locate_filters(net, video, class_index=0)
    for hit in hits:
        assert hit.frame == 3 and hit.box == (16.0, 0.0, 32.0, 16.0)
