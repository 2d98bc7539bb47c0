"""The training loop: the paper's recipe (SGD, lr steps, four-term loss), per-output
accuracy, validation, crash-safe checkpoints and resume, logs, metrics.json, curves;
one process or data-parallel Horovod workers (:class:`Workers`)."""
import argparse
import json
import logging
import os
import sys
import time

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon
from tqdm import tqdm

from ..data import VideoDataset, evaluation_protocol, read_video_list, training_protocol
from ..data.sampler import ShardedShuffleSampler
from ..errors import BadInputError, Interrupted, UserError
from ..nn import DFBLoss, freeze_batch_norm, synchronise_batch_norm
from ..scoring import topk_accuracy
from ..zoo import get_model, model_entry
from .checkpoint import (best_score, checkpoint_options, latest_checkpoint,
                         load_newest_checkpoint, remove_temporaries, save_best, save_checkpoint,
                         write_json)
from .curves import plot_curves
from .distributed import Workers
from .loss_scaler import DynamicLossScaler
from .pretrain import stored_trunk
from .config import RESUMABLE_CHANGES, parse_training_args

__all__ = ['train', 'main', 'make_trainer', 'output_names', 'OUTPUT_NAMES', 'TrainingDiverged']

OUTPUT_NAMES = ('comb', 'avg', 'xchannel', 'max')
logger = logging.getLogger('gluon_dfb.train')


def make_trainer(params, args, workers=None):
    """The SGD trainer of the paper's recipe; multi-precision for float16; Horovod's
    ``DistributedTrainer`` when ``workers`` are Horovod's."""
    return (workers or Workers()).trainer(
        params, 'sgd', {'learning_rate': args.lr, 'momentum': args.momentum, 'wd': args.wd,
                        'multi_precision': args.dtype == 'float16'})


def learning_rate(args, epoch, world_size=1):
    """The lr at (fractional) ``epoch``: ``args.lr`` times ``world_size`` (the linear
    scaling rule of Goyal et al. 2017: each worker keeps ``--batch-size``, so the
    batch grows with the workers), reached by a linear ramp from ``args.lr`` over the
    first ``args.warmup_epochs``, then divided by 10 at each of ``args.lr_steps``."""
    peak = args.lr * world_size
    if epoch < args.warmup_epochs:
        return args.lr + (peak - args.lr) * epoch / args.warmup_epochs
    return peak * 0.1 ** sum(epoch >= step for step in args.lr_steps)


def output_names(net):
    """Names of the network's training outputs in the logs: ``OUTPUT_NAMES``, or
    ``('avg',)`` for the GB head, whose one output is z_avg."""
    return OUTPUT_NAMES if net.filter_bank is not None else ('avg',)


def build_network(args, ctx):
    """The network named by ``args.model``, with the overrides of the command line."""
    overrides = {k: v for k, v in (('head', args.head), ('num_filters', args.num_filters),
                                   ('dropout', args.dropout)) if v is not None}
    base = args.pretrained_base
    if base == 'proxy':  # made once into the weight store, then found there
        base = stored_trunk(depth=model_entry(args.model)['depth'])[0]
    net = get_model(args.model, nclass=args.num_classes, ctx=ctx,
                    num_segments=args.num_segments, pretrained_base=base, **overrides)
    if net.load_report is not None:
        logger.info('pretrained base %s: %d loaded, %d fresh', args.pretrained_base,
                    len(net.load_report.loaded), len(net.load_report.fresh))
    if args.dtype == 'float16':
        if ctx.device_type == 'cpu':
            raise BadInputError('--dtype float16 needs a GPU (--gpus 0): MXNet 1.9.1 has no '
                                'float16 convolution or dense layer on CPU ("FP16 gemm on '
                                'cpu not implemented")')
        net.cast('float16')  # Gluon's BatchNorm keeps float32 parameters
    if args.freeze_bn:
        logger.info('%d BatchNorm layers use their running statistics', freeze_batch_norm(net))
    return net


