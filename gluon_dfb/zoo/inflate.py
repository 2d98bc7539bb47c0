"""2D -> 3D inflation of ImageNet ResNet v1b weights into the I3D trunk (paper sec. 4.2)."""
import re

from ..errors import BadInputError
from .weights import assign_params

__all__ = ['inflate_name', 'inflate_array', 'inflate_from_2d']


def inflate_name(name2d):
    """Structural name in :class:`~gluon_dfb.models.I3DResNet` of a GluonCV
    ``resnet*_v1b`` parameter, or None for the ImageNet classifier."""
    if name2d.startswith('fc.'):
        return None
    name = re.sub(r'^conv1\.', 'first_stage.0.', name2d)
    name = re.sub(r'^bn1\.', 'first_stage.1.', name)
    return re.sub(r'^layer(\d)\.', lambda m: 'res_layers.%d.' % (int(m.group(1)) - 1), name)


def inflate_array(array, shape):
    """Repeat a 2D kernel ``(O, I, kh, kw)`` over the temporal size of ``shape``
    ``(O, I, kt, kh, kw)``, divided by ``kt``: a static video then gives the 2D
    network's response. Other arrays are returned as they are."""
    if array.ndim == 4 and len(shape) == 5:
        kt = shape[2]
        return array.expand_dims(axis=2).repeat(kt, axis=2) / kt
    return array


def inflate_from_2d(net, arrays2d, source, ctx=None):
    """Initialise an I3D network's trunk and global stage 5 from the parameters of a
    GluonCV ``resnet{18,34,50,101,152}_v1b`` (see :func:`~gluon_dfb.zoo.weights.read_params`),
    pairing them by name. The local branch, the filter bank and the classifiers stay as
    initialised.

    Parameters
    ----------
    net : I3DResNet
    arrays2d : dict of str to NDArray
        The 2D network's parameters by structural name.
    source : str
        Where they come from, for messages.

    Returns
    -------
    LoadReport
    """
    shapes = {name: p.shape for name, p in net._collect_params_with_prefix().items()}
    arrays = {}
    for name2d, array in arrays2d.items():
        name3d = inflate_name(name2d)
        if name3d is not None:
            arrays[name3d] = inflate_array(array, shapes.get(name3d, array.shape))
    report = assign_params(net, arrays, source, ctx=ctx, strict=False)
    if report.unused or report.mismatched:
        raise BadInputError('%s is not a 2D ResNet v1b of depth %d: %d entries unused, %d '
                            'of other shapes (e.g. %s)' % (
                                source, net.depth, len(report.unused),
                                len(report.mismatched), (report.unused + report.mismatched)[:3]))
    return report
