"""The model zoo: names, catalogue entries and ``get_model``, read from ``model_zoo/``."""
import difflib
import inspect
import itertools
import json
import logging
import os
from importlib import resources

import mxnet as mx
from mxnet import init

from .. import models
from ..arguments import check_dropout, check_positive_int
from ..errors import BadInputError
from .gluoncv_weights import base_weights_file
from .inflate import inflate_from_2d
from .proxy import proxy_trunk_file
from .weights import WeightStore, assign_params, load_params, read_params

__all__ = ['get_model', 'list_models', 'model_entry', 'weight_store', 'read_zoo_file', 'CATALOGUE']

logger = logging.getLogger(__name__)

_ZOO_DATA = resources.files('gluon_dfb.model_zoo')
CATALOGUE = json.loads(_ZOO_DATA.joinpath('catalogue.json').read_text())


def _names():
    c = CATALOGUE
    for arch, depth, head, dataset in itertools.product(c['archs'], c['depths'], c['heads'],
                                                       c['datasets']):
        yield '%s_resnet%d_%s_%s' % (arch, depth, head, dataset), (arch, depth, head, dataset)


_MODELS = dict(_names())


def list_models():
    """Names of all models of the zoo, sorted."""
    return sorted(_MODELS)


def read_zoo_file(filename):
    """The text of a file shipped in ``model_zoo/``."""
    return _ZOO_DATA.joinpath(filename).read_text()


def read_class_list(filename):
    """Class names of a class-list file shipped in ``model_zoo/``, one per line."""
    return read_zoo_file(filename).splitlines()


def model_entry(name):
    """The catalogue entry of a model: architecture arguments, dataset, input and test
    protocol, class names, and published weights if any.

    Raises
    ------
    BadInputError
        For an unknown name, suggesting the closest valid ones.
    """
    if not isinstance(name, str):
        raise TypeError('a model name is a string such as %r, not %r' % (list_models()[0], name))
    if name not in _MODELS:
        close = difflib.get_close_matches(name, _MODELS, n=3, cutoff=0.5)
        raise BadInputError(
            'Unknown model %r.%s See gluon_dfb.list_models() for all %d names.'
            % (name, ' Did you mean %s?' % ', '.join(close) if close else '', len(_MODELS)))
    arch, depth, head, dataset = _MODELS[name]
    data = CATALOGUE['datasets'][dataset]
    entry = dict(CATALOGUE['archs'][arch], name=name, arch=arch, depth=depth,
                 head=CATALOGUE['heads'][head], dataset=dataset, nclass=data['nclass'],
                 horizontal_flip=data['horizontal_flip'],
                 test_protocol=data['test_protocol'][arch],
                 classes=read_class_list(data['classes']) if data['classes'] else None)
    if name in CATALOGUE['published']:
        entry['published'] = CATALOGUE['published'][name]
    return entry


def weight_store(root=None, base_url=None):
    """The :class:`~gluon_dfb.zoo.weights.WeightStore` of the zoo's published weights."""
    return WeightStore(CATALOGUE['published'], root=root, base_url=base_url)


def _check_arguments(name, entry, nclass, pretrained, pretrained_base, kwargs):
    """Refuse, naming the argument, what :func:`get_model` cannot build from."""
    if nclass is not None or entry['nclass'] is None:
        if nclass is None:
            raise BadInputError('%s needs nclass=, the number of classes of your data set'
                                % name)
        check_positive_int('nclass', nclass)
    builder = getattr(models, entry['builder'])
    accepted = set(inspect.signature(builder).parameters) - {'self', 'nclass', 'depth',
                                                              'kwargs'} | {'prefix', 'params'}
    unknown = sorted(set(kwargs) - accepted)
    if unknown:
        raise TypeError('get_model(%r) got an unexpected keyword argument %s; %s models '
                        'take %s' % (name, ', '.join(map(repr, unknown)), entry['arch'],
                                     ', '.join(sorted(accepted))))
    for key in ('num_segments', 'num_filters'):
        if key in kwargs:
            check_positive_int(key, kwargs[key])
    if 'dropout' in kwargs:
        check_dropout('dropout', kwargs['dropout'])
    if 'head' in kwargs and kwargs['head'] not in models.HEADS:
        raise BadInputError('head=%r is not one of %s' % (kwargs['head'], sorted(models.HEADS)))
    for key, value in (('pretrained', pretrained), ('pretrained_base', pretrained_base)):
        if not isinstance(value, (bool, str, type(None))):
            raise TypeError('%s must be True, False, a tag or a path, not %r' % (key, value))
    if pretrained and pretrained_base:
        raise BadInputError('pretrained= (the whole network\'s weights) and pretrained_base= '
                            '(the trunk\'s) exclude each other: give one')


