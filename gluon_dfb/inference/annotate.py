"""The video drawn with what the network saw: on the frames each window of a timeline
speaks for, its top-k classes, and the boxes where the top class's strongest filters fire
(:func:`~gluon_dfb.analysis.filter_boxes.locate_filters`, the filter pictures' mapping),
taken back from the network's input crop to the frames they come from; streamed to H.264
through the ffmpeg that imageio-ffmpeg ships, at the video's frame rate and size."""
from fractions import Fraction

import cv2
import imageio_ffmpeg
import numpy as np

from ..analysis.feature_grid import filter_bank_grid
from ..analysis.filter_boxes import locate_filters
from ..data.transforms import centre_crop_place, resized_shape
from ..scoring import top_classes

__all__ = ['input_box_to_frame', 'find_evidence', 'line_height', 'line_width', 'label_band',
           'draw_frame', 'h264_writer', 'annotate_windows']

BOX_COLOUR = (255, 40, 40)
BAND_SHADE = 0.35  # the label band keeps this fraction of the frame's brightness
FONT = cv2.FONT_HERSHEY_SIMPLEX
FONT_HEIGHT = 32  # ascent and descent of FONT at scale 1, in pixels
CHUNK = 64  # frames decoded at a time for drawing (each read seeks from a keyframe)


def input_box_to_frame(box, frame_shape, short_side, size):
    """A box ``(x0, y0, x1, y1)`` in the network's input, the frame resized to
    ``short_side`` (:func:`~gluon_dfb.data.transforms.resized_shape`) and centre-cropped to
    ``size`` (:func:`~gluon_dfb.data.transforms.centre_crop`), in the frame's own pixels
    (pixel edges map to pixel edges, as OpenCV's resize aligns them).

    Parameters
    ----------
    box : sequence of float
    frame_shape : (int, int)
        The frame's ``(height, width)``.
    short_side, size : int

    Returns
    -------
    tuple of float
    """
    height, width = frame_shape
    resized = resized_shape(height, width, short_side)
    scaled_h, scaled_w, top, left = centre_crop_place(resized[0], resized[1], size)
    x0, y0, x1, y1 = box
    sx, sy = width / float(scaled_w), height / float(scaled_h)
    return ((x0 + left) * sx, (y0 + top) * sy, (x1 + left) * sx, (y1 + top) * sy)


def find_evidence(net, window, frame_shape, short_side, size, temporal_stride):
    """Where the filters of the window's most probable class fire most, in the video.

    Each filter's strongest cell (:func:`locate_filters` on the frames the network saw) is
    centred on one sampled frame and covers the sampled frames within half a temporal
    stride of it; every frame of the window stands for the sampled frame nearest to it.
    The box is drawn from the first to the last frame that stands for one of the cell's
    sampled frames, within the frames the window speaks for (a cell outside them is the
    neighbouring windows' to draw).

    Parameters
    ----------
    net : Recognizer
        With a filter bank; TSN built with ``num_segments=1``.
    window : gluon_dfb.inference.timeline.Window
    frame_shape : (int, int)
        The video's ``(height, width)``.
    short_side, size : int
        How the frames were brought to the network (:func:`input_box_to_frame`).
    temporal_stride : float
        Sampled frames between cells of the filter-bank volume
        (:func:`~gluon_dfb.analysis.feature_grid.filter_bank_grid`).

    Returns
    -------
    list of dict
        ``filter`` (k), ``value``, ``frames`` ``[a, b)`` (empty when ``a == b``) and
        ``box`` ``[x0, y0, x1, y1]`` in the frame's pixels, one per filter.
    """
    frames = np.arange(window.start, window.end)
    nearest = window.indices[np.abs(frames[:, None] - window.indices[None, :]).argmin(axis=1)]
    evidence = []
    for hit in locate_filters(net, window.crop, int(window.probabilities.argmax())):
        low = int(np.ceil(hit.frame - temporal_stride / 2.0))
        cell = window.indices[max(low, 0):int(low + temporal_stride)]  # holds hit.frame's
        covered = frames[np.isin(nearest, cell)]  # a sampled frame stands for itself
        a = max(int(covered.min()), window.part[0])
        b = max(min(int(covered.max()) + 1, window.part[1]), a)
        evidence.append({'filter': hit.k, 'value': hit.value, 'frames': [a, b],
                         'box': list(input_box_to_frame(hit.box, frame_shape, short_side,
                                                        size))})
    return evidence


