"""Bad videos, frame folders and list files: clear errors, or counted and reported skips."""
import logging
import os
import subprocess

import cv2
import imageio_ffmpeg
import numpy as np
import pytest
from mxnet.gluon.data import DataLoader

from gluon_dfb.data import VideoDataset, VideoReadError, evaluation_protocol, read_video_list

PROTOCOL = evaluation_protocol('1clip', 'i3d', new_length=4, new_step=2, size=64)


@pytest.fixture(scope='module')
def bad_videos(real_videos, tmp_path_factory):
    """{kind: path} of broken videos next to a good one."""
    folder = tmp_path_factory.mktemp('bad')
    good = real_videos['carphone_pristine.mp4']
    data = open(good, 'rb').read()
    paths = {'good': good, 'missing': str(folder / 'missing.mp4')}
    for kind, content in (('empty', b''), ('truncated', data[:len(data) // 2]),
                          ('random', os.urandom(20000))):
        paths[kind] = str(folder / ('%s.mp4' % kind))
        open(paths[kind], 'wb').write(content)
    paths['no_frames'] = str(folder / 'no_frames.mp4')  # a container with audio only
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), '-v', 'error', '-f', 'lavfi', '-i',
                    'sine=frequency=440:duration=1', paths['no_frames']], check=True)
    return paths


def write_list(path, rows):
    path.write_text(''.join('%s %d %d\n' % row for row in rows))
    return str(path)


@pytest.mark.parametrize('kind,reason', [('missing', 'no such file'), ('empty', 'empty file'),
                                         ('truncated', 'decord cannot open|truncated or corrupt'),
                                         ('random', 'decord cannot open'),
                                         ('no_frames', 'decord cannot open')])
def test_each_bad_video_is_named_with_its_cause(kind, reason, bad_videos, tmp_path):
    list_file = write_list(tmp_path / 'l.txt', [(bad_videos[kind], 120, 0)])
    strict = VideoDataset(list_file, PROTOCOL, strict=True)
    with pytest.raises(VideoReadError, match=reason) as err:
        strict[0]
    assert err.value.path == bad_videos[kind]


def test_truncated_video_fails_on_frames_past_the_cut(bad_videos, tmp_path):
    # the first half may decode; the clip of the centre frames is past what survives
    list_file = write_list(tmp_path / 'l.txt', [(bad_videos['truncated'], 120, 0)])
    protocol = evaluation_protocol('3d-10clip', 'i3d', new_length=4, new_step=2)
    with pytest.raises(VideoReadError, match='truncated.mp4'):
        VideoDataset(list_file, protocol, strict=True)[0]


def test_fewer_frames_than_listed_uses_the_real_count(bad_videos, tmp_path):
    list_file = write_list(tmp_path / 'l.txt', [(bad_videos['good'], 5000, 1)])
    views, label = VideoDataset(list_file, PROTOCOL, strict=True)[0]
    assert views.shape == (1, 3, 4, 64, 64) and label == 1


def test_bad_samples_are_replaced_counted_and_reported(bad_videos, tmp_path, caplog):
    kinds = ['good', 'missing', 'good', 'empty', 'good', 'random', 'good', 'no_frames', 'good',
             'good']
    list_file = write_list(tmp_path / 'l.txt',
                           [(bad_videos[k], 120, i) for i, k in enumerate(kinds)])
    dataset = VideoDataset(list_file, PROTOCOL)
    labels = [dataset[i][1] for i in range(len(dataset))]
    assert labels == [0, 2, 2, 4, 4, 6, 6, 8, 8, 9]  # the next readable entry stands in
    failures = dataset.failures()
    assert set(failures) == {bad_videos[k] for k in ('missing', 'empty', 'random', 'no_frames')}
    with caplog.at_level(logging.WARNING):
        assert dataset.report_failures() == 4
    assert 'missing.mp4: no such file' in caplog.text
    dataset.reset_failures()
    assert dataset.failures() == {}


