"""A video of any length scored window by window: the model's one-view protocol
('1clip') slid over it, the frames of a few windows at a time decoded as the windows
come (only those: memory does not grow with the video's length), into a timeline: the
top-k classes of every window, the segments of the arg-max, and a PNG of the top
classes' probabilities over time."""
import json
import os

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ..scoring import top_classes, video_probabilities

__all__ = ['default_window', 'window_bounds', 'window_parts', 'read_groups', 'Window',
           'score_windows', 'timeline_row', 'argmax_segments', 'Timeline', 'plot_timeline']

READ_SPAN = 256  # frames decoded in one pass: 4 of I3D's default 64-frame windows


def default_window(arch, fps, num_segments, new_length, new_step):
    """The window, in seconds, that the model's one view covers: I3D's clip of
    ``new_length`` frames ``new_step`` apart at the video's ``fps``; TSN, whose segments
    span a whole trimmed video in training, one second per segment."""
    return float(num_segments) if arch == 'tsn' else new_length * new_step / fps


def window_bounds(num_frames, window, stride):
    """The windows ``[start, end)`` of ``window`` frames, ``stride`` frames apart from frame
    0, and one more ending on the last frame if the stride does not land there; one window
    of the whole video if it is shorter than ``window``. With ``stride <= window`` they
    cover every frame.

    Returns
    -------
    list of (int, int)
    """
    bounds = [(start, start + window) for start in range(0, num_frames - window, stride)]
    return bounds + [(max(num_frames - window, 0), num_frames)]


def window_parts(bounds, num_frames):
    """The frames ``[a, b)`` each window speaks for: those whose centre (frame ``f`` spans
    ``[f, f + 1)``) is nearer to the window's centre than to any other window's (ties to
    the later window). They partition the video in order, and none is empty (window
    centres are at least one frame apart)."""
    centres = np.array([start + end for start, end in bounds]) / 2.0
    # frame f goes to the later window from f + 0.5 >= the midpoint of the two centres
    cuts = np.ceil((centres[:-1] + centres[1:]) / 2.0 - 0.5).astype(int)
    edges = [0] + cuts.tolist() + [num_frames]
    return list(zip(edges[:-1], edges[1:]))


def read_groups(bounds, span):
    """Consecutive windows grouped so that each group's frames lie within ``span`` frames
    (a window longer than ``span`` is a group of its own): a group is decoded in one pass,
    so the decoder seeks back to a keyframe once a group, not once a window, and holds at
    most ``span`` frames (each once, however much the windows overlap).

    Returns
    -------
    list of list of int
        Indices into ``bounds``, in order.
    """
    groups = []
    for k, (start, end) in enumerate(bounds):
        if groups and end - bounds[groups[-1][0]][0] <= span:
            groups[-1].append(k)
        else:
            groups.append([k])
    return groups


class Window(object):
    """One scored window.

    Attributes
    ----------
    start, end : int
        Its frames, ``[start, end)``.
    part : (int, int)
        The frames it speaks for (:func:`window_parts`).
    indices : numpy.ndarray
        The frames the protocol sampled in it, in the network's order.
    crop : numpy.ndarray
        uint8 ``(F, size, size, 3)``: those frames as the network saw them.
    probabilities : numpy.ndarray
        ``(C,)``, the mean over the protocol's views of softmax(z_comb).
    evidence : list of dict or None
        Set by :func:`gluon_dfb.inference.annotate.annotate_windows`.
    """

    def __init__(self, start, end, part, indices, crop, probabilities):
        self.start, self.end, self.part = start, end, part
        self.indices, self.crop, self.probabilities = indices, crop, probabilities
        self.evidence = None


def score_windows(video, protocol, scorer, short_side, window, stride, span=READ_SPAN):
    """Slide ``protocol`` over ``video`` and score each window as
    :mod:`gluon_dfb.inference.predict` scores a short video.

    Parameters
    ----------
    video : gluon_dfb.data.decode.OpenVideo
    protocol : gluon_dfb.data.protocols.Protocol
        A one-view protocol ('1clip'): its frames are picked inside each window as if the
        window were a video of its own.
    scorer : callable
        NDArray views -> z_comb (the network, or an
        :class:`~gluon_dfb.inference.onnx_runner.OnnxRunner`).
    short_side : int
        Frames are resized to it before the protocol's crop.
    window, stride : int
        In frames (:func:`window_bounds`).
    span : int, default READ_SPAN
        The windows within this many frames are decoded together (:func:`read_groups`).

    Yields
    ------
    Window
        In time order; the frames are decoded as each group of windows comes, and a
        :class:`~gluon_dfb.data.VideoReadError` is raised where they do not decode.
    """
    bounds = window_bounds(video.num_frames, window, stride)
    parts = window_parts(bounds, video.num_frames)
    for group in read_groups(bounds, span):
        indices = [bounds[k][0] + protocol.indices(bounds[k][1] - bounds[k][0], None)[0]
                   for k in group]
        wanted = np.unique(np.concatenate([i.ravel() for i in indices]))  # each frame once
        frames = video.read(wanted, short_side)
        for k, index in zip(group, indices):
            crop = protocol.spatial(frames[np.searchsorted(wanted, index)][None], None)
            yield Window(bounds[k][0], bounds[k][1], parts[k], index, crop[0],
                         video_probabilities(scorer, protocol.arrange(crop)))


