"""Which frames of a video make a training sample or the test views (paper sec. 4.2).

All functions return frame indices as an int64 array. A video shorter than what is
asked *loops*: indices are computed as if the video were long enough and then taken
modulo its length (frame ``i`` of a 5-frame video is frame ``i % 5``).
"""
import numpy as np

__all__ = ['segment_indices', 'clip_indices', 'spread_clip_starts', 'clip_span']


def segment_indices(num_frames, num_segments, new_length=1, rng=None):
    """TSN sampling: split the video into ``num_segments`` equal segments and take a
    snippet of ``new_length`` consecutive frames from each.

    Parameters
    ----------
    num_frames : int
        Frames in the video (>= 1).
    num_segments : int
        Segments K (3 in training, 20 for the 2D test protocol).
    new_length : int, default 1
        Consecutive frames per snippet (1: a single RGB frame).
    rng : numpy.random.RandomState, optional
        Training: a random snippet start inside each segment. None: the snippet is
        centred in its segment (test time).

    Returns
    -------
    numpy.ndarray
        ``num_segments * new_length`` indices, segment-major.
    """
    length = max(num_frames, num_segments * new_length)
    bounds = np.arange(num_segments + 1) * length // num_segments  # segment k: [b_k, b_k+1)
    room = bounds[1:] - bounds[:-1] - new_length  # start positions left in each segment
    if rng is None:
        starts = bounds[:-1] + room // 2
    else:
        starts = bounds[:-1] + (rng.randint(0, 2 ** 31, num_segments) % (room + 1))
    indices = starts[:, None] + np.arange(new_length)[None, :]
    return indices.reshape(-1).astype(np.int64) % num_frames


def clip_indices(num_frames, new_length, new_step=1, start=None, rng=None):
    """I3D sampling: ``new_length`` frames ``new_step`` apart from one start.

    Parameters
    ----------
    num_frames : int
        Frames in the video.
    new_length, new_step : int
        Clip length L and step s; the clip spans ``(L - 1) * s + 1`` frames.
    start : int, optional
        First frame; default random (with ``rng``) in training, else the centred clip.
    rng : numpy.random.RandomState, optional
        Source of the random start.
    """
    room = max(num_frames - clip_span(new_length, new_step), 0)
    if start is None:
        start = rng.randint(0, room + 1) if rng is not None else room // 2
    return (start + np.arange(new_length) * new_step).astype(np.int64) % num_frames


def spread_clip_starts(num_frames, new_length, new_step, num_clips):
    """Starts of ``num_clips`` clips evenly spaced over the video, the first at frame 0
    and the last ending on the last frame (3D test protocol: 10 clips)."""
    room = max(num_frames - clip_span(new_length, new_step), 0)
    if num_clips == 1:
        return np.array([room // 2], dtype=np.int64)
    return np.round(np.linspace(0, room, num_clips)).astype(np.int64)


def clip_span(new_length, new_step):
    """Frames a clip of ``new_length`` frames ``new_step`` apart covers,
    ``(new_length - 1) * new_step + 1``: shorter videos loop."""
    return (new_length - 1) * new_step + 1