def get_model(name, nclass=None, pretrained=False, pretrained_base=None, root=None, ctx=None,
              **kwargs):
    r"""Build a network of the zoo by name.

    Parameters
    ----------
    name : str
        ``{tsn,i3d}_resnet{18,34,50,101,152}_{dfb,gb}_{kinetics400,sthsthv1,custom}``.
    nclass : int, optional
        Number of classes; default the dataset's (required for ``custom``).
    pretrained : bool, str
        ``True`` or a tag (sha1 prefix): the zoo's published weights, from the weight
        store; a path to a ``.params`` file: that file, which must fit exactly.
    pretrained_base : bool or str, optional
        ``True``: GluonCV's ImageNet ``resnet{depth}_v1b`` (inflated to 3D for I3D),
        fetched by GluonCV's model store; the name of GluonCV weights of the same depth
        and family (``resnet50_v1b_kinetics400`` for TSN, ``i3d_resnet50_v1_kinetics400``
        for I3D, ...), fetched the same way; the path of such a ``.params`` file; or
        ``'proxy'``: the stand-in trunk pretrained on generated images, from the weight
        store (:mod:`~gluon_dfb.zoo.proxy`). The parameters that fit by name are loaded, the rest (local branch, filter bank)
        stays random, and a report is logged and kept in ``net.load_report``.
    root : str, optional
        Weight store folder (default ``$GLUON_DFB_MODEL_ROOT`` or ``~/.mxnet/models``).
    ctx : Context, default cpu
        Where to put the parameters.
    \*\*kwargs
        Network arguments overriding the catalogue: ``head`` ('gb', 'gb_df',
        'gb_df_lb'), ``num_filters``, ``num_segments``, ``dropout``, ``use_pool2`` (I3D).

    Returns
    -------
    Recognizer
        The network, initialised, with ``classes`` (or None) and ``entry`` attributes.

    Raises
    ------
    TypeError, BadInputError
        An argument of the wrong type or value, or an unknown keyword, named.
    """
    entry = model_entry(name)
    _check_arguments(name, entry, nclass, pretrained, pretrained_base, kwargs)
    nclass = nclass or entry['nclass']
    source = (proxy_trunk_file(entry['depth'], root) if pretrained_base == 'proxy' else
              base_weights_file(pretrained_base, entry['arch'], entry['depth'])
              if pretrained_base else None)
    ctx = ctx or mx.cpu()
    arguments = dict(depth=entry['depth'], head=entry['head'],
                     num_segments=entry['num_segments'])
    arguments.update(kwargs)
    net = getattr(models, entry['builder'])(nclass, **arguments)
    net.initialize(init.MSRAPrelu(), ctx=ctx)
    net.entry = entry
    net.classes = entry['classes'] if nclass == entry['nclass'] else None
    net.load_report = None
    if source:
        arrays = read_params(source)
        if entry['arch'] == 'i3d' and 'conv1.weight' in arrays:  # a 2D ImageNet ResNet
            net.load_report = inflate_from_2d(net, arrays, source, ctx=ctx)
        else:
            net.load_report = assign_params(net, arrays, source, ctx=ctx, strict=False)
    if isinstance(pretrained, str) and (os.path.exists(pretrained) or
                                        pretrained.endswith('.params')):
        net.load_report = load_params(net, pretrained, ctx=ctx)
    elif pretrained:
        path = weight_store(root=root).get(name, tag=pretrained)
        net.load_report = load_params(net, path, ctx=ctx)
    return net