def build_data(args, arch, flip, workers):
    """Training and (optional) validation datasets and loaders; each worker gets its
    part of every epoch's shuffled list and of the validation list."""
    common = dict(num_segments=args.num_segments, new_length=args.new_length,
                  new_step=args.new_step, size=args.input_size)
    train_set = VideoDataset(args.train_list, training_protocol(arch, flip=flip, **common),
                             root=args.data_root, num_classes=args.num_classes,
                             frame_pattern=args.frame_pattern, short_side=args.short_side,
                             seed=args.seed)
    sampler = ShardedShuffleSampler(len(train_set), seed=args.seed,
                                    num_parts=workers.size, part=workers.rank)
    if len(sampler) < args.batch_size:  # incomplete batches are dropped: nothing to train on
        raise BadInputError('%s lists %d videos%s, fewer than --batch-size %d: training '
                            'drops incomplete batches, so it would have none' % (
                                args.train_list, len(train_set), ', %d per worker for %d '
                                'workers' % (len(sampler), workers.size)
                                if workers.size > 1 else '', args.batch_size))
    train_loader = gluon.data.DataLoader(train_set, batch_size=args.batch_size,
                                         sampler=sampler, last_batch='discard',
                                         num_workers=args.num_workers)
    val_set = val_loader = None
    if args.val_list:
        val_set = VideoDataset(args.val_list, evaluation_protocol('1clip', arch, **common),
                               root=args.data_root, num_classes=args.num_classes,
                               frame_pattern=args.frame_pattern, short_side=args.short_side)
        part = val_set.shard(workers.size, workers.rank) if workers.size > 1 else val_set
        val_loader = gluon.data.DataLoader(part, batch_size=args.batch_size,
                                           last_batch='keep', num_workers=args.num_workers)
    return train_set, sampler, train_loader, val_set, val_loader


def to_network_input(batch, ctx, dtype):
    """(B, views, ...) samples -> (B * views, ...) on ``ctx``."""
    data = batch.reshape((-1,) + batch.shape[2:])
    return data.as_in_context(ctx).astype(dtype, copy=False)


def validate(net, loader, ctx, dtype, workers=None):
    """Top-1 of each output and top-5 of z_comb on a single-view-per-video loader,
    counted over all workers' parts."""
    workers = workers or Workers()
    names = output_names(net)
    counts = np.zeros(len(names) + 2)  # correct per output, top-5 correct, videos
    for data, label in tqdm(loader, desc='validation', leave=False,
                            disable=not workers.is_root):
        outputs = net.all_outputs(to_network_input(data, ctx, dtype))
        y = label.asnumpy()
        scores = [o.astype('float32').asnumpy() for o in outputs]
        counts[:len(names)] += [(s.argmax(axis=1) == y).sum() for s in scores]
        counts[-2:] += topk_accuracy(scores[0], y, 5) * len(y), len(y)
    counts = workers.sum(counts, 'validation')
    result = {'val_top1': counts[0] / counts[-1], 'val_top5': counts[-2] / counts[-1]}
    result.update({'val_top1_%s' % n: c / counts[-1] for n, c in zip(names, counts)})
    return result


class TrainingDiverged(UserError):
    """The loss or the weights stopped being finite."""


def setup_output(out_dir):
    """Create the output folder, log to ``train.log`` there and warnings to stderr too;
    returns the handlers."""
    os.makedirs(out_dir, exist_ok=True)
    handler = logging.FileHandler(os.path.join(out_dir, 'train.log'))
    handler.setFormatter(logging.Formatter('%(asctime)s %(levelname)s %(message)s'))
    warnings = logging.StreamHandler(sys.stderr)
    warnings.setLevel(logging.WARNING)
    warnings.setFormatter(logging.Formatter('%(levelname)s: %(message)s'))
    root = logging.getLogger('gluon_dfb')
    root.addHandler(handler)
    root.addHandler(warnings)
    root.setLevel(logging.INFO)
    return handler, warnings


def _flag(name):
    return '--' + name.replace('_', '-')


def check_resumable(stem, args):
    """Refuse to resume the checkpoint ``stem`` with options other than its run's,
    but those that ``--resume-with-changes`` names."""
    saved, now = checkpoint_options(stem), args.options()
    if saved is None:
        return
    changed = [k for k in sorted(set(saved) | set(now))
               if saved.get(k) != now.get(k) and k not in args.resume_with_changes]
    if not changed:
        return
    message = ('--resume: %s was made with %s. A run resumed with other options is not the '
               'run it continues: resume with its options, or train in another --out-dir' % (
                   stem, '; '.join('%s %s (now %s)' % (_flag(k), saved.get(k), now.get(k))
                                   for k in changed)))
    allowed = [k for k in changed if k in RESUMABLE_CHANGES]
    if allowed:
        message += ', or allow the change with --resume-with-changes %s' % ' '.join(allowed)
    raise UserError(message)


