"""Weights: reading parameter files into networks, and the verified weight store."""
import hashlib
import logging
import os
from collections import namedtuple

import mxnet as mx
import numpy as np
import requests
from tqdm import tqdm

from ..errors import BadInputError, MissingFileError, UserError, error_summary

__all__ = ['LoadReport', 'read_params', 'assign_params', 'load_params', 'WeightStore',
           'WeightStoreError', 'sha1_of', 'store_root']

logger = logging.getLogger(__name__)

LoadReport = namedtuple('LoadReport', ['loaded', 'fresh', 'unused', 'mismatched'])
LoadReport.__doc__ = """What a load did: parameter names that were ``loaded`` from the file,
left ``fresh`` (randomly initialised), file entries left ``unused``, and ``mismatched``
``(name, network shape, file shape)`` triples that were not loaded."""


def read_params(filename):
    """Read an MXNet ``.params`` file into a dict of arrays, with a clear error if it
    cannot be one. ``arg:``/``aux:`` prefixes of symbol exports are dropped."""
    if not os.path.isfile(filename):
        raise MissingFileError('Parameter file %s does not exist' % filename)
    try:
        arrays = mx.nd.load(filename)
    except mx.base.MXNetError as err:
        raise BadInputError('%s is not a readable MXNet parameter file (%s)'
                            % (filename, error_summary(err))) from None
    if not isinstance(arrays, dict) or not arrays:
        raise BadInputError('%s holds no named parameters' % filename)
    broken = sorted(k for k, v in arrays.items() if not np.isfinite(v.asnumpy()).all())
    if broken:
        raise BadInputError('%s holds NaN or infinite values in %d parameters (%s%s): made '
                            'by a training that diverged?' % (
                                filename, len(broken), ', '.join(broken[:3]),
                                ', ...' if len(broken) > 3 else ''))
    return {k.split(':', 1)[-1]: v for k, v in arrays.items()}


def _fits(param_shape, array_shape):
    return len(param_shape) == len(array_shape) and all(
        p in (0, a) for p, a in zip(param_shape, array_shape))


def assign_params(net, arrays, source, ctx=None, strict=True):
    """Copy named arrays into ``net`` by structural parameter name.

    Parameters
    ----------
    net : Block
        The network; its parameters must have been initialised (deferred is fine).
    arrays : dict of str to NDArray
        Values keyed by structural names (``layer1.0.conv1.weight``). A parameter that
        a block registers under several names is loaded if any of them is present.
    source : str
        Where the arrays come from, for messages.
    ctx : Context or list of Context, optional
        Where to place loaded parameters (default: where they are).
    strict : bool, default True
        Raise unless every parameter is loaded and every array used.

    Returns
    -------
    LoadReport
    """
    names_of = {}
    for name, param in net._collect_params_with_prefix().items():
        names_of.setdefault(param, []).append(name)
    loaded, fresh, mismatched, used = [], [], [], set()
    for param, names in names_of.items():
        key = next((n for n in names if n in arrays), None)
        if key is None:
            fresh.append(names[0])
            continue
        used.update(n for n in names if n in arrays)
        value = arrays[key]
        if not _fits(param.shape, value.shape):
            mismatched.append((key, param.shape, value.shape))
            continue
        param._load_init(value, ctx or param.list_ctx(), cast_dtype=True)
        loaded.append(key)
    report = LoadReport(loaded, fresh, sorted(set(arrays) - used), mismatched)
    if strict and (report.fresh or report.unused or report.mismatched):
        raise BadInputError('%s does not fit the network: %s' % (source, describe(report)))
    logger.info('Loaded %s: %s', source, describe(report))
    return report


def describe(report):
    """One-paragraph summary of a :class:`LoadReport`."""
    parts = ['%d parameters loaded' % len(report.loaded)]
    for title, items in (('left freshly initialised', report.fresh),
                         ('unused in the file', report.unused)):
        if items:
            parts.append('%d %s (%s%s)' % (len(items), title, ', '.join(items[:5]),
                                           ', ...' if len(items) > 5 else ''))
    if report.mismatched:
        parts.append('%d with other shapes (%s)' % (len(report.mismatched), ', '.join(
            '%s: network %s, file %s' % m for m in report.mismatched[:5])))
    return '; '.join(parts)


