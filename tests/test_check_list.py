"""`prepare_data.py check`: every kind of bad entry of a list (bad lines, missing,
empty, unreadable, truncated, too short, frame count) reported once with its reason,
and a cleaned list of exactly the usable entries."""
import os
import subprocess
import sys

import cv2
import imageio_ffmpeg
import numpy as np
import pytest

from gluon_dfb.data import read_video_list
from gluon_dfb.data.check import check_list

SCRIPT = os.path.join(os.path.dirname(__file__), '..', 'train_scripts', 'prepare_data.py')
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg(*args):
    subprocess.run([FFMPEG, '-v', 'error', '-y'] + list(args), check=True)


def run(*args):
    return subprocess.run([sys.executable, SCRIPT] + list(args), capture_output=True,
                          text=True)


def read_report(path):
    """{path: (problem, details)}, failing if a path is reported twice."""
    report = {}
    for line in open(path).read().splitlines():
        where, problem, details = line.split('\t')
        assert where not in report, 'reported twice: %s' % where
        report[where] = problem, details
    return report


@pytest.fixture(scope='module')
def videos(real_videos, tmp_path_factory):
    """A folder of good and bad videos: {kind: file name}."""
    folder = tmp_path_factory.mktemp('check')
    carphone = real_videos['carphone_pristine.mp4']  # H.264, 176x144, moov at the end
    ffmpeg('-i', carphone, '-c', 'copy', '-frames:v', '40', str(folder / 'good.mp4'))
    (folder / 'again.mp4').write_bytes((folder / 'good.mp4').read_bytes())
    ffmpeg('-i', carphone, '-c', 'copy', '-frames:v', '6', str(folder / 'short.mp4'))
    data = open(carphone, 'rb').read()
    (folder / 'cut.mp4').write_bytes(data[:len(data) // 2])  # its index is lost
    (folder / 'empty.mp4').write_bytes(b'')
    (folder / 'random.mp4').write_bytes(np.random.RandomState(0).bytes(20000))
    # index at the front, second half of the frames gone (a download cut short into a
    # file of the right size)
    ffmpeg('-i', carphone, '-frames:v', '40', '-c:v', 'libx264', '-movflags', '+faststart',
           str(folder / 'whole.mp4'))
    data = open(str(folder / 'whole.mp4'), 'rb').read()
    half = len(data) // 2
    (folder / 'truncated.mp4').write_bytes(data[:half] + bytes(len(data) - half))
    ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', str(folder / 'audio.mp4'))
    return folder


def test_each_bad_entry_is_reported_once_and_left_out(videos, tmp_path):
    list_file = tmp_path / 'train.txt'
    list_file.write_text('good.mp4 40 0\n'
                         'good.mp4 40 9\n'           # line 2: label outside [0, 3)
                         'missing.mp4 40 1\n'
                         'empty.mp4 40 1\n'
                         'random.mp4 40 1\n'
                         'cut.mp4 120 1\n'
                         'audio.mp4 40 1\n'
                         'truncated.mp4 40 1\n'
                         'short.mp4 6 2\n'
                         'again.mp4 35 2\n'          # the frame count differs
                         'good.mp4 forty 1\n'        # line 11: not a number
                         '\n'
                         'good.mp4 40 1\n')          # listed before
    done = run('check', str(list_file), '--data-root', str(videos),
               '--model', 'i3d_resnet50_dfb_custom', '--new-length', '8', '--new-step', '2',
               '--num-classes', '3', '--workers', '2')
    assert done.returncode == 0, done.stderr
    report = read_report(str(list_file) + '.check')
    where = {name: os.path.join(str(videos), name) for name in os.listdir(str(videos))}
    expected = {
        '%s:2' % list_file: ('bad line', 'label 9 outside [0, 3)'),
        '%s:11' % list_file: ('bad line', 'expected "path num_frames label"'),
        os.path.join(str(videos), 'missing.mp4'): ('missing', 'no such file'),
        where['empty.mp4']: ('empty', 'empty file'),
        where['random.mp4']: ('unreadable', 'decord cannot open it'),
        where['cut.mp4']: ('unreadable', 'decord cannot open it'),
        where['audio.mp4']: ('unreadable', 'decord cannot open it'),
        where['truncated.mp4']: ('truncated', 'truncated or corrupt: cannot decode frames'),
        where['short.mp4']: ('too short', '6 frames, the i3d-train sampling takes 15'),
        where['good.mp4']: ('repeated', 'listed before with label 0'),
    }
    frame_count = report.pop(where['again.mp4'])
    assert frame_count == ('frame count', '40 frames, the list says 35')
    assert sorted(report) == sorted(expected)
    for path, (problem, details) in expected.items():
        assert report[path][0] == problem and details in report[path][1], (path, report[path])
    assert read_video_list(str(list_file) + '.clean') == [
        ('good.mp4', 40, 0), ('again.mp4', 40, 2)]
    assert ('12 entries checked: 2 kept (1 with the frame count found, not the listed one), '
            '10 left out (2 bad line, 1 repeated, 1 missing, 1 empty, 3 unreadable, '
            '1 truncated, 1 too short)') in done.stdout
    strict = run('check', str(list_file), '--data-root', str(videos), '--strict',
                 '--model', 'i3d_resnet50_dfb_custom', '--new-length', '8', '--new-step', '2',
                 '--num-classes', '3', '--workers', '2')
    assert strict.returncode == 1 and strict.stdout == done.stdout
    assert 'short sides of the kept videos: min 144, median 144, max 144' in done.stdout


@pytest.mark.parametrize('model,problem', [('i3d_resnet50_dfb_custom', 'too short'),
                                           ('tsn_resnet50_dfb_custom', '')])
def test_the_model_gives_the_sampling(model, problem, videos, tmp_path):
    # I3D samples 32 frames 2 apart (63 frames) by default, TSN 3 frames
    list_file = tmp_path / 'l.txt'
    list_file.write_text('good.mp4 40 0\n')
    clean, report = str(tmp_path / 'clean.txt'), str(tmp_path / 'report.tsv')
    done = run('check', str(list_file), '--data-root', str(videos), '--model', model,
               '--num-classes', '1', '--out', clean, '--report', report)
    assert done.returncode == 0, done.stderr
    if problem:
        assert read_report(report) == {os.path.join(str(videos), 'good.mp4'): (
            'too short', '40 frames, the i3d-train sampling takes 63')}
        assert open(clean).read() == ''
    else:
        assert open(report).read() == ''
        assert read_video_list(clean) == [('good.mp4', 40, 0)]


def test_frame_folders(tmp_path):
    rng = np.random.RandomState(0)
    for name, frames in (('ok', 8), ('gap', 8), ('miscounted', 8), ('two', 2), ('none', 0)):
        (tmp_path / name).mkdir()
        for i in range(1, frames + 1):
            cv2.imwrite(str(tmp_path / name / ('%05d.jpg' % i)),
                        rng.randint(0, 255, (24, 32, 3), np.uint8))
    os.remove(str(tmp_path / 'gap' / '00003.jpg'))
    list_file = tmp_path / 'l.txt'
    list_file.write_text('ok 8 0\ngap 8 0\nmiscounted 5 1\ntwo 2 1\nnone 4 0\nabsent 8 0\n')
    clean, report = str(tmp_path / 'clean.txt'), str(tmp_path / 'report.tsv')
    sampling = dict(arch='tsn', num_segments=3, new_length=1, new_step=1)
    counts, short_sides = check_list(str(list_file), str(tmp_path), sampling, clean, report,
                                     frame_pattern='{:05d}.jpg', workers=2)
    assert read_video_list(clean) == [('ok', 8, 0), ('miscounted', 8, 1)]
    path = lambda name: os.path.join(str(tmp_path), name)  # noqa: E731
    assert read_report(report) == {
        path('gap'): ('unreadable', 'frame 00003.jpg is missing (7 .jpg files)'),
        path('miscounted'): ('frame count', '8 frames, the list says 5'),
        path('two'): ('too short', '2 frames, the tsn-train sampling takes 3'),
        path('none'): ('empty', 'no .jpg frames'),
        path('absent'): ('missing', 'no such frame folder')}
    assert counts == {'': 1, 'frame count': 1, 'unreadable': 1, 'too short': 1, 'empty': 1,
                      'missing': 1}
    assert short_sides == [24, 24]


def test_a_missing_list_is_named(tmp_path):
    done = run('check', str(tmp_path / 'nope.txt'), '--arch', 'tsn')
    assert done.returncode == 2
    assert 'error: List file %s does not exist' % (tmp_path / 'nope.txt') in done.stderr
