"""Proxy pretraining of a 2D ResNet v1b trunk on generated still images
(:mod:`gluon_dfb.data.proxy_images`): the stand-in for ImageNet pretraining where
nothing can be downloaded. Writes a GluonCV-layout ``resnet{depth}_v1b`` parameter file
that ``get_model(..., pretrained_base=PATH)`` loads (inflated for I3D), and a json
beside it with its sha1, recipe and held-out accuracy."""
import argparse
import json
import logging
import math
import os
import threading
import queue
import time

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon
from gluoncv.model_zoo import resnetv1b
from tqdm import tqdm

from ..arguments import (non_negative_float, non_negative_int, output_file, positive_float,
                         positive_int, probability)
from ..data.proxy_images import FACTORS, draw_factors, factor_sizes, render_proxy_images
from ..data.transforms import normalize
from ..zoo.proxy import (OPTIMIZERS, PROXY_RECIPE, BrokenTrunkError, check_writable_store,
                         proxy_trunk_path, stored_info)
from ..zoo.weights import sha1_of
from .checkpoint import save_params

__all__ = ['PRETRAIN_DEFAULTS', 'silhouette_shares', 'heldout_images', 'factor_scores',
           'factor_hits', 'proxy_accuracy', 'pretrain_trunk', 'describe_accuracy',
           'stored_trunk', 'main']

logger = logging.getLogger(__name__)

#: The recipe (what the parameter file is a function of).
PRETRAIN_DEFAULTS = PROXY_RECIPE


def _batches(recipe, start_step):
    """Generated training batches ``(images, labels, silhouettes)``, one per step, made
    in a background thread (step ``s`` draws from its own seed, so a batch does not
    depend on where a run starts); ``silhouettes`` is None unless the recipe asks for
    them (:func:`silhouette_shares`)."""
    out = queue.Queue(maxsize=4)

    def produce():
        for step in range(start_step, recipe['steps']):
            rng = np.random.RandomState([recipe['seed'], 1, step])
            labels = draw_factors(rng, recipe['batch_size'])
            images, masks = render_proxy_images(labels, rng, recipe['input_size'],
                                                recipe['clutter'], recipe['faint'], True)
            shares = silhouette_shares(masks) if recipe['silhouette'] else None
            out.put((_network_input(images), labels, shares))
    threading.Thread(target=produce, daemon=True).start()
    for _ in range(start_step, recipe['steps']):
        yield out.get()


def _network_input(images):
    """uint8 ``(B, H, W, 3)`` -> normalised float32 ``(B, 3, H, W)``."""
    return normalize(np.ascontiguousarray(images.transpose(0, 3, 1, 2)), channel_axis=1)


