"""`prepare_data.py resize` on real videos (H.264, VP9, MPEG-4): outputs that decord
reads at the asked short side, frame for frame close to the resized source; failures
named; an interrupted run resumed without redoing complete outputs."""
import os
import signal
import subprocess
import sys
import time

import cv2
import decord
import imageio_ffmpeg
import numpy as np
import pytest

from gluon_dfb.data import read_video_list
from gluon_dfb.data.resize import resize_list
from gluon_dfb.errors import BadInputError

SCRIPT = os.path.join(os.path.dirname(__file__), '..', 'train_scripts', 'prepare_data.py')
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
SHORT_SIDE, KEYINT = 160, 8


def ffmpeg(*args):
    subprocess.run([FFMPEG, '-v', 'error', '-y'] + list(args), check=True)


def streams(path):
    """ffmpeg's description of the streams of a file."""
    info = subprocess.run([FFMPEG, '-hide_banner', '-i', path], capture_output=True, text=True)
    return [line.strip() for line in info.stderr.splitlines() if 'Stream #' in line]


def frames_of(path):
    reader = decord.VideoReader(path, num_threads=1)
    return reader.get_batch(list(range(len(reader)))).asnumpy(), reader


@pytest.fixture(scope='module')
def sources(real_videos, tmp_path_factory):
    """Short stream copies (no re-encoding) of the real videos in a folder tree, one
    with an audio track: {relative path: source path}."""
    root = tmp_path_factory.mktemp('sources')
    for folder in ('h264', 'vp9', 'mpeg4'):
        (root / folder).mkdir()
    copies = {'h264/bigbuckbunny.mp4': ('bigbuckbunny.mp4', 60),    # 1280x720
              'h264/carphone.mp4': ('carphone_pristine.mp4', 24),   # 176x144
              'vp9/bikes.webm': ('bikes_vp9.webm', 24),             # 640x272
              'mpeg4/carphone.avi': ('carphone_mpeg4.avi', 24)}     # 176x144
    for name, (video, frames) in copies.items():
        ffmpeg('-i', real_videos[video], '-c', 'copy', '-frames:v', str(frames),
               str(root / name))
    ffmpeg('-i', real_videos['bikes.mp4'], '-f', 'lavfi', '-i', 'sine=duration=3',
           '-map', '0:v', '-map', '1:a', '-c:v', 'copy', '-c:a', 'aac', '-frames:v', '24',
           str(root / 'h264' / 'bikes.mp4'))                         # 640x272, with audio
    assert any('Audio:' in s for s in streams(str(root / 'h264' / 'bikes.mp4')))
    return root


def run(*args, **kwargs):
    return subprocess.run([sys.executable, SCRIPT] + list(args), capture_output=True,
                          text=True, **kwargs)


def write_list(path, names):
    path.write_text(''.join('%s %d %d\n' % (name, 24, i) for i, name in enumerate(names)))
    return str(path)


def test_resize_real_videos(sources, tmp_path):
    names = ['h264/bigbuckbunny.mp4', 'h264/bikes.mp4', 'h264/carphone.mp4',
             'vp9/bikes.webm', 'mpeg4/carphone.avi', 'missing.mp4', 'random.mkv']
    (sources / 'random.mkv').write_bytes(np.random.RandomState(0).bytes(5000))
    list_file = write_list(tmp_path / 'train.txt', names)
    out_root = tmp_path / 'out'
    out_root.mkdir()
    for stale in ('missing.mp4.part', 'random.mp4.part'):  # left by an earlier crash
        (out_root / stale).write_bytes(b'partial')
    done = run('resize', list_file, '--data-root', str(sources), '--out-root', str(out_root),
               '--short-side', str(SHORT_SIDE), '--keyint', str(KEYINT), '--workers', '2')
    assert done.returncode == 1, done.stderr  # two videos failed
    assert '5 re-encoded, 0 already complete, 2 failed' in done.stdout
    rejects = str(tmp_path / 'train_160.txt.rejects')
    assert '%s: no such file' % (sources / 'missing.mp4') in done.stderr
    assert '%s: decord cannot open it' % (sources / 'random.mkv') in done.stderr
    assert sorted(open(rejects).read().splitlines()) == sorted(
        line.strip().replace(': ', '\t', 1) for line in done.stderr.splitlines()
        if line.startswith('  '))
    listed = read_video_list(str(tmp_path / 'train_160.txt'))
    assert [(path, label) for path, _, label in listed] == [
        ('h264/bigbuckbunny.mp4', 0), ('h264/bikes.mp4', 1), ('h264/carphone.mp4', 2),
        ('vp9/bikes.mp4', 3), ('mpeg4/carphone.mp4', 4)]
    for (path, num_frames, _), name in zip(listed, names):
        source, source_reader = frames_of(str(sources / name))
        output, reader = frames_of(str(out_root / path))
        assert num_frames == len(output) and abs(len(output) - len(source)) <= 1, path
        height, width = source.shape[1:3]
        if min(height, width) > SHORT_SIDE:  # else kept at its size (never enlarged)
            expected = SHORT_SIDE, width * SHORT_SIDE / height
        else:
            expected = height, width
        assert output.shape[1] == expected[0] and abs(output.shape[2] - expected[1]) <= 1, path
        assert output.shape[1] % 2 == 0 and output.shape[2] % 2 == 0
        assert reader.get_avg_fps() == pytest.approx(source_reader.get_avg_fps(), rel=1e-3)
        assert np.diff(list(reader.get_key_indices()) + [len(output)]).max() <= KEYINT
        info = streams(str(out_root / path))
        assert len(info) == 1 and 'Video: h264' in info[0] and 'yuv420p' in info[0], info
        count = min(len(source), len(output))
        reference = np.stack([cv2.resize(f, output.shape[2:0:-1], interpolation=cv2.INTER_AREA)
                              for f in source[:count]]).astype(np.float64)
        mse = np.mean((reference - output[:count]) ** 2)
        assert 10 * np.log10(255 ** 2 / mse) >= 30, path
    assert [n for _, _, files in os.walk(str(out_root)) for n in files if n.endswith('.part')] \
        == []


