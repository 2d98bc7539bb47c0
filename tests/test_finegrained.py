"""The embedded fine-grained set: real mp4 files, deterministic, classes of a group
told apart by a small detail only."""
import filecmp
import json

import decord
import numpy as np
import pytest

from gluon_dfb.data import VideoDataset, evaluation_protocol, read_video_list
from gluon_dfb.data.finegrained import DETAILS, class_names, make_finegrained_set, render_video


def test_classes_of_a_group_differ_only_in_the_small_detail():
    for group_first in range(0, len(class_names()), len(DETAILS)):
        videos = [render_video(group_first + d, np.random.RandomState(7), size=64, frames=8)
                  for d in range(len(DETAILS))]
        changed = np.any(videos[0] != videos[1], axis=-1)  # (frames, 64, 64)
        assert changed.any(axis=(1, 2)).all()              # the detail shows in every frame
        assert changed.sum(axis=(1, 2)).max() <= 7 * 7     # and nothing else differs


@pytest.mark.slow
def test_written_set_is_deterministic_and_readable(tmp_path):
    first = make_finegrained_set(str(tmp_path / 'a'), videos_per_class=(2, 1), seed=3,
                                 size=64, frames=8)
    second = make_finegrained_set(str(tmp_path / 'b'), videos_per_class=(2, 1), seed=3,
                                  size=64, frames=8)
    records = read_video_list(first['train'], num_classes=len(class_names()))
    assert len(records) == 2 * len(class_names())
    assert len(read_video_list(first['val'])) == len(class_names())
    assert open(first['classes']).read().splitlines() == class_names()
    groups = json.load(open(first['groups']))
    assert sorted(sum(groups.values(), [])) == sorted(class_names())
    for record in records:
        a = decord.VideoReader(str(tmp_path / 'a' / record.path)).get_batch(range(8)).asnumpy()
        b = decord.VideoReader(str(tmp_path / 'b' / record.path)).get_batch(range(8)).asnumpy()
        assert a.shape == (8, 64, 64, 3) and np.array_equal(a, b)
    assert filecmp.cmp(first['train'], second['train'], shallow=False)
    make_finegrained_set(str(tmp_path / 'c'), videos_per_class=(1, 1), seed=4,
                         size=64, frames=8)
    a = decord.VideoReader(str(tmp_path / 'a' / records[0].path))[0].asnumpy()
    c = decord.VideoReader(str(tmp_path / 'c' / records[0].path))[0].asnumpy()
    assert not np.array_equal(a, c)

    dataset = VideoDataset(first['train'], evaluation_protocol('1clip', 'i3d', new_length=8,
                                                               new_step=1, size=64),
                           root=str(tmp_path / 'a'), strict=True)
    assert dataset[0][0].shape == (1, 3, 8, 64, 64)


def test_markers_are_drawn_whole():
    """Drawing inside a box around the centre paints what the shape's mask covers on the
    whole frame, near the borders too."""
    from gluon_dfb.data.finegrained import MARKERS, _draw, marker_mask
    y, x = np.mgrid[:40, :40]
    for shape in MARKERS:
        for cx, cy, radius in ((20.3, 19.6, 6.5), (1.2, 38.5, 5.0), (-3.0, 10.0, 4.0)):
            frame = np.zeros((40, 40, 3))
            _draw(frame, shape, cx, cy, radius, (1, 2, 3))
            expected = marker_mask(shape, (x - cx) / radius, (y - cy) / radius)
            assert np.array_equal(frame[..., 1] == 2, expected), (shape, cx, cy)