def line_height(frame_height):
    """Pixels per line of the label band: 24 lines would fill the frame, 10 at least."""
    return max(10, int(round(frame_height / 24.0)))


def line_width(frame_height):
    """Thickness of the boxes' lines, in pixels."""
    return max(1, int(round(frame_height / 240.0)))


def label_band(frame_height, lines):
    """Rows ``[0, band)`` of the frame that the label band of ``lines`` lines covers."""
    return min(frame_height, lines * line_height(frame_height) + line_height(frame_height) // 3)


def draw_frame(frame, lines, boxes):
    """Draw, in place, ``lines`` of text white on a darkened band across the top of the
    frame, and ``boxes`` ``(x0, y0, x1, y1)`` (pixel edges) as rectangles.

    Parameters
    ----------
    frame : numpy.ndarray
        uint8 ``(H, W, 3)`` RGB, C-contiguous.
    lines : list of str
    boxes : list of sequence of float
    """
    height = frame.shape[0]
    step = line_height(height)
    band = frame[:label_band(height, len(lines))]
    np.multiply(band, BAND_SHADE, out=band, casting='unsafe')
    scale = 0.8 * step / FONT_HEIGHT
    thickness = max(1, step // 20)
    for i, text in enumerate(lines):
        baseline = int(round((i + 0.75) * step))
        cv2.putText(frame, text, (step // 3, baseline), FONT, scale, (255, 255, 255),
                    thickness, cv2.LINE_AA)
    for x0, y0, x1, y1 in boxes:
        x0, y0, x1, y1 = (int(round(v)) for v in (x0, y0, x1, y1))
        cv2.rectangle(frame, (x0, y0), (max(x0, x1 - 1), max(y0, y1 - 1)), BOX_COLOUR,
                      line_width(height))


def h264_writer(path, fps, frame_shape, crf):
    """imageio-ffmpeg's H.264 writer of uint8 RGB frames, primed (``send`` each frame, then
    ``close``); yuv420p (what players read) unless a side is odd, which 4:2:0 cannot keep:
    then yuv444p."""
    height, width = frame_shape
    writer = imageio_ffmpeg.write_frames(
        path, (width, height), fps=Fraction(fps).limit_denominator(1001), codec='libx264',
        quality=None, macro_block_size=1, ffmpeg_log_level='error',
        pix_fmt_out='yuv420p' if height % 2 == width % 2 == 0 else 'yuv444p',
        output_params=['-crf', str(crf)])
    writer.send(None)
    return writer


def annotate_windows(windows, net, video, out_path, classes, topk, short_side, size,
                     crf=18):
    """Pass ``windows`` through, each given its ``evidence`` (:func:`find_evidence`), while
    the frames each speaks for are decoded, drawn (:func:`draw_frame`: its top-k classes
    and the boxes of its evidence on their frames) and streamed to ``out_path``.

    Parameters
    ----------
    windows : iterable of gluon_dfb.inference.timeline.Window
        In time order, from :func:`~gluon_dfb.inference.timeline.score_windows`.
    net : Recognizer
        With a filter bank.
    video : gluon_dfb.data.decode.OpenVideo
        The video the windows come from; its frames are decoded again at full size,
        ``CHUNK`` at a time, beside the windows' own.
    out_path : str
        The H.264 mp4 written (partly, if reading fails part-way).
    classes : list of str
    topk : int
        Classes written per window.
    short_side, size : int
        How the frames were brought to the network.
    crf : int, default 18
        libx264's quality: 0 is lossless (in 4:2:0), 18 hard to tell from the input.

    Yields
    ------
    gluon_dfb.inference.timeline.Window
    """
    frame_shape = video.read([0], None).shape[1:3]
    temporal_stride = filter_bank_grid(net)[1][0]
    writer = h264_writer(out_path, video.fps, frame_shape, crf)
    try:
        for window in windows:
            window.evidence = find_evidence(net, window, frame_shape, short_side, size,
                                            temporal_stride)
            lines = ['%s %.2f' % (t['class'], t['probability'])
                     for t in top_classes(window.probabilities, classes, topk)]
            for a in range(window.part[0], window.part[1], CHUNK):
                chunk = video.read(np.arange(a, min(a + CHUNK, window.part[1])), None)
                for f, frame in enumerate(chunk, a):
                    draw_frame(frame, lines, [e['box'] for e in window.evidence
                                              if e['frames'][0] <= f < e['frames'][1]])
                    writer.send(frame)
            yield window
    finally:
        writer.close()
