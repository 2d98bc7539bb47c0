"""Predict the actions of videos with a trained network:

    python -m gluon_dfb.predict VIDEO|FOLDER|GLOB [...] --model NAME [--params FILE]
        [--classes FILE] [--protocol {1clip,3d-10clip,2d-20x10}] [--topk 5] [--json]
        [--explain OUT_DIR] [--engine {onnxruntime,mxnet}] [--int8 DIR [--int8-fallback M]]
    python -m gluon_dfb.predict VIDEO --model NAME [...] [--window SECONDS]
        [--stride SECONDS] [--timeline OUT_PREFIX] [--annotate OUT.mp4] [--crf 18]

Prints the top-k classes with probabilities per video (or JSON); a video that cannot be
read is reported and the others go on; the exit status is 1 if any failed. The network
runs in onnxruntime when it is installed (faster than MXNet on CPU: see
``benchmarks/RESULTS.md``), otherwise in MXNet.

With ``--window``, ``--stride``, ``--timeline`` or ``--annotate``, one video of any length
is scored window by window (:mod:`gluon_dfb.inference.timeline`) and the top-k of every window
printed; ``--timeline`` also writes ``OUT_PREFIX.json`` and ``OUT_PREFIX.png``,
``--annotate`` the video drawn (:mod:`gluon_dfb.inference.annotate`).
"""
import argparse
import glob
import json
import os
import sys

import mxnet as mx
from tqdm import tqdm

from ..analysis.filter_boxes import explain_video
from ..arguments import (crf, non_negative_float, output_file, output_folder, positive_float,
                         positive_int, read_class_names)
from ..data import VideoReadError, evaluation_protocol, read_views
from ..data.decode import OpenVideo
from ..data.prepare import VIDEO_EXTENSIONS
from ..engine.config import (SAMPLING_OPTIONS, EvalConfig, add_options, check_protocol,
                             chosen_protocol, fill_sampling_defaults)
from ..errors import BadInputError, run_command
from ..outputs import strict_json, written_together
from ..zoo import get_model, model_entry
from .annotate import annotate_windows
from .onnx_runner import ENGINES, OnnxRunner, default_engine
from .quantize import Int8Runner, check_made_for
from .scoring import top_classes, video_probabilities
from .timeline import Timeline, default_window, score_windows, window_bounds

__all__ = ['expand_videos', 'predict_timeline', 'main']


def expand_videos(items):
    """Video files named by paths, folders (their videos, sorted) and glob patterns;
    :class:`~gluon_dfb.errors.BadInputError` if they name none."""
    videos = []
    for item in items:
        if os.path.isdir(item):
            videos += sorted(os.path.join(item, n) for n in os.listdir(item)
                             if n.lower().endswith(VIDEO_EXTENSIONS))
        elif any(c in item for c in '*?['):
            videos += sorted(glob.glob(item))
        else:
            videos.append(item)
    if not videos:
        raise BadInputError('no videos found in %s (folders are searched for %s files)' % (
            ', '.join(items), ', '.join(VIDEO_EXTENSIONS)))
    return videos