def timeline_row(window, fps, classes, topk):
    """A window as one row of the timeline: ``start`` and ``end`` in seconds, its
    ``frames`` ``[start, end)``, its ``top`` classes (as :func:`top_classes` gives them)
    and, if it was annotated, the ``evidence``."""
    row = {'start': window.start / fps, 'end': window.end / fps,
           'frames': [window.start, window.end],
           'top': top_classes(window.probabilities, classes, topk)}
    if window.evidence is not None:
        row['evidence'] = window.evidence
    return row


def argmax_segments(parts, probabilities, fps, classes):
    """Runs of windows with the same most probable class, over the frames they speak for.

    Parameters
    ----------
    parts : list of (int, int)
        :func:`window_parts`.
    probabilities : numpy.ndarray
        ``(windows, C)``.
    fps : float
    classes : list of str

    Returns
    -------
    list of dict
        ``start``, ``end`` (seconds), ``frames`` ``[a, b)``, ``class``, ``index``; they
        partition the video.
    """
    best = probabilities.argmax(axis=1)
    segments = []
    for (a, b), index in zip(parts, best):
        if segments and segments[-1]['index'] == index:
            segments[-1]['frames'][1] = b
        else:
            segments.append({'frames': [a, b], 'class': classes[index], 'index': int(index)})
    for segment in segments:
        segment['start'], segment['end'] = (f / fps for f in segment['frames'])
    return segments


class Timeline(object):
    """The windows of one video gathered as they come (only their rows and probabilities
    are kept, not their frames).

    Parameters
    ----------
    windows : iterable of Window
        In time order (:func:`score_windows`).
    video : gluon_dfb.data.decode.OpenVideo
    window, stride : int
        In frames, as the windows were made.
    classes : list of str
    topk : int
        Classes per row.

    Attributes
    ----------
    rows : list of dict
        :func:`timeline_row` of each window.
    parts : list of (int, int)
        The frames each window speaks for.
    probabilities : numpy.ndarray
        ``(windows, C)`` float32.
    segments : list of dict
        :func:`argmax_segments`.
    """

    def __init__(self, windows, video, window, stride, classes, topk):
        self.video, self.window, self.stride, self.classes = video, window, stride, classes
        self.rows, self.parts, probabilities = [], [], []
        for scored in windows:
            self.rows.append(timeline_row(scored, video.fps, classes, topk))
            self.parts.append(scored.part)
            probabilities.append(scored.probabilities.astype(np.float32))
        self.probabilities = np.stack(probabilities)
        self.segments = argmax_segments(self.parts, self.probabilities, video.fps, classes)

    def document(self, **about):
        """The timeline as one JSON-able dict: ``video``, ``fps``, ``frames``,
        ``duration``, ``window`` and ``stride`` (seconds), ``about``'s items, the
        ``windows``' rows and the ``segments``."""
        fps = self.video.fps
        return dict({'video': self.video.path, 'fps': fps, 'frames': self.video.num_frames,
                     'duration': self.video.num_frames / fps, 'window': self.window / fps,
                     'stride': self.stride / fps}, **about,
                    windows=self.rows, segments=self.segments)

    def save(self, json_path, png_path, **about):
        """Write :meth:`document` to ``json_path`` and :func:`plot_timeline` to
        ``png_path``."""
        document = self.document(**about)
        with open(json_path, 'w') as f:
            json.dump(document, f, indent=1)
        plot_timeline(png_path, self.parts, self.probabilities, self.segments,
                      self.video.fps, self.classes, '%s: windows of %.2f s every %.2f s' % (
                          os.path.basename(self.video.path), document['window'],
                          document['stride']))


def plot_timeline(path, parts, probabilities, segments, fps, classes, title, max_lines=10):
    """The probabilities of the classes that are the arg-max somewhere (at most
    ``max_lines``, those that hold it longest), each window's over the frames it speaks
    for, above a strip of the arg-max segments labelled with their classes; PNG at
    ``path``."""
    held = {}
    for segment in segments:
        held[segment['index']] = held.get(segment['index'], 0) + segment['end'] - segment['start']
    shown = sorted(held, key=lambda i: -held[i])[:max_lines]
    colours = {index: matplotlib.colormaps['tab10'](i % 10) for i, index in enumerate(shown)}
    edges = np.array([a for a, _ in parts] + [parts[-1][1]]) / fps
    fig = Figure(figsize=(12, 4.5))
    ax, strip = fig.subplots(2, 1, sharex=True, gridspec_kw={'height_ratios': [5, 1]})
    for index in shown:
        ax.stairs(probabilities[:, index], edges, baseline=None, color=colours[index],
                  linewidth=1.5, label=classes[index])
    ax.set(ylim=(0, 1.02), ylabel='probability', title=title)
    ax.legend(fontsize=7, loc='upper left', bbox_to_anchor=(1.01, 1), borderaxespad=0)
    duration = edges[-1]
    for segment in segments:
        colour = colours.get(segment['index'], (0.8, 0.8, 0.8, 1))
        strip.axvspan(segment['start'], segment['end'], color=colour, alpha=0.6, linewidth=0)
        if segment['end'] - segment['start'] >= 0.04 * duration:
            strip.text((segment['start'] + segment['end']) / 2, 0.5, segment['class'],
                       ha='center', va='center', fontsize=7, clip_on=True)
    strip.set(xlim=(0, duration), yticks=[], xlabel='time (s)')
    strip.set_ylabel('arg-max', rotation=0, ha='right', va='center')
    fig.tight_layout()
    fig.savefig(path, dpi=100, format='png')
