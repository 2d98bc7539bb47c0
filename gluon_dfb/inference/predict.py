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
import glob
import json
import os
import sys
from dataclasses import dataclass

import mxnet as mx
from tqdm import tqdm

from .. import arguments as rules
from ..analysis.filter_boxes import explain_video
from ..data import VideoReadError, evaluation_protocol, read_views
from ..data.decode import OpenVideo
from ..data.prepare import VIDEO_EXTENSIONS
from ..engine.config import (TestSamplingConfig, check_fields, classes_option, config_from,
                             option, parser_of, required, view_batch_option)
from ..errors import BadInputError, run_command
from ..outputs import strict_json, written_together
from ..scoring import top_classes, video_probabilities
from .annotate import annotate_windows
from .int8_runtime import Int8Runner, check_made_for
from .onnx_runner import ENGINES, OnnxRunner, default_engine
from .timeline import Timeline, default_window, score_windows, window_bounds

__all__ = ['PredictConfig', 'expand_videos', 'scorer_of', 'predict_videos', 'predict_timeline',
           'main']


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


@dataclass(kw_only=True)
class PredictConfig(TestSamplingConfig):
    """A prediction: the options of ``gluon-dfb predict``."""

    videos: list = required(nargs='+', positional=True,
                            help='video files, folders of videos or glob patterns')
    params: str = option(help="trained .params (default: the zoo's published)")
    classes: str = classes_option()
    view_batch: int = view_batch_option()
    topk: int = option(5, rules.positive_int)
    json: bool = option(False, help='print one JSON document')
    explain: str = option(rule=rules.output_folder, metavar='OUT_DIR',
                          help="also draw where the top class's filters fire")
    explain_frames: int = option(8, rules.positive_int,
                                 help='TSN frames that --explain draws (I3D: its clip)')
    engine: str = option(choices=ENGINES, help="default: onnxruntime if installed (pip install "
                                               "'gluon-dfb[export]'), else mxnet")
    int8: str = option(metavar='DIR', help='run the INT8 model that gluon-dfb quantize wrote in '
                                           'DIR (onnxruntime; views of its calibration view '
                                           'shape only)')
    int8_fallback: float = option(
        rule=rules.non_negative_float, metavar='MARGIN',
        help='with --int8: score a video (or window) again in float32 when its INT8 top class '
             'leads the runner-up by less than MARGIN in probability (default: the margin '
             'quantize measured; 0: never; above 1: always)')
    window: float = option(rule=rules.positive_float, metavar='SECONDS',
                           help="score one video window by window with the 1clip protocol; "
                                "default: the model's clip span (I3D: new_length x new_step "
                                "frames; TSN: one second per segment)")
    stride: float = option(rule=rules.positive_float, metavar='SECONDS',
                           help='between window starts (at most --window); default: --window')
    timeline: str = option(rule=rules.output_file, metavar='OUT_PREFIX',
                           help="write the windows' top-k and the arg-max segments to "
                                "OUT_PREFIX.json, their probabilities over time to .png")
    annotate: str = option(rule=rules.output_file, metavar='OUT.mp4',
                           help="write the video with each window's top-k and the boxes where "
                                "its top class's filters fire")
    crf: int = option(18, rules.crf, help='H.264 quality of --annotate: 0 lossless .. 51 worst')

    def __post_init__(self):
        asked_protocol = self.protocol
        super().__post_init__()
        check_fields(self)
        self.videos = expand_videos(self.videos)
        if self.sliding and (len(self.videos) != 1 or self.explain
                             or asked_protocol not in (None, '1clip')):
            raise BadInputError('--window, --stride, --timeline and --annotate take one video, '
                                'scored with the 1clip protocol, and no --explain')
        if self.int8_fallback is not None and not self.int8:
            raise BadInputError('--int8-fallback goes with --int8')

    @property
    def sliding(self):
        """Whether one video is scored window by window."""
        return any(v is not None for v in (self.window, self.stride, self.timeline,
                                           self.annotate))