def check_finite(net, record, scaler):
    """Raise :class:`TrainingDiverged` if the epoch's loss (float32), or the loss
    scaler at its lowest scale (float16), or any weight is not finite."""
    if scaler is not None and scaler.gave_up:
        cause = 'float16 gradients overflow even at loss scale 1'
    elif scaler is None and not np.isfinite(record['train_loss']):
        cause = 'the training loss is %s' % record['train_loss']
    elif not all(np.isfinite(p.data().asnumpy()).all() for p in net.collect_params().values()):
        cause = 'weights are NaN or infinite'
    else:
        return
    raise TrainingDiverged('epoch %d: the run diverged (%s) at --lr %g; nothing of this epoch '
                           'was saved. Try a lower --lr or --clip-grad' % (
                               record['epoch'], cause, record['lr']))


def train(args):
    """Train as the command line ``args`` say; returns the per-epoch metrics.

    ``args`` is a :class:`~gluon_dfb.engine.config.TrainConfig`. With
    ``args.use_horovod`` this process is one Horovod worker: it trains on its part of
    each epoch, and only rank 0 logs and writes files.
    """
    workers = Workers(args.use_horovod)
    for list_file in filter(None, (args.train_list, args.val_list)):
        read_video_list(list_file, args.num_classes)  # a bad list: refused, nothing written
    handlers = setup_output(args.out_dir) if workers.is_root else ()
    try:
        if workers.is_root:
            for path in remove_temporaries(args.out_dir):
                logger.info('removed %s, left by an interrupted save', path)
        return _train(args, workers)
    finally:
        if workers.is_root:
            remove_temporaries(args.out_dir)
        for handler in handlers:
            logging.getLogger('gluon_dfb').removeHandler(handler)
            handler.close()


def main(argv=None, arch=None):
    """``gluon-dfb train`` (the architecture of ``--model``, default TSN) and
    ``train_scripts/train_{arch}.py``: parse, train; Ctrl-C says what was kept."""
    if arch is None:
        model = argparse.ArgumentParser(add_help=False)
        model.add_argument('--model', default='tsn_')
        arch = 'i3d' if model.parse_known_args(argv)[0].model.startswith('i3d_') else 'tsn'
    args = parse_training_args(arch, argv)
    try:
        train(args)
    except KeyboardInterrupt:
        stem = latest_checkpoint(args.out_dir)
        raise Interrupted('interrupted: %s' % (
            'the checkpoint %s is kept; the same command with --resume continues from it'
            % stem if stem else 'no checkpoint was complete yet, nothing to resume'))


def _train(args, workers):
    ctx = mx.gpu(args.gpus[workers.local_rank % len(args.gpus)]) if args.gpus else mx.cpu()
    arch = args.arch
    mx.random.seed(args.seed)
    np.random.seed(args.seed)
    net = build_network(args, ctx)
    if args.sync_bn:
        logger.info('%d BatchNorm layers synchronised over %d workers',
                    synchronise_batch_norm(net, workers.hvd), workers.size)
    flip = net.entry['horizontal_flip']
    train_set, sampler, train_loader, val_set, val_loader = build_data(args, arch, flip,
                                                                       workers)
    net.all_outputs(to_network_input(mx.nd.array(train_set[0][0][None]), ctx, args.dtype))
    workers.broadcast_parameters(net.collect_params())  # initialised by the pass above
    trainer = make_trainer(net.collect_params(), args, workers)
    loss_fn = DFBLoss()
    scaler = DynamicLossScaler() if args.dtype == 'float16' else None
    history, start_epoch, best = [], 0, -1.0
    metrics_path = os.path.join(args.out_dir, 'metrics.json')
    if args.resume:  # every worker reads it: --out-dir is shared
        newest = latest_checkpoint(args.out_dir)
        if newest:
            check_resumable(newest, args)
        stem, epoch = load_newest_checkpoint(args.out_dir, net, trainer, ctx)
        if stem is None:
            logger.warning('--resume: %s holds no complete checkpoint that loads: training '
                           'from the start', os.path.abspath(args.out_dir))
        else:
            if stem != newest:
                logger.warning('--resume: resuming from %s, the newest checkpoint that loads',
                               stem)
            start_epoch, best = epoch + 1, best_score(args.out_dir)
            with open(metrics_path) as f:
                history = [h for h in json.load(f) if h['epoch'] < start_epoch]
            logger.info('resumed from %s (epoch %d done)', stem, epoch)
    logger.info('training %s (%s head) on %d videos, %d epochs, %d worker(s), lr %g '
                '(scaled by %d workers, warm-up %g epochs)', args.model, net.head_name,
                len(train_set), args.epochs, workers.size, args.lr, workers.size,
                args.warmup_epochs)
    for epoch in range(start_epoch, args.epochs):
        # dropout of epoch e (of worker r) does not depend on resumes
        mx.random.seed(args.seed + epoch + 7919 * workers.rank)
        sampler.set_epoch(epoch)
        train_set.set_epoch(epoch)
        train_set.reset_failures()
        record = train_epoch(net, train_loader, trainer, loss_fn, ctx, args, epoch, scaler,
                             workers)
        record['skipped_videos'] = int(workers.sum([train_set.report_failures()],
                                                   'skipped')[0])
        if val_loader is not None:
            record.update(validate(net, val_loader, ctx, args.dtype, workers))
            val_set.report_failures()
        check_finite(net, record, scaler)
        score = record.get('val_top1', record['train_top1'])
        history.append(record)
        if workers.is_root:
            write_json(metrics_path, history)  # before the checkpoint: a resume drops
            if score > best:                   # records past its epoch
                save_best(args.out_dir, epoch, net, score)
            if (epoch + 1) % args.save_frequency == 0 or epoch + 1 == args.epochs:
                save_checkpoint(args.out_dir, epoch, net, trainer, keep=args.keep_checkpoints,
                                options=args.options())
                plot_curves(history, os.path.join(args.out_dir, 'curves.png'))
        best = max(best, score)
        logger.info('epoch %d: %s', epoch, ', '.join(
            '%s %.4g' % (k, v) for k, v in record.items() if k != 'epoch'))
    return history