def predict_timeline(args, path, net, scorer, classes, engine):
    """Score one video window by window with the '1clip' protocol, print its timeline (or
    its JSON), and write ``--timeline`` and ``--annotate``, all or nothing.

    Parameters
    ----------
    args : argparse.Namespace
        :func:`main`'s options.
    path : str
        The video.
    net : Recognizer
        The network (for ``--annotate``: where its filters fire).
    scorer : callable
        What scores the views (``net``, an :class:`~gluon_dfb.inference.onnx_runner.OnnxRunner` or
        an :class:`~gluon_dfb.inference.quantize.Int8Runner`).
    classes : list of str
    engine : str
        The scorer's name, for the JSON.

    Raises
    ------
    gluon_dfb.data.VideoReadError
        The video cannot be read, even part-way; nothing is left at the outputs.
    BadInputError
        ``--stride`` longer than the window.
    """
    arch, video = net.entry['arch'], OpenVideo(path)
    window = args.window or default_window(arch, video.fps, args.num_segments,
                                           args.new_length, args.new_step)
    window, stride = (max(1, int(round(seconds * video.fps)))
                      for seconds in (window, args.stride or window))
    if stride > window:
        raise BadInputError('--stride %g s is longer than the window, %g s: frames between '
                            'windows would go unseen' % (args.stride, window / video.fps))
    protocol = evaluation_protocol('1clip', arch, num_segments=args.num_segments,
                                   new_length=args.new_length, new_step=args.new_step,
                                   size=args.input_size)
    prefix = [args.timeline + '.json', args.timeline + '.png'] if args.timeline else []
    with written_together(prefix + ([args.annotate] if args.annotate else [])) as partial:
        windows = score_windows(video, protocol, scorer, args.short_side, window, stride)
        if args.annotate:
            windows = annotate_windows(windows, net, video, partial[-1], classes, args.topk,
                                       args.short_side, args.input_size, args.crf)
        timeline = Timeline(tqdm(windows, desc='windows', total=len(window_bounds(
            video.num_frames, window, stride))), video, window, stride, classes, args.topk)
        about = {'model': args.model, 'protocol': '1clip', 'engine': engine}
        if args.int8:
            about['float32_fallback_windows'] = scorer.fallbacks
        if args.timeline:
            timeline.save(partial[0], partial[1], **about)
    if args.json:
        print(json.dumps(strict_json(timeline.document(**about)), indent=1))
    for row in ([] if args.json else timeline.rows):
        print('%s %.2f-%.2f s: %s' % (path, row['start'], row['end'], describe_top(row['top'])))
    if args.int8:
        report_fallbacks(scorer, 'windows')


def report_fallbacks(runner, what):
    """Say on stderr how many of an :class:`~gluon_dfb.inference.quantize.Int8Runner`'s calls
    (``what``: videos or windows) were scored again in float32."""
    print('INT8: %d of %d %s scored again in float32 (top class ahead by less than %.3f)' % (
        runner.fallbacks, runner.calls, what, runner.fallback_margin), file=sys.stderr)