def predict_timeline(config, path, net, scorer, classes, engine):
    """Score one video window by window with the '1clip' protocol, print its timeline (or
    its JSON), and write ``--timeline`` and ``--annotate``, all or nothing.

    Parameters
    ----------
    config : PredictConfig
    path : str
        The video.
    net : Recognizer
        The network (for ``--annotate``: where its filters fire).
    scorer : callable
        What scores the views (``net``, an :class:`~gluon_dfb.inference.onnx_runner.OnnxRunner` or
        an :class:`~gluon_dfb.inference.int8_runtime.Int8Runner`).
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
    window = config.window or default_window(arch, video.fps, config.num_segments,
                                           config.new_length, config.new_step)
    window, stride = (max(1, int(round(seconds * video.fps)))
                      for seconds in (window, config.stride or window))
    if stride > window:
        raise BadInputError('--stride %g s is longer than the window, %g s: frames between '
                            'windows would go unseen' % (config.stride, window / video.fps))
    protocol = evaluation_protocol('1clip', arch, num_segments=config.num_segments,
                                   new_length=config.new_length, new_step=config.new_step,
                                   size=config.input_size)
    prefix = [config.timeline + '.json', config.timeline + '.png'] if config.timeline else []
    with written_together(prefix + ([config.annotate] if config.annotate else [])) as partial:
        windows = score_windows(video, protocol, scorer, config.short_side, window, stride)
        if config.annotate:
            windows = annotate_windows(windows, net, video, partial[-1], classes, config.topk,
                                       config.short_side, config.input_size, config.crf)
        timeline = Timeline(tqdm(windows, desc='windows', total=len(window_bounds(
            video.num_frames, window, stride))), video, window, stride, classes, config.topk)
        about = {'model': config.model, 'protocol': '1clip', 'engine': engine}
        if config.int8:
            about['float32_fallback_windows'] = scorer.fallbacks
        if config.timeline:
            timeline.save(partial[0], partial[1], **about)
    if config.json:
        print(json.dumps(strict_json(timeline.document(**about)), indent=1))
    for row in ([] if config.json else timeline.rows):
        print('%s %.2f-%.2f s: %s' % (path, row['start'], row['end'], describe_top(row['top'])))
    if config.int8:
        report_fallbacks(scorer, 'windows')


def report_fallbacks(runner, what):
    """Say on stderr how many of an :class:`~gluon_dfb.inference.int8_runtime.Int8Runner`'s calls
    (``what``: videos or windows) were scored again in float32."""
    print('INT8: %d of %d %s scored again in float32 (top class ahead by less than %.3f)' % (
        runner.fallbacks, runner.calls, what, runner.fallback_margin), file=sys.stderr)


def describe_top(top):
    """``'class probability, ...'`` of :func:`~gluon_dfb.scoring.top_classes`."""
    return ', '.join('%s %.3f' % (t['class'], t['probability']) for t in top)


def scorer_of(config, net):
    """What scores the views: ``net``, an
    :class:`~gluon_dfb.inference.onnx_runner.OnnxRunner` of it, or the INT8 model of
    ``config.int8``; returns ``(scorer, engine name)``."""
    engine = config.engine or default_engine()
    if engine == 'mxnet' and not config.engine:
        print('onnxruntime is not installed: predicting with MXNet (slower)', file=sys.stderr)
    if config.int8:
        check_made_for(config.int8, config.model, net, config.params)
        return Int8Runner(config.int8, config.int8_fallback), 'onnxruntime-int8'
    return (OnnxRunner(net) if engine == 'onnxruntime' else net), engine


def predict_videos(config, net, scorer, classes, engine):
    """Score each video of ``config.videos`` with its test protocol, print its top classes
    (with ``--explain``, draw its filters); returns one dict a video (``error``: why it
    could not be read)."""
    protocol = config.test_protocol()
    one_view = evaluation_protocol('1clip', config.arch, num_segments=config.explain_frames,
                                   new_length=config.new_length, new_step=config.new_step,
                                   size=config.input_size)
    results = []
    for path in tqdm(config.videos, desc='predicting', disable=len(config.videos) < 2):
        try:
            views = read_views(path, protocol, config.short_side)
        except VideoReadError as err:
            print('cannot read %s' % err, file=sys.stderr)
            results.append({'video': path, 'error': err.reason})
            continue
        fallbacks = getattr(scorer, 'fallbacks', 0)
        probabilities = video_probabilities(scorer, views, mx.cpu(), config.view_batch)
        entry = {'video': path, 'protocol': config.protocol, 'engine': engine,
                 'probabilities': probabilities.tolist(),
                 'top': top_classes(probabilities, classes, config.topk)}
        if config.int8:
            entry['float32_fallback'] = scorer.fallbacks > fallbacks
        if config.explain:
            os.makedirs(config.explain, exist_ok=True)
            out = os.path.join(config.explain, os.path.splitext(os.path.basename(path))[0]
                               + '_filters.png')
            explain_video(net, path, entry['top'][0]['index'], out, '%s: filters of "%s"' % (
                os.path.basename(path), entry['top'][0]['class']), one_view, config.input_size,
                config.short_side)
            entry['explanation'] = out
        results.append(entry)
        if not config.json:
            print('%s (%s): %s' % (path, config.protocol, describe_top(entry['top'])))
    return results


def main(argv=None):
    config = config_from(parser_of(PredictConfig, __doc__.split('\n\n')[0]), PredictConfig,
                         argv)
    net = config.build(num_segments=1, pretrained=config.params or True)
    if (config.explain or config.annotate) and net.filter_bank is None:
        raise BadInputError('--explain and --annotate draw where the filter bank fires: the %s '
                            'head has none' % net.head_name)
    net.hybridize(static_alloc=True)
    scorer, engine = scorer_of(config, net)
    classes = (rules.read_class_names(config.classes, net.nclass) if config.classes else
               net.classes or [str(i) for i in range(net.nclass)])
    if config.sliding:
        try:
            predict_timeline(config, config.videos[0], net, scorer, classes, engine)
        except VideoReadError as err:
            print('cannot read %s' % err, file=sys.stderr)
            return 1
        return 0
    results = predict_videos(config, net, scorer, classes, engine)
    if config.json:
        print(json.dumps(strict_json(results), indent=1))
    if config.int8:
        report_fallbacks(scorer, 'videos')
    failed = sum('error' in r for r in results)
    if failed:
        print('%d of %d videos could not be read' % (failed, len(results)), file=sys.stderr)
    return 1 if failed else 0

if __name__ == '__main__':
    sys.exit(run_command(main))