def train_step(net, data, label, trainer, loss_fn, scaler=None, clip_grad=0):
    """One optimisation step on a batch of ``data.shape[0]`` videos (per worker).

    The gradients are reduced over the workers first (``trainer.allreduce_grads``), so
    that clipping and the float16 overflow check see the same gradients on every
    worker. With a :class:`DynamicLossScaler` (float16) the loss is scaled before
    backward and a step whose gradients overflow is skipped.

    Returns
    -------
    (NDArray, list of NDArray, tuple of NDArray, bool)
        Total loss per video, the per-output losses, the outputs, whether it stepped.
    """
    scale = scaler.scale if scaler is not None else 1.0
    with autograd.record():
        outputs = net(data)
        loss, terms = loss_fn([o.astype('float32') for o in outputs], label)
        scaled = loss * scale if scale != 1.0 else loss
    scaled.backward()
    trainer.allreduce_grads()
    grads = [p.grad(data.context) for p in net.collect_params().values()
             if p.grad_req != 'null']
    if scaler is not None and scaler.update(scaler.has_overflow(grads)):
        return loss, terms, outputs, False
    normalizer = data.shape[0] * scale
    if clip_grad > 0:
        gluon.utils.clip_global_norm(grads, clip_grad * normalizer)
    trainer.update(normalizer)
    return loss, terms, outputs, True


def train_epoch(net, loader, trainer, loss_fn, ctx, args, epoch, scaler=None, workers=None):
    """One pass over ``loader`` (this worker's part of the epoch); returns the epoch's
    record over all workers (losses and top-1 of each output, learning rate,
    throughput, skipped float16 steps)."""
    workers = workers or Workers()
    sums = np.zeros(1 + len(OUTPUT_NAMES))
    correct = np.zeros(len(OUTPUT_NAMES))
    seen, start = 0, time.time()
    bar = tqdm(loader, desc='epoch %d' % epoch, leave=False, disable=not workers.is_root)
    for step, (data, label) in enumerate(bar):
        trainer.set_learning_rate(learning_rate(args, epoch + step / len(loader), workers.size))
        y = label.as_in_context(ctx)
        loss, terms, outputs, _ = train_step(net, to_network_input(data, ctx, args.dtype), y,
                                             trainer, loss_fn, scaler, args.clip_grad)
        seen += data.shape[0]
        sums[0] += loss.sum().asscalar()
        for i, (term, out) in enumerate(zip(terms, outputs)):
            sums[1 + i] += term.sum().asscalar()
            correct[i] += (out.argmax(axis=1) == y.astype(out.dtype)).sum().asscalar()
        bar.set_postfix(loss='%.3f' % (sums[0] / seen))
    elapsed = time.time() - start
    totals = workers.sum(np.concatenate([sums, correct, [seen]]), 'train_epoch')
    sums, correct, seen = totals[:len(sums)], totals[len(sums):-1], totals[-1]
    names = output_names(net)
    record = {'epoch': epoch, 'lr': trainer.learning_rate, 'train_loss': sums[0] / seen,
              'train_top1': correct[0] / seen, 'clips_per_s': seen / elapsed}
    record.update({'train_loss_%s' % n: sums[1 + i] / seen for i, n in enumerate(names)})
    record.update({'train_top1_%s' % n: correct[i] / seen for i, n in enumerate(names)})
    if scaler is not None:
        record.update(loss_scale=scaler.scale, skipped_steps=scaler.skipped)
    return record