def blocking_ffmpeg(folder, blocked_output):
    """An ffmpeg to name in ``IMAGEIO_FFMPEG_EXE`` (imageio-ffmpeg's own setting, read by
    the ``get_ffmpeg_exe`` that :func:`~gluon_dfb.data.resize.encode_command` calls): the
    real one, except that once it has written ``blocked_output`` it creates the file
    ``arrived`` and waits to be killed, before the script can check and rename that
    output. Returns (the wrapper's path, the path of ``arrived``)."""
    arrived = folder / 'arrived'
    wrapper = folder / 'ffmpeg'
    wrapper.write_text('#!/bin/sh\n'
                       '"%s" "$@" || exit $?\n'
                       'case "$*" in *"%s"*) touch "%s"; exec sleep 3600;; esac\n'
                       % (FFMPEG, blocked_output, arrived))
    wrapper.chmod(0o755)
    return str(wrapper), arrived


def test_interrupted_run_resumes_without_redoing_complete_outputs(sources, tmp_path):
    names = ['h264/carphone.mp4', 'h264/bigbuckbunny.mp4', 'vp9/bikes.webm']
    list_file = write_list(tmp_path / 'l.txt', names)
    out_root = tmp_path / 'out'
    args = ('resize', list_file, '--data-root', str(sources), '--out-root', str(out_root),
            '--short-side', '128', '--workers', '1')  # one worker: the list's order
    first = out_root / 'h264' / 'carphone.mp4'
    second = out_root / 'h264' / 'bigbuckbunny.mp4'
    # killed at a known point, not after a guessed time: the second video's ffmpeg has
    # written its partial output and waits, so the first is complete and renamed
    wrapper, arrived = blocking_ffmpeg(tmp_path, 'bigbuckbunny.mp4.part')
    log = tmp_path / 'killed_run.log'
    with log.open('w') as stderr:
        job = subprocess.Popen([sys.executable, SCRIPT] + list(args), start_new_session=True,
                               env=dict(os.environ, IMAGEIO_FFMPEG_EXE=wrapper),
                               stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            deadline = time.time() + 600  # a hang guard only
            while not arrived.exists() and job.poll() is None and time.time() < deadline:
                time.sleep(0.05)
        finally:
            os.killpg(job.pid, signal.SIGKILL)  # the script, its pool and their ffmpeg
            job.wait()
    assert arrived.exists(), log.read_text()
    partial_second = out_root / 'h264' / 'bigbuckbunny.mp4.part'
    assert first.exists() and partial_second.exists() and not second.exists()
    # the second's partial output decodes in full; only the rename makes an output complete
    # a partial output of the last video left by a crash: half of a valid file
    partial = out_root / 'vp9' / 'bikes.mp4.part'
    partial.parent.mkdir(parents=True)
    partial.write_bytes(first.read_bytes()[:first.stat().st_size // 2])
    before = first.stat()

    done = run(*args)
    assert done.returncode == 0, done.stderr
    assert '2 re-encoded, 1 already complete, 0 failed' in done.stdout
    after = first.stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)
    listed = read_video_list(str(tmp_path / 'l_128.txt'))
    assert [path for path, _, _ in listed] == ['h264/carphone.mp4', 'h264/bigbuckbunny.mp4',
                                               'vp9/bikes.mp4']
    for (path, num_frames, _), name in zip(listed, names):
        output, _ = frames_of(str(out_root / path))
        assert len(output) == num_frames and min(output.shape[1:3]) == 128
        assert abs(num_frames - len(decord.VideoReader(str(sources / name)))) <= 1
    assert not partial.exists() and not partial_second.exists()


def test_the_outputs_must_not_replace_the_sources(sources, tmp_path):
    list_file = write_list(tmp_path / 'l.txt', ['h264/carphone.mp4'])
    with pytest.raises(BadInputError, match='is the data folder'):
        resize_list(list_file, str(sources), str(sources) + '/', str(tmp_path / 'o.txt'),
                    str(tmp_path / 'o.rejects'))


def test_two_sources_of_one_output_are_refused(sources, tmp_path):
    list_file = write_list(tmp_path / 'l.txt', ['h264/bikes.mp4', 'vp9/bikes.webm',
                                                'h264/bikes.webm'])
    with pytest.raises(BadInputError, match=r'l.txt lists both .*h264/bikes.mp4 and '
                                            r'.*h264/bikes.webm, .* re-encoded to .*bikes.mp4'):
        resize_list(list_file, str(sources), str(tmp_path / 'out'), str(tmp_path / 'o.txt'),
                    str(tmp_path / 'o.rejects'))