def silhouette_shares(masks, cell=8):
    """``(B, 1, h, w)`` float32: each ``cell`` x ``cell`` cell's share of a mask
    ``(B, H, W)``, the cells of stage 2 of a ResNet v1b (``h = ceil(H / 8)``; the
    image padded with zeros to whole cells)."""
    count, height, width = masks.shape
    h, w = -(-height // cell), -(-width // cell)
    padded = np.zeros((count, h * cell, w * cell), np.float32)
    padded[:, :height, :width] = masks
    return padded.reshape(count, h, cell, w, cell).mean(axis=(2, 4))[:, None]


def heldout_images(recipe):
    """The held-out proxy images, ``(images, factors)``: drawn from a seed of their own,
    which no training step's draw uses."""
    rng = np.random.RandomState([recipe['seed'], 2])
    labels = draw_factors(rng, recipe['heldout'])
    return _network_input(render_proxy_images(labels, rng, recipe['input_size'],
                                              recipe['clutter'], recipe['faint'])), labels


def factor_scores(scores):
    """Split the network's outputs into one block of scores per factor."""
    bounds = np.cumsum([0] + list(factor_sizes().values()))
    return [scores[:, a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def factor_hits(scores, labels):
    """``(images, factors)`` booleans: whether each factor's top score is its label."""
    return np.stack([block.argmax(axis=1) == labels[:, k]
                     for k, block in enumerate(factor_scores(scores))], axis=1)


def proxy_accuracy(net, images, labels, batch_size=256):
    """Accuracy of ``net`` on proxy images, per factor (``shape``, ``orientation``,
    ``texture``, ``colour``) and ``all`` four at once."""
    scores = np.concatenate([net(mx.nd.array(images[i:i + batch_size])).asnumpy()
                             for i in range(0, len(labels), batch_size)])
    right = factor_hits(scores, labels)
    return dict({f: float(right[:, k].mean()) for k, f in enumerate(FACTORS)},
                all=float(right.all(axis=1).mean()))


def _loss(scores, labels, loss_fn):
    """The sum over the factors of each one's softmax cross-entropy."""
    return sum(loss_fn(block, labels[:, k]) for k, block in enumerate(factor_scores(scores)))


def _lr(recipe, step):
    """Linear warm-up, then cosine decay to 0."""
    if step < recipe['warmup_steps']:
        return recipe['lr'] * (step + 1) / recipe['warmup_steps']
    progress = (step - recipe['warmup_steps']) / max(1, recipe['steps'] - recipe['warmup_steps'])
    return recipe['lr'] * 0.5 * (1 + math.cos(math.pi * progress))


def pretrain_trunk(out, **recipe):
    """Pretrain ``resnet{depth}_v1b`` on proxy images and write ``out`` (.params) and
    ``out`` with ``.json`` (sha1, recipe, held-out accuracy, seconds).

    Parameters
    ----------
    out : str
        Parameter file to write (GluonCV's ``resnet*_v1b`` layout, the proxy classifier
        as ``fc``).
    **recipe
        Overrides of :data:`PRETRAIN_DEFAULTS`.

    Returns
    -------
    dict
        What the json holds.
    """
    unknown = set(recipe) - set(PRETRAIN_DEFAULTS)
    if unknown:
        raise ValueError('Unknown pretraining options %s' % sorted(unknown))
    recipe = dict(PRETRAIN_DEFAULTS, **recipe)
    if recipe['optimizer'] not in OPTIMIZERS:
        raise ValueError('Unknown optimizer %r: one of %s' % (recipe['optimizer'],
                                                              sorted(OPTIMIZERS)))
    mx.random.seed(recipe['seed'])
    net = getattr(resnetv1b, 'resnet%d_v1b' % recipe['depth'])(
        pretrained=False, classes=sum(factor_sizes().values()))
    if recipe['last_gamma']:
        for layer in (net.layer1, net.layer2, net.layer3, net.layer4):
            for block in layer:
                getattr(block, 'bn3', block.bn2).gamma.init = mx.init.Zero()
    net.initialize(mx.init.MSRAPrelu())
    params = net.collect_params()
    head, hook, stage2 = None, None, []
    if recipe['silhouette']:  # stage 2's output -> the main object's silhouette
        head = gluon.nn.Conv2D(1, 1, in_channels=128 if recipe['depth'] < 50 else 512)
        head.initialize(mx.init.Normal(0.01))
        params.update(head.collect_params())
        hook = net.layer2.register_forward_hook(
            lambda block, inputs, output: stage2.append(output))
    for name, param in params.items():
        if name.endswith(('beta', 'bias')):
            param.wd_mult = 0
    trainer = gluon.Trainer(params, recipe['optimizer'], {
        'learning_rate': recipe['lr'], OPTIMIZERS[recipe['optimizer']]: recipe['momentum'],
        'wd': recipe['wd']})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    silhouette_loss = gluon.loss.SigmoidBinaryCrossEntropyLoss()
    heldout = heldout_images(recipe)
    start, correct, seen = time.time(), 0, 0
    bar = tqdm(_batches(recipe, 0), total=recipe['steps'], desc='proxy pretraining')
    for step, (images, labels, shares) in enumerate(bar):
        trainer.set_learning_rate(_lr(recipe, step))
        x, y = mx.nd.array(images), mx.nd.array(labels)
        del stage2[:]
        with autograd.record():
            scores = net(x)
            loss = _loss(scores, y, loss_fn)
            if head is not None:
                cells = shares.shape[2] * shares.shape[3]  # summed over the cells
                loss = loss + recipe['silhouette'] * silhouette_loss(
                    head(stage2[0]), mx.nd.array(shares)) * cells
        loss.backward()
        trainer.step(len(labels))
        correct += factor_hits(scores.asnumpy(), labels).sum(axis=0)
        seen += len(labels)
        if (step + 1) % 50 == 0:
            shown = ', '.join('%s %.2f' % (f, c / seen) for f, c in zip(FACTORS, correct))
            bar.set_postfix(loss='%.3f' % loss.mean().asscalar())
            logger.info('proxy step %d: loss %.3f, training accuracy %s (last 50 steps)',
                        step + 1, loss.mean().asscalar(), shown)
            correct = seen = 0
    if hook is not None:  # the held-out test needs no silhouettes
        hook.detach()
    accuracy = proxy_accuracy(net, *heldout)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    save_params(out, net)
    info = {'sha1': sha1_of(out), 'recipe': recipe, 'heldout': accuracy,
            'factors': factor_sizes(), 'seconds': round(time.time() - start, 1)}
    with open(os.path.splitext(out)[0] + '.json', 'w') as f:
        json.dump(info, f, indent=1)
    logger.info('proxy pretraining: held-out accuracy %s, %.0f s; wrote %s',
                describe_accuracy(accuracy), info['seconds'], out)
    return info


def describe_accuracy(accuracy):
    """``'shape 91.2%, orientation ...'``: held-out accuracy per factor, and all four."""
    return ', '.join('%s %.1f%%' % (k, 100 * accuracy[k]) for k in FACTORS + ('all',))


def stored_trunk(root=None, **recipe):
    """The proxy-pretrained trunk of ``recipe`` kept in the weight store (``root``, else
    ``$GLUON_DFB_MODEL_ROOT``, else ``~/.mxnet/models``) as
    :func:`~gluon_dfb.zoo.proxy.proxy_trunk_path` names it, with its json: taken from the
    repository's copy where it ships one (:func:`~gluon_dfb.zoo.proxy.stored_info`), else
    made once, then reused after its sha1 is checked; a file that fails the check is made
    again (with a warning).

    Returns
    -------
    (str, dict)
        The parameter file and what its json holds.
    """
    recipe = dict(PRETRAIN_DEFAULTS, **recipe)
    path = proxy_trunk_path(root, **recipe)
    try:
        info = stored_info(path)
    except BrokenTrunkError as err:
        logger.warning('%s: pretraining it again', err)
        info = None
    if info is not None:
        logger.info('reusing the proxy-pretrained trunk %s (held-out accuracy %s)', path,
                    describe_accuracy(info['heldout']))
        return path, info
    check_writable_store(path)  # before minutes of pretraining
    return path, pretrain_trunk(path, **recipe)


def main(argv=None):
    """``gluon-dfb pretrain`` (``train_scripts/pretrain_trunk.py``): the recipe's options
    from :data:`PRETRAIN_DEFAULTS`; writes the trunk and prints its held-out accuracy."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', type=output_file,
                        help="parameter file to write (.params); default: the weight store's, "
                             "where --pretrained-base proxy finds the trunk of this recipe "
                             "(the default recipe's ResNet-18 is taken from the copy the "
                             "repository ships: --out makes it anew)")
    for name, value in PRETRAIN_DEFAULTS.items():  # counts from 1, rates above 0
        if name == 'optimizer':
            parser.add_argument('--optimizer', choices=sorted(OPTIMIZERS), default=value)
            continue
        if name == 'last_gamma':
            parser.add_argument('--last-gamma', action=argparse.BooleanOptionalAction,
                                default=value)
            continue
        kind = {'seed': non_negative_int, 'clutter': non_negative_int,
                'warmup_steps': non_negative_int, 'wd': non_negative_float,
                'faint': probability, 'silhouette': non_negative_float}.get(
            name, positive_int if isinstance(value, int) else positive_float)
        parser.add_argument('--' + name.replace('_', '-'), type=kind, default=value)
    args = vars(parser.parse_args(argv))
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(message)s')
    out = args.pop('out')
    if out:
        info = pretrain_trunk(out, **args)
    else:
        out, info = stored_trunk(**args)
    print('%s: held-out accuracy %s; sha1 %s' % (out, describe_accuracy(info['heldout']),
                                                 info['sha1']))
