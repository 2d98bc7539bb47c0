"""Reading chosen frames of a video file (decord) or of a folder of extracted frames."""
import os

import cv2
import decord
import numpy as np

from ..errors import UserError
from .transforms import resize, resize_frame, resized_shape

__all__ = ['VideoReadError', 'OpenVideo', 'read_video_frames', 'read_folder_frames',
           'probe_video']

DECORD_ERRORS = (decord.DECORDError, RuntimeError)  # decord raises both


class VideoReadError(UserError, RuntimeError):
    """A video (or frame folder) could not be read; the message names it and why.

    Attributes
    ----------
    path, reason : str
        The file or folder, and why it could not be read.
    kind : str
        ``'missing'`` (no such file or folder), ``'empty'`` (a file of 0 bytes),
        ``'truncated'`` (it opens, but frames its index lists do not decode) or
        ``'unreadable'`` (anything else).
    """

    def __init__(self, path, reason, kind='unreadable'):
        super(VideoReadError, self).__init__('%s: %s' % (path, reason))
        self.path, self.reason, self.kind = path, reason, kind


class OpenVideo(object):
    """A video file opened once, to decode chosen frames of it again and again: one
    decoder, kept between reads, so that reading a long video window by window does not
    re-open it (decord indexes the whole file when it opens it).

    After each read the decoder is parked on the last frame: decord 0.6.0's reader
    otherwise keeps decoding ahead on a thread after a read, a CPU core busy until the
    video ends or its queue is full (a 10-minute 720p video grew to 8 GB while the
    network ran); the next read seeks to its frames from there.

    Parameters
    ----------
    path : str
        The video file; :class:`VideoReadError` if it is missing, empty, cannot be opened
        or has no frames.

    Attributes
    ----------
    path : str
    num_frames : int
        The frames decord finds in the file.
    fps : float
        Its average frame rate.
    """

    def __init__(self, path):
        if os.path.isdir(path):
            raise VideoReadError(path, 'a folder, not a video file')
        if not os.path.isfile(path):
            raise VideoReadError(path, 'no such file', 'missing')
        if os.path.getsize(path) == 0:
            raise VideoReadError(path, 'empty file', 'empty')
        try:
            # one decoder thread: decord 0.6.0's threaded decoder fails on VP9 streams
            self.reader = decord.VideoReader(path, num_threads=1)
            self.num_frames = len(self.reader)
            self.fps = self.reader.get_avg_fps()
        except DECORD_ERRORS as err:
            raise VideoReadError(path, 'decord cannot open it (%s)' % _first_line(err)) from None
        if self.num_frames == 0:
            raise VideoReadError(path, 'no decodable frames')
        self.path = path

    def read(self, indices, short_side):
        """Decode frames ``indices`` (an int array of any shape), resized so that the short
        side is ``short_side`` (never upscaled; None: at their size).

        Returns
        -------
        numpy.ndarray
            uint8 ``indices.shape + (H, W, 3)``.
        """
        indices = np.asarray(indices)
        wanted = np.unique(indices)  # sorted: one pass of seeking and decoding
        frames = None
        for k, index in enumerate(wanted.tolist()):
            # get_batch's seeking and decoding, frame by frame, so that each frame is
            # resized (or copied) straight from decord's memory: get_batch would copy it
            # into its batch and asnumpy() the batch again
            try:
                self.reader.seek_accurate(index)
                frame = np.from_dlpack(_DLPack(self.reader.next()))
            except DECORD_ERRORS as err:
                raise VideoReadError(self.path, 'truncated or corrupt: cannot decode frames '
                                     '%d..%d of the %d it lists (decord: %s)' % (
                                         wanted[0], wanted[-1], self.num_frames,
                                         _first_line(err)), 'truncated') from None
            except StopIteration:
                raise VideoReadError(self.path, 'truncated or corrupt: decoded %d of %d frames'
                                     % (k, len(wanted)), 'truncated') from None
            if frame.ndim != 3 or frame.shape[2] != 3:
                raise VideoReadError(self.path, 'decoded frames of shape %s, not height x '
                                     'width x 3 colours' % 'x'.join(map(str, frame.shape)))
            if frames is None:
                height, width = resized_shape(frame.shape[0], frame.shape[1], short_side)
                frames = np.empty((len(wanted), height, width, 3), np.uint8)
            resize_frame(frame, frames[k])
        self.reader.seek(self.num_frames - 1)  # parked: nothing left to decode ahead
        if np.array_equal(indices.ravel(), wanted):  # each frame once, in order
            return frames.reshape(indices.shape + frames.shape[1:])
        return frames[np.searchsorted(wanted, indices)]


