"""GluonCV's published weights by name for ``pretrained_base=``: its ImageNet
``resnet{depth}_v1b`` and its TSN and I3D action-recognition checkpoints, fetched and
sha1-checked by GluonCV's own model store (``$MXNET_GLUON_REPO``, cached in
``$MXNET_HOME/models``, default ``~/.mxnet/models``)."""
import difflib
import os
import re
import zipfile
import zlib

import requests
from gluoncv.model_zoo import model_store

from ..errors import BadInputError
from .weights import WeightStoreError

__all__ = ['ACTION_DATASETS', 'base_weights_file', 'fetch']

ACTION_DATASETS = ('kinetics400', 'sthsthv2', 'ucf101', 'hmdb51')
"""The data sets of GluonCV 0.10.5's ResNet action-recognition checkpoints."""


def _accepted(arch, depth):
    """The GluonCV weight names a network of ``arch`` ('tsn' or 'i3d') and ``depth`` takes,
    as a pattern and as words for messages.

    TSN takes the ImageNet ``resnet{depth}_v1b`` and GluonCV's TSN checkpoints
    ``resnet{depth}_v1b_{dataset}``; I3D takes ``resnet{depth}_v1b`` (inflated) and
    GluonCV's I3D checkpoints ``i3d_resnet{depth}_v1_{dataset}`` (not the non-local
    ``i3d_nl*`` ones, whose extra blocks have no place here).

    Returns
    -------
    (re.Pattern, str)
    """
    action = ('resnet%d_v1b_' if arch == 'tsn' else 'i3d_resnet%d_v1_') % depth
    pattern = re.compile(r'resnet%d_v1b|%s(%s)' % (depth, action, '|'.join(ACTION_DATASETS)))
    words = 'resnet%d_v1b (ImageNet) or %s{%s}' % (depth, action, ','.join(ACTION_DATASETS))
    return pattern, words


def fetch(name):
    """Path of GluonCV's weight file ``name``, downloaded by GluonCV's model store when it
    is not cached or fails its sha1 check.

    Raises
    ------
    WeightStoreError
        When the download fails (naming the URL), the archive is damaged, or the file
        fails its sha1 check; nothing is loaded then.
    """
    try:
        return model_store.get_model_file(name)
    except requests.RequestException as err:
        where = err.request.url if err.request is not None else "GluonCV's model server"
        raise WeightStoreError(
            'Could not download GluonCV weights %s from %s (%s). Without network, fetch that '
            'file elsewhere, unzip it and pass the .params path as pretrained_base=PATH.'
            % (name, where, err)) from None
    except RuntimeError as err:  # GluonCV's download: an HTTP status other than 200
        raise WeightStoreError(
            'Could not download GluonCV weights %s (%s). Pass a local .params path as '
            'pretrained_base=PATH instead.' % (name, err)) from None
    except (zipfile.BadZipFile, zlib.error, FileNotFoundError) as err:
        raise WeightStoreError(
            'The archive of GluonCV weights %s from %s is damaged or lacks its .params file '
            '(%s): refused' % (name, _server(), err)) from None
    except ValueError as err:  # GluonCV's sha1 check of the unpacked file
        raise WeightStoreError('GluonCV weights %s from %s fail their sha1 check (%s): refused'
                               % (name, _server(), err)) from None


def _server():
    return os.environ.get('MXNET_GLUON_REPO', "GluonCV's model server")


def base_weights_file(spec, arch, depth):
    """The parameter file that ``pretrained_base=spec`` names for a network.

    Parameters
    ----------
    spec : True or str
        ``True``: GluonCV's ImageNet ``resnet{depth}_v1b``; a path (an existing file, a
        name ending in ``.params`` or holding a folder separator): that file; otherwise
        the name of GluonCV weights that fit (see :func:`_accepted`).
    arch : str
        'tsn' or 'i3d'.
    depth : int
        The network's ResNet depth.

    Returns
    -------
    str
        The file's path (GluonCV weights are fetched through :func:`fetch`).

    Raises
    ------
    BadInputError
        For a name GluonCV has no weights for (suggesting close ones), or whose depth
        or family does not fit the network.
    """
    if spec is True:
        return fetch('resnet%d_v1b' % depth)
    if os.path.exists(spec) or spec.endswith('.params') or os.sep in spec:
        return spec
    known = model_store.pretrained_model_list()
    if spec not in known:
        close = difflib.get_close_matches(spec, known, n=3, cutoff=0.6)
        raise BadInputError(
            '%r is neither a file nor the name of GluonCV weights.%s'
            % (spec, ' Did you mean %s?' % ', '.join(close) if close else ''))
    pattern, words = _accepted(arch, depth)
    if not pattern.fullmatch(spec):
        raise BadInputError('GluonCV weights %s do not fit this ResNet-%d %s network: it '
                            'takes %s' % (spec, depth, arch.upper(), words))
    return fetch(spec)
