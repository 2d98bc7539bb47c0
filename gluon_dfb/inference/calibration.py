"""What INT8 quantization learns from videos: the calibration videos' views (a fixed
shuffled order of the user's list) and the activation ranges drawn from them, each
``scale`` times the median over the views of each view's extreme."""
import os

import numpy as np

from ..data import VideoReadError, read_views
from ..data.video_list import read_video_list
from ..errors import BadInputError

__all__ = ['RANGE_SCALES', 'VIEWS_PER_VIDEO', 'calibration_views', 'spread_views',
           'view_extremes', 'range_overrides']

#: Candidate activation ranges, as multiples of the median over the calibration views of
#: each view's extreme (:func:`range_overrides`; ``None``: the extreme over all views,
#: MinMax). A few videos can drive activations tens of times past the others', and a
#: range spent on them leaves the other videos a few of the 256 levels.
RANGE_SCALES = (2, 3, 4, 6, 8, None)
#: Views of a video used for calibration, evenly spread over its views.
VIEWS_PER_VIDEO = 10


def calibration_views(list_file, protocol, root='', short_side=256, videos=16):
    """Read the calibration videos of a list: up to ``videos`` readable ones, in a fixed
    shuffled order (lists are often sorted by class), each as up to
    ``VIEWS_PER_VIDEO`` of its protocol views (:func:`spread_views`).

    Returns
    -------
    (tuple, iterator, dict)
        The view shape (of the first readable video), an iterator over the videos' views
        (an array of ``(views,) + shape`` a video; a video of another view shape is left
        out), and a dict that the iterator fills as it goes: ``used`` (paths), ``failed``
        ({path: reason}) and ``other_shape`` ({path: shape}).

    Raises
    ------
    MissingFileError, BadInputError
        The list is missing or empty, or none of its videos can be read.
    """
    records = read_video_list(list_file)
    order = np.random.RandomState(0).permutation(len(records))
    paths = (os.path.join(root, records[i].path) for i in order)
    found = {'used': [], 'failed': {}, 'other_shape': {}}

    def read(path):
        try:
            return read_views(path, protocol, short_side)
        except VideoReadError as err:
            found['failed'][path] = err.reason
            return None
    first = next(((p, v) for p in paths for v in [read(p)] if v is not None), None)
    if first is None:
        raise BadInputError('none of the %d videos of the calibration list %s could be read:'
                            '\n%s' % (len(records), list_file, '\n'.join(
                                '  %s: %s' % item for item in sorted(found['failed'].items()))))
    shape = first[1].shape[1:]

    def spread():
        path, video = first
        for _ in range(min(videos, len(records))):
            while video is None or video.shape[1:] != shape:
                if video is not None:
                    found['other_shape'][path] = video.shape[1:]
                path = next(paths, None)
                if path is None:
                    return
                video = read(path)
            found['used'].append(path)
            yield spread_views(video)
            video = None
    return shape, spread(), found


def spread_views(views):
    """Up to ``VIEWS_PER_VIDEO`` of a video's views, evenly spread over them (the
    protocols order views by time or by crop)."""
    return views[np.unique(np.linspace(0, len(views) - 1, VIEWS_PER_VIDEO).round()).astype(int)]


def view_extremes(model_file, views):
    """Each view's minimum and maximum of every float tensor that onnxruntime's
    quantizer calibrates in ``model_file`` (its input and the operators' float
    outputs that shape inference typed).

    Returns
    -------
    dict
        {tensor name: numpy.ndarray ``(views, 2)``}.
    """
    import onnx
    import onnxruntime
    model = onnx.load(model_file)
    graph = model.graph
    constants = {t.name for t in graph.initializer}
    typed = {t.name: t for t in list(graph.value_info) + list(graph.output)}
    names = list(dict.fromkeys(
        o for node in graph.node for o in node.output if o in typed and o not in constants
        and typed[o].type.tensor_type.elem_type == onnx.TensorProto.FLOAT))
    del graph.output[:]
    graph.output.extend(typed[name] for name in names)
    session = onnxruntime.InferenceSession(model.SerializeToString(),
                                           providers=['CPUExecutionProvider'])
    extremes = []
    for view in views:
        values = [view] + session.run(names, {'data': view})
        extremes.append([(value.min(), value.max()) for value in values])
    return dict(zip(['data'] + names, np.array(extremes, np.float32).transpose(1, 0, 2)))


def range_overrides(extremes, scale):
    """onnxruntime's ``TensorQuantOverrides`` for activation ranges ``scale`` times the
    median over the views of each view's extreme, no wider than the extremes over all
    views (``scale=None``: those, onnxruntime's MinMax calibration)."""
    overrides = {}
    for name, pairs in extremes.items():
        low, high = pairs[:, 0].min(), pairs[:, 1].max()
        if scale is not None:
            low = max(low, scale * np.median(pairs[:, 0]))
            high = min(high, scale * np.median(pairs[:, 1]))
        overrides[name] = [{'rmin': np.float32(min(low, 0)), 'rmax': np.float32(max(high, 0))}]
    return overrides