def describe_top(top):
    """``'class probability, ...'`` of :func:`~gluon_dfb.inference.scoring.top_classes`."""
    return ', '.join('%s %.3f' % (t['class'], t['probability']) for t in top)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('videos', nargs='+')
    parser.add_argument('--model', required=True)
    parser.add_argument('--params', help='trained .params (default: the zoo\'s published)')
    add_options(parser, EvalConfig, ('num_classes', 'classes', 'view_batch') + SAMPLING_OPTIONS)
    parser.add_argument('--topk', type=positive_int, default=5)
    parser.add_argument('--json', action='store_true', help='print one JSON document')
    parser.add_argument('--explain', metavar='OUT_DIR', type=output_folder,
                        help='also draw where the top class\'s filters fire')
    parser.add_argument('--engine', choices=ENGINES,
                        help='default: onnxruntime if installed (pip install '
                             '\'gluon-dfb[export]\'), else mxnet')
    parser.add_argument('--int8', metavar='DIR',
                        help='run the INT8 model that python -m gluon_dfb.quantize wrote in DIR '
                             '(onnxruntime; views of its calibration view shape only)')
    parser.add_argument('--int8-fallback', type=non_negative_float, metavar='MARGIN',
                        help='with --int8: score a video (or window) again in float32 when its '
                             'INT8 top class leads the runner-up by less than MARGIN in '
                             'probability (default: the margin quantize measured; 0: never; '
                             'above 1: always)')
    parser.add_argument('--window', type=positive_float, metavar='SECONDS',
                        help='score one video window by window with the 1clip protocol; '
                             'default: the model\'s clip span (I3D: new_length x new_step '
                             'frames; TSN: one second per segment)')
    parser.add_argument('--stride', type=positive_float, metavar='SECONDS',
                        help='between window starts (at most --window); default: --window')
    parser.add_argument('--timeline', metavar='OUT_PREFIX', type=output_file,
                        help='write the windows\' top-k and the arg-max segments to '
                             'OUT_PREFIX.json, their probabilities over time to .png')
    parser.add_argument('--annotate', metavar='OUT.mp4', type=output_file,
                        help='write the video with each window\'s top-k and the boxes where '
                             'its top class\'s filters fire')
    parser.add_argument('--crf', type=crf, default=18,
                        help='H.264 quality of --annotate: 0 lossless .. 51 worst')
    args = parser.parse_args(argv)
    sliding = any(v is not None for v in (args.window, args.stride, args.timeline,
                                          args.annotate))
    videos = expand_videos(args.videos)
    if sliding and (len(videos) != 1 or args.explain or args.protocol not in (None, '1clip')):
        parser.error('--window, --stride, --timeline and --annotate take one video, scored '
                     'with the 1clip protocol, and no --explain')
    if args.int8_fallback is not None and not args.int8:
        parser.error('--int8-fallback goes with --int8')
    arch = model_entry(args.model)['arch']
    fill_sampling_defaults(args, arch)
    if args.protocol:
        check_protocol(args.protocol, arch)
    engine = args.engine or default_engine()
    if engine == 'mxnet' and not args.engine:
        print('onnxruntime is not installed: predicting with MXNet (slower)',
              file=sys.stderr)

    net = get_model(args.model, nclass=args.num_classes, num_segments=1,
                    pretrained=args.params or True)
    if (args.explain or args.annotate) and net.filter_bank is None:
        parser.error('--explain and --annotate draw where the filter bank fires: the %s '
                     'head has none' % net.head_name)
    net.hybridize(static_alloc=True)
    scorer = OnnxRunner(net) if engine == 'onnxruntime' else net
    if args.int8:
        check_made_for(args.int8, args.model, net, args.params)
        scorer, engine = Int8Runner(args.int8, args.int8_fallback), 'onnxruntime-int8'
    classes = (read_class_names(args.classes, net.nclass) if args.classes else
               net.classes or [str(i) for i in range(net.nclass)])
    if sliding:
        try:
            predict_timeline(args, videos[0], net, scorer, classes, engine)
        except VideoReadError as err:
            print('cannot read %s' % err, file=sys.stderr)
            return 1
        return 0
    protocol_name, protocol = chosen_protocol(args, arch, net.entry['test_protocol'])
    one_view = evaluation_protocol('1clip', arch, num_segments=8, new_length=args.new_length,
                                   new_step=args.new_step, size=args.input_size)
    results, failed = [], 0
    for path in tqdm(videos, desc='predicting', disable=len(videos) < 2):
        try:
            views = read_views(path, protocol, args.short_side)
        except VideoReadError as err:
            failed += 1
            print('cannot read %s' % err, file=sys.stderr)
            results.append({'video': path, 'error': err.reason})
            continue
        fallbacks = getattr(scorer, 'fallbacks', 0)
        probabilities = video_probabilities(scorer, views, mx.cpu(), args.view_batch)
        entry = {'video': path, 'protocol': protocol_name, 'engine': engine,
                 'probabilities': probabilities.tolist(),
                 'top': top_classes(probabilities, classes, args.topk)}
        if args.int8:
            entry['float32_fallback'] = scorer.fallbacks > fallbacks
        if args.explain:
            os.makedirs(args.explain, exist_ok=True)
            out = os.path.join(args.explain, os.path.splitext(os.path.basename(path))[0]
                               + '_filters.png')
            explain_video(net, path, entry['top'][0]['index'], out, '%s: filters of "%s"' % (
                os.path.basename(path), entry['top'][0]['class']), one_view, args.input_size,
                args.short_side)
            entry['explanation'] = out
        results.append(entry)
        if not args.json:
            print('%s (%s): %s' % (path, protocol_name, describe_top(entry['top'])))
    if args.json:
        print(json.dumps(strict_json(results), indent=1))
    if args.int8:
        report_fallbacks(scorer, 'videos')
    if failed:
        print('%d of %d videos could not be read' % (failed, len(videos)), file=sys.stderr)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(run_command(main))
