"""Spatial transforms against numpy slicing, and the test-time views."""
import cv2
import numpy as np
import pytest

from gluon_dfb.data import evaluation_protocol, training_protocol
from gluon_dfb.data.transforms import (MEAN, STD, centre_crop, multiscale_crop, normalize,
                                       resize, resized_shape, ten_crops)


@pytest.fixture
def clip():
    return np.random.RandomState(0).randint(0, 256, (4, 256, 340, 3)).astype(np.uint8)


def test_resized_shape_keeps_aspect_and_never_upscales():
    assert resized_shape(720, 1280, 256) == (256, 455)
    assert resized_shape(1280, 720, 256) == (455, 256)
    assert resized_shape(144, 176, 256) == (144, 176)


def test_resize_of_whole_clip_equals_opencv(clip):
    out = resize(clip, 100, 133)
    for frame, got in zip(clip, out):
        np.testing.assert_array_equal(got, cv2.resize(frame, (133, 100)))


def test_centre_crop_is_a_numpy_slice(clip):
    np.testing.assert_array_equal(centre_crop(clip, 224), clip[:, 16:240, 58:282])


def test_ten_crops_are_five_crops_and_their_flips(clip):
    ten = ten_crops(clip, 224)
    assert ten.shape == (10, 4, 224, 224, 3)
    places = [(0, 0), (0, 116), (32, 0), (32, 116), (16, 58)]
    for view, (top, left) in zip(ten[:5], places):
        np.testing.assert_array_equal(view, clip[:, top:top + 224, left:left + 224])
    np.testing.assert_array_equal(ten[5:], ten[:5, :, :, ::-1])
    # each view is a whole clip: its frames are the clip's frames, in order
    for t in range(4):
        np.testing.assert_array_equal(ten[4, t], centre_crop(clip, 224)[t])


def test_multiscale_crop_is_a_resized_slice(monkeypatch):
    from gluon_dfb.data import transforms
    rows, cols = np.meshgrid(np.arange(200), np.arange(250), indexing='ij')
    clip = np.repeat(np.stack([rows, cols, rows], axis=-1)[None], 2, axis=0).astype(np.uint8)
    crops, resize = [], transforms.resize

    def keep_crop(crop, height, width):  # multiscale_crop's crop, before its resize
        crops.append(crop)
        return resize(crop, height, width)
    monkeypatch.setattr(transforms, 'resize', keep_crop)
    sides = [int(200 * s) for s in (1, 0.875, 0.75, 0.66)]  # of the short side (TSN)
    allowed = {(sides[i], sides[j]) for i in range(4) for j in range(4) if abs(i - j) <= 1}
    rng = np.random.RandomState(3)
    drawn, flipped = set(), 0
    for _ in range(200):
        out = multiscale_crop(clip, 112, rng)
        crop = crops[-1]
        (top, left), size = crop[0, 0, 0, :2], crop.shape[1:3]
        np.testing.assert_array_equal(crop, clip[:, top:top + size[0], left:left + size[1]])
        resized = np.stack([cv2.resize(frame, (112, 112)) for frame in crop])
        flipped += not np.array_equal(out, resized)
        np.testing.assert_array_equal(out, resized if np.array_equal(out, resized)
                                      else resized[:, :, ::-1])
        drawn.add(size)
    assert drawn == allowed  # every pair of scales at most one step apart, no other
    assert 0 < flipped < 200


def test_no_flip_for_something_something(clip):
    rng = np.random.RandomState(0)
    flips = 0
    for _ in range(20):  # the same draws with and without flipping allowed
        state = rng.get_state()
        kept = training_protocol('tsn', flip=False).spatial(clip[None], rng)[0]
        rng.set_state(state)
        free = multiscale_crop(clip, 224, rng, flip=True)
        if not np.array_equal(kept, free):
            np.testing.assert_array_equal(kept, free[:, :, ::-1])
            flips += 1
    assert flips > 0  # with flipping allowed some were flipped; never without


def test_normalize_matches_numpy(clip):
    out = normalize(clip[:1])
    expected = (clip[:1] / 255.0 - MEAN) / STD
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    out = normalize(clip[:1].transpose(0, 3, 1, 2), channel_axis=1)
    expected = expected.transpose(0, 3, 1, 2)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    assert out.dtype == np.float32


def test_normalize_is_the_float32_arithmetic_bit_for_bit():
    rng = np.random.RandomState(0)  # every value in every channel, (4, 8, 8, 3)
    last = np.stack([rng.permutation(256).astype(np.uint8).reshape(4, 8, 8) for _ in 'rgb'], -1)
    expected = np.multiply(last, 1.0 / (255.0 * STD), dtype=np.float32) - MEAN / STD
    for views, channel_axis, want in (
            (last, -1, expected),
            (last[:, ::-1], -1, expected[:, ::-1]),  # not contiguous
            (last.transpose(0, 3, 1, 2), 1, expected.transpose(0, 3, 1, 2)),
            (last[None].transpose(0, 4, 1, 2, 3), 1, expected[None].transpose(0, 4, 1, 2, 3))):
        out = normalize(views, channel_axis=channel_axis)
        assert out.dtype == np.float32 and out.shape == want.shape
        np.testing.assert_array_equal(out.view(np.uint32), want.view(np.uint32))


def test_evaluation_protocol_views(clip):
    rng = np.random.RandomState(0)
    two_d = evaluation_protocol('2d-20x10', 'tsn')
    assert two_d.indices(100, rng).shape == (1, 20)
    frames = np.repeat(clip[:1], 20, axis=0)[None]
    assert two_d.arrange(two_d.spatial(frames, rng)).shape == (200, 3, 224, 224)

    three_d = evaluation_protocol('3d-10clip', 'i3d', new_length=4, new_step=1)
    idx = three_d.indices(100, rng)
    assert idx.shape == (10, 4)
    frames = np.stack([clip] * 10)
    frames[:, :, 0, 0, 0] = np.arange(10)[:, None]  # mark the clips
    views = three_d.spatial(frames, rng)
    assert views.shape == (10, 4, 256, 340, 3)  # full frames: fully convolutional
    for i in range(10):
        expected = frames[i, :, :, ::-1] if i % 2 else frames[i]
        np.testing.assert_array_equal(views[i], expected)
    assert three_d.arrange(views).shape == (10, 3, 4, 256, 340)


def test_frames_smaller_than_the_crop_are_upscaled_first():
    small = np.random.RandomState(0).randint(0, 256, (2, 48, 64, 3)).astype(np.uint8)
    np.testing.assert_array_equal(centre_crop(small, 96), resize(small, 96, 128)[:, :, 16:112])
    assert ten_crops(small, 96).shape == (10, 2, 96, 96, 3)