def test_epoch_with_20_percent_broken_entries_completes_with_workers(bad_videos, tmp_path):
    rows = []
    for i in range(20):
        kind = ['missing', 'empty', 'random', 'no_frames'][i // 5] if i % 5 == 0 else 'good'
        rows.append((bad_videos[kind], 120, i % 3))
    list_file = write_list(tmp_path / 'l.txt', rows)
    dataset = VideoDataset(list_file, PROTOCOL, num_classes=3)
    loader = DataLoader(dataset, batch_size=4, num_workers=2, last_batch='keep')
    seen = sum(batch[0].shape[0] for batch in loader)
    assert seen == 20
    assert len(dataset.failures()) == 4  # recorded by the worker processes


def test_frame_folders_with_missing_frames(tmp_path):
    rng = np.random.RandomState(0)
    folder = tmp_path / 'video1'
    folder.mkdir()
    for i in range(1, 9):
        cv2.imwrite(str(folder / ('%05d.jpg' % i)), rng.randint(0, 255, (48, 64, 3), np.uint8))
    list_file = write_list(tmp_path / 'l.txt', [('video1', 8, 0)])
    dataset = VideoDataset(list_file, PROTOCOL, root=str(tmp_path), frame_pattern='{:05d}.jpg',
                           strict=True)
    assert dataset[0][0].shape == (1, 3, 4, 64, 64)  # 48x64 frames, upscaled for the crop

    os.remove(str(folder / '00003.jpg'))
    with pytest.raises(VideoReadError, match='00003.jpg is missing'):
        dataset[0]
    # more frames listed than on disk
    longer = VideoDataset(write_list(tmp_path / 'l2.txt', [('video1', 40, 0)]), PROTOCOL,
                          root=str(tmp_path), frame_pattern='{:05d}.jpg', strict=True)
    with pytest.raises(VideoReadError, match='is missing'):
        longer[0]


def test_grey_frame_is_expanded_to_rgb(tmp_path):
    folder = tmp_path / 'g'
    folder.mkdir()
    grey = np.random.RandomState(0).randint(0, 255, (48, 48), np.uint8)
    cv2.imwrite(str(folder / '00001.png'), grey)
    dataset = VideoDataset(write_list(tmp_path / 'l.txt', [('g', 1, 0)]),
                           evaluation_protocol('1clip', 'tsn', num_segments=1, size=48),
                           root=str(tmp_path), frame_pattern='{:05d}.png', strict=True)
    views, _ = dataset[0]
    channels = views[0]  # (3, 48, 48), normalised per channel
    from gluon_dfb.data.transforms import MEAN, STD
    raw = channels * STD[:, None, None] + MEAN[:, None, None]
    np.testing.assert_allclose(raw[0], raw[1], atol=1e-5)
    np.testing.assert_allclose(raw[0] * 255, grey, atol=1e-3)


@pytest.mark.parametrize('content,message', [
    ('a.mp4 10 0\nb.mp4 ten 1\n', r'l.txt, line 2 .*expected "path num_frames label"'),
    ('a.mp4 10 0\n\nb.mp4 10\n', r'l.txt, line 3'),
    ('a.mp4 10 0\nb.mp4 10 7\n', r'line 2 .*label 7 outside \[0, 5\)'),
    ('a.mp4 10 -1\n', r'line 1 .*label -1'),
    ('\n\n', r'lists no videos'),
])
def test_list_problems_are_reported_with_line_numbers(content, message, tmp_path):
    list_file = tmp_path / 'l.txt'
    list_file.write_text(content)
    with pytest.raises(ValueError, match=message):
        read_video_list(str(list_file), num_classes=5)


def test_paths_with_spaces(tmp_path):
    list_file = tmp_path / 'l.txt'
    list_file.write_text('my videos/a b.mp4 10 3\n')
    assert read_video_list(str(list_file))[0] == ('my videos/a b.mp4', 10, 3)
