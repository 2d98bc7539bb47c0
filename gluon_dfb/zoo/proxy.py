"""The stand-in trunk in the weight store: the recipe that ``pretrained_base='proxy'``
names (:data:`PROXY_RECIPE`), the file a recipe's trunk is kept as, and finding it there
verified, taken from the copy the repository ships where the store lacks it.
:mod:`gluon_dfb.engine.pretrain` makes it."""
import argparse
import hashlib
import json
import logging
import os
import shutil
from importlib import resources

from ..arguments import output_folder
from .weights import WeightStoreError, sha1_of, store_root

__all__ = ['PROXY_RECIPE', 'OPTIMIZERS', 'SHIPPED', 'BrokenTrunkError', 'proxy_trunk_path',
           'verified_info',
           'check_writable_store', 'stored_info', 'proxy_trunk_file']

logger = logging.getLogger(__name__)

#: The recipe of the stand-in trunk (:mod:`gluon_dfb.engine.pretrain`): ResNet depth,
#: image side, steps, batch, peak rate, weight decay, momentum (Adam's beta1), warm-up
#: steps, clutter objects per image, seed, held-out images, the share of objects drawn
#: faint, the weight of the main object's silhouette as a second loss, the optimizer, and
#: whether each residual block's last BatchNorm starts with gamma 0 (GluonCV's
#: ``last_gamma``: the block starts as the identity).
PROXY_RECIPE = dict(depth=18, input_size=40, steps=2700, batch_size=48, lr=0.1, wd=5e-4,
                    momentum=0.9, warmup_steps=50, clutter=2, seed=0, heldout=1024,
                    faint=0.5, silhouette=0.2, optimizer='sgd', last_gamma=False)
#: The optimizers a recipe can name, each with its option that ``momentum`` sets.
OPTIMIZERS = {'sgd': 'momentum', 'adam': 'beta1'}
#: Options left out of a recipe's key while they have the value every trunk had before
#: they existed: those trunks keep their names.
_UNKEYED_VALUES = dict(faint=0, silhouette=0, optimizer='sgd', last_gamma=False)
#: Where the repository keeps trunks it ships, under their weight-store names with their
#: json: ``model_zoo/``, holding the default recipe's ResNet-18 (the committed ablation's
#: trunk). Not in the wheel (45 MB): an installed wheel makes the trunk instead.
SHIPPED = str(resources.files('gluon_dfb.model_zoo'))


class BrokenTrunkError(WeightStoreError):
    """A trunk file fails its sha1 check against its json."""


def proxy_trunk_path(root=None, **recipe):
    """Where the weight store (``root``, else ``$GLUON_DFB_MODEL_ROOT``, else
    ``~/.mxnet/models``) keeps the trunk of ``recipe`` (overrides of
    :data:`PROXY_RECIPE`): ``proxy_resnet{depth}_v1b-{recipe key}.params``, its json
    beside it."""
    recipe = {name: value for name, value in dict(PROXY_RECIPE, **recipe).items()
              if name not in _UNKEYED_VALUES or value != _UNKEYED_VALUES[name]}
    key = hashlib.sha1(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:8]
    return os.path.join(store_root(root), 'proxy_resnet%d_v1b-%s.params' % (recipe['depth'],
                                                                          key))


def verified_info(path):
    """What the json beside the trunk ``path`` holds, once the file's sha1 matches it;
    None if either is missing.

    Raises
    ------
    BrokenTrunkError
        The file fails its sha1 check.
    """
    info_path = os.path.splitext(path)[0] + '.json'
    if not (os.path.exists(path) and os.path.exists(info_path)):
        return None
    with open(info_path) as f:
        info = json.load(f)
    found = sha1_of(path)
    if found != info.get('sha1'):
        raise BrokenTrunkError('%s fails its sha1 check (sha1 %s, its json says %s)' % (
            path, found, info.get('sha1')))
    return info


def check_writable_store(path):
    """Raise :class:`WeightStoreError` unless the weight store can take the trunk file
    ``path``: its folder exists and is writable, or can be created."""
    try:
        output_folder(os.path.dirname(path))
    except argparse.ArgumentTypeError as err:
        raise WeightStoreError('the weight store cannot take %s: %s (set '
                               'GLUON_DFB_MODEL_ROOT to a writable folder)' % (
                                   os.path.basename(path), err)) from None


def stored_info(path):
    """What the json beside the trunk ``path`` holds, as :func:`verified_info` finds it in
    the weight store; where the store lacks it, or its copy fails the sha1 check, and
    :data:`SHIPPED` holds a verified trunk of that name, that one is copied in (with its
    json) and its json returned. A shipped copy that fails its check is left alone (with a
    warning).

    Raises
    ------
    BrokenTrunkError
        The store's copy fails its check and none is shipped.
    WeightStoreError
        The store cannot take the shipped copy (:func:`check_writable_store`).
    """
    try:
        info, broken = verified_info(path), None
    except BrokenTrunkError as err:  # the shipped copy may replace it
        info, broken = None, err
    if info is not None:
        return info
    source = os.path.join(SHIPPED, os.path.basename(path))
    try:
        info = verified_info(source)  # None if not shipped (or shipped without its json)
    except BrokenTrunkError as err:
        logger.warning('not taking the shipped trunk: %s', err)
    if info is None:
        if broken is not None:
            raise broken
        return None
    check_writable_store(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    for name in (source, os.path.splitext(source)[0] + '.json'):  # the json, the mark, last
        target = os.path.join(os.path.dirname(path), os.path.basename(name))
        partial = '%s.%d.part' % (target, os.getpid())
        shutil.copyfile(name, partial)
        os.replace(partial, target)
    logger.info('took the stand-in trunk shipped in %s (sha1-checked) into the weight store '
                'as %s', SHIPPED, path)
    return info


def proxy_trunk_file(depth, root=None):
    """The stand-in trunk of :data:`PROXY_RECIPE` for ResNet-``depth``, sha1-checked.

    Raises
    ------
    WeightStoreError
        It is not in the store, or fails its sha1 check (saying how to make it).
    """
    path = proxy_trunk_path(root, depth=depth)
    try:
        info = stored_info(path)
    except BrokenTrunkError as err:
        raise WeightStoreError('%s: `gluon-dfb pretrain --depth %d` makes it again' % (
            err, depth)) from None
    if info is None:
        raise WeightStoreError(
            'the stand-in trunk for ResNet-%d is not in the weight store (%s): '
            '`gluon-dfb pretrain --depth %d` makes it once (minutes on a CPU), as '
            '`gluon-dfb train --pretrained-base proxy` and `gluon-dfb ablation` do' % (
                depth, path, depth))
    return path