class _DLPack(object):
    """A decord NDArray as ``numpy.from_dlpack`` takes it (decord 0.6.0 has only
    ``to_dlpack``): numpy then reads decord's memory, no copy made."""

    def __init__(self, array):
        self.array = array

    def __dlpack__(self, stream=None):
        return self.array.to_dlpack()

    def __dlpack_device__(self):
        return 1, 0  # kDLCPU, device 0


def read_video_frames(path, index_fn, short_side):
    """Decode the frames ``index_fn(num_frames)`` of a video file, resized so that the
    short side is ``short_side``.

    Parameters
    ----------
    path : str
        The video file.
    index_fn : callable
        Maps the number of frames decord finds in the file to an index array of any
        shape.
    short_side : int or None
        Target short side (never upscaled); None: frames at their size.

    Returns
    -------
    numpy.ndarray
        uint8 ``index.shape + (H, W, 3)``.
    """
    video = OpenVideo(path)
    return video.read(index_fn(video.num_frames), short_side)


def _first_line(err):
    return str(err).strip().splitlines()[0][:200]


def read_folder_frames(folder, pattern, num_frames, index_fn, short_side):
    """Read the frames ``index_fn(num_frames)`` of a folder of images named by
    ``pattern.format(i + 1)`` (Something-Something: ``{:05d}.jpg``); grey-scale frames
    are expanded to RGB; ``short_side`` as for :func:`read_video_frames`."""
    if not os.path.isdir(folder):
        raise VideoReadError(folder, 'no such frame folder', 'missing')
    if num_frames <= 0:
        raise VideoReadError(folder, 'the list gives %d frames' % num_frames)
    indices = np.asarray(index_fn(num_frames))
    wanted = np.unique(indices)
    images = []
    for i in wanted:
        name = os.path.join(folder, pattern.format(int(i) + 1))
        image = cv2.imread(name, cv2.IMREAD_UNCHANGED)
        if image is None:
            raise VideoReadError(folder, 'frame %s is missing or unreadable' % name)
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
        else:
            image = cv2.cvtColor(image[:, :, :3], cv2.COLOR_BGR2RGB)
        if images and image.shape != images[0].shape:
            raise VideoReadError(folder, 'frame %s is %s, others are %s'
                                 % (name, image.shape[:2], images[0].shape[:2]))
        images.append(image)
    frames = np.stack(images)
    frames = resize(frames, *resized_shape(frames.shape[1], frames.shape[2], short_side))
    return frames[np.searchsorted(wanted, indices)]


def probe_video(path, index_fn=lambda n: [0, n - 1]):
    """Frame count of a video file, and its frames ``index_fn(count)`` at their size
    (by default the first and the last, which finds files whose index lists frames that
    are not there); raises :class:`VideoReadError`.

    Returns
    -------
    (int, numpy.ndarray)
        The frame count decord finds, and uint8 ``index.shape + (H, W, 3)``.
    """
    counted = []

    def count_and_index(num_frames):
        counted.append(num_frames)
        return index_fn(num_frames)
    frames = read_video_frames(path, count_and_index, None)
    return counted[0], frames