def load_params(net, filename, ctx=None, strict=True):
    """Load a ``.params`` file into ``net`` by structural name; see :func:`assign_params`."""
    return assign_params(net, read_params(filename), filename, ctx=ctx, strict=strict)


def sha1_of(filename, chunk=1 << 20):
    """Hex sha1 of a file."""
    digest = hashlib.sha1()
    with open(filename, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            digest.update(block)
    return digest.hexdigest()


def store_root(root=None):
    """The weight-store folder: ``root``, else ``$GLUON_DFB_MODEL_ROOT``, else
    ``~/.mxnet/models``."""
    return os.path.expanduser(root or os.environ.get('GLUON_DFB_MODEL_ROOT')
                              or '~/.mxnet/models')


class WeightStoreError(UserError, RuntimeError):
    """A pretrained weight file could not be found, fetched or verified."""


class WeightStore(object):
    """Pretrained weights kept as ``ROOT/{name}-{sha1[:8]}.params``, verified by sha1.

    Parameters
    ----------
    published : dict
        Model name to ``{'sha1': ...}`` for every model with published weights.
    root : str, optional
        Local folder; default ``$GLUON_DFB_MODEL_ROOT`` or ``~/.mxnet/models``.
    base_url : str, optional
        Remote folder to download missing files from; default ``$GLUON_DFB_MODEL_URL``.
    """

    def __init__(self, published, root=None, base_url=None):
        self.published = published
        self.root = store_root(root)
        self.base_url = base_url or os.environ.get('GLUON_DFB_MODEL_URL')

    def file_name(self, name, tag=True):
        """File name of the weights of ``name``; ``tag`` (a sha1 prefix) picks a version."""
        if name not in self.published:
            raise WeightStoreError(
                'No published weights for %s. Train it (gluon-dfb train --model %s ...) and pass '
                'the result as pretrained="path/to/file.params".' % (name, name))
        sha1 = self.published[name]['sha1']
        if isinstance(tag, str) and not sha1.startswith(tag):
            raise WeightStoreError('Weights of %s with tag %s are not published (known: %s)'
                                   % (name, tag, sha1[:8]))
        return '%s-%s.params' % (name, sha1[:8])

    def get(self, name, tag=True):
        """Path of the verified weight file of ``name``, downloaded if needed."""
        fname = self.file_name(name, tag)
        sha1 = self.published[name]['sha1']
        path = os.path.join(self.root, fname)
        if os.path.exists(path):
            if sha1_of(path) == sha1:
                return path
            logger.warning('%s fails its sha1 check; fetching it again', path)
        if not self.base_url:
            raise WeightStoreError(
                '%s is not in %s (or fails its sha1 check) and no download location is set:'
                ' put the file there, or set GLUON_DFB_MODEL_URL' % (fname, self.root))
        self.download(self.base_url.rstrip('/') + '/' + fname, path, sha1)
        return path

    @staticmethod
    def download(url, path, sha1):
        """Fetch ``url`` to ``path`` atomically, with a progress bar; refuse a file whose
        sha1 differs (nothing is left behind)."""
        os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
        partial = '%s.%d.part' % (path, os.getpid())
        digest = hashlib.sha1()
        try:
            with requests.get(url, stream=True, timeout=60) as response:
                if response.status_code != 200:
                    raise WeightStoreError('Downloading %s failed: HTTP %d'
                                           % (url, response.status_code))
                total = int(response.headers.get('content-length', 0)) or None
                with open(partial, 'wb') as f, tqdm(total=total, unit='B', unit_scale=True,
                                                    desc=os.path.basename(path)) as bar:
                    for chunk in response.iter_content(chunk_size=1 << 16):
                        f.write(chunk)
                        digest.update(chunk)
                        bar.update(len(chunk))
            if digest.hexdigest() != sha1:
                raise WeightStoreError('Downloaded %s has sha1 %s, expected %s: refused'
                                       % (url, digest.hexdigest(), sha1))
            os.replace(partial, path)
        except requests.RequestException as err:
            raise WeightStoreError('Downloading %s failed: %s' % (url, err)) from None
        finally:
            if os.path.exists(partial):
                os.remove(partial)
