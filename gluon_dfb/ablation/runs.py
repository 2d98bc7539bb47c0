"""The runs of the ablation: fine-tuning a variant with the training script's own
options, and training a variant's head on cached stage-4 features (the head-only
probe); each tested on the validation and test splits. Runs go two at a time on one
thread each, and each keeps its result with what it was run from (``setup['key']``,
head, rate, seed), so a stopped ablation continues where it was and a changed one runs
again."""
import contextlib
import json
import logging
import math
import multiprocessing
import os
import shutil
import threading
import time

import mxnet as mx
import numpy as np
from tqdm import tqdm

from ..analysis.metrics import coarse_accuracy, fine_accuracy, topk_accuracy
from ..data import read_video_list
from ..engine.checkpoint import latest_checkpoint
from ..engine.evaluate import evaluate_list, save_predictions
from ..engine.head_probe import head_probabilities, train_head
from ..engine.config import EvalConfig, TrainConfig
from ..engine.train import TrainingDiverged, train
from ..zoo import get_model

__all__ = ['VARIANTS', 'FIGURES', 'figures', 'sampling', 'training_config', 'finetune_run',
           'probe_run', 'run_all']

logger = logging.getLogger(__name__)

#: The ablation's variants (paper table 1) and their heads.
VARIANTS = (('GB', 'gb'), ('GB+DF', 'gb_df'), ('GB+DF+LB', 'gb_df_lb'))
#: The figures reported for each split.
FIGURES = ('top1', 'top5', 'fine', 'coarse')


def figures(probabilities, labels, group_of=None):
    """Top-1, top-5, fine (within the true group) and coarse (group) accuracy (where
    ``group_of`` gives each class's group), and the mean negative log-probability of the
    true class (``nll``)."""
    labels = np.asarray(labels)
    true = probabilities[np.arange(len(labels)), labels]
    result = {'top1': topk_accuracy(probabilities, labels, 1),
              'top5': topk_accuracy(probabilities, labels, 5),
              'nll': float(-np.mean(np.log(np.maximum(true, 1e-12))))}
    if group_of is not None:
        group_of = np.asarray(group_of)
        result.update(fine=fine_accuracy(probabilities, labels, group_of),
                      coarse=coarse_accuracy(probabilities, labels, group_of))
    return result


def sampling(setup):
    """The recipe's sampling options, as the engine's configurations take them (a short
    side of the input size unless the recipe gives one; the architecture's defaults for
    what it leaves out)."""
    recipe = setup['recipe']
    return dict(input_size=recipe['input_size'],
                short_side=recipe.get('short_side') or recipe['input_size'],
                num_segments=recipe.get('num_segments'), new_length=recipe.get('new_length'),
                new_step=recipe.get('new_step'))


def training_config(setup, head, lr, seed, out_dir):
    """The :class:`~gluon_dfb.engine.config.TrainConfig` of one fine-tuning run."""
    recipe = setup['recipe']
    return TrainConfig(
        model=setup['model'], head=head, num_classes=setup['nclass'],
        train_list=setup['data']['train'], data_root=setup['data']['root'],
        frame_pattern=setup['data'].get('frame_pattern'), pretrained_base=setup['trunk'],
        batch_size=recipe['batch_size'], epochs=recipe['epochs'], lr=lr,
        lr_steps=list(recipe['lr_steps']), clip_grad=recipe.get('clip_grad', 0.0),
        num_workers=0, save_frequency=recipe['epochs'],
        gpus=list(recipe.get('gpus', [])), dtype=recipe.get('dtype', 'float32'),
        seed=seed, out_dir=out_dir, **sampling(setup))


def _run_dir(setup, kind, head, lr, seed):
    return os.path.join(setup['out'], kind, head, 'lr%g' % lr, 'seed%d' % seed)


def _finished(run_dir, inputs):
    """The kept result of a run of the same ``inputs``, marked ``kept`` (else None: run
    it)."""
    path = os.path.join(run_dir, 'result.json')
    if os.path.exists(path):
        with open(path) as f:
            result = json.load(f)
        if result.get('inputs') == inputs:
            return dict(result, kept=True)
    return None


def _keep(run_dir, result):
    with open(os.path.join(run_dir, 'result.json.tmp'), 'w') as f:
        json.dump(result, f, indent=1)
    os.replace(os.path.join(run_dir, 'result.json.tmp'), os.path.join(run_dir, 'result.json'))
    return result


def finetune_run(job):
    """Fine-tune one (head, learning rate, seed) from the pretrained trunk and test its
    last weights on the validation and test splits ('1clip' protocol; only those of
    ``setup['eval_splits']`` if given). Returns ``{'val': figures, 'test': figures,
    'run_dir': ..., 'params': ...}``."""
    setup, head, lr, seed = job
    run_dir = _run_dir(setup, 'finetune', head, lr, seed)
    inputs = dict(setup['key'], head=head, lr=lr, seed=seed,
                  splits=list(setup.get('eval_splits', ('val', 'test'))))
    done = _finished(run_dir, inputs)
    if done:
        return done
    shutil.rmtree(run_dir, ignore_errors=True)  # no checkpoint of another run is resumed
    os.makedirs(run_dir)
    start = time.time()
    with open(os.path.join(run_dir, 'console.txt'), 'w') as console, \
            contextlib.redirect_stderr(console):
        try:
            train(training_config(setup, head, lr, seed, run_dir))
        except TrainingDiverged as err:
            return _keep(run_dir, _diverged(setup, inputs, run_dir, err, start))
        params = latest_checkpoint(run_dir) + '.params'
        result = {'inputs': inputs, 'run_dir': run_dir, 'params': params}
        for split in setup.get('eval_splits', ('val', 'test')):
            probabilities, labels, paths, _ = evaluate_list(EvalConfig(
                model=setup['model'], params=params, num_classes=setup['nclass'], head=head,
                test_list=setup['data'][split], data_root=setup['data']['root'],
                frame_pattern=setup['data'].get('frame_pattern'), protocol='1clip',
                gpus=list(setup['recipe'].get('gpus', [])), num_workers=0, **sampling(setup)))
            path = os.path.join(run_dir, '%s_predictions.npz' % split)
            save_predictions(path, probabilities, labels, paths, setup['classes'], '1clip',
                             head)
            result[split] = figures(probabilities, labels, setup['group_of'])
            result[split]['predictions'] = path
    result['seconds'] = round(time.time() - start, 1)  # training and testing, one thread
    return _keep(run_dir, result)


def _diverged(setup, inputs, run_dir, err, start):
    """The result of a run whose training diverged: it predicts nothing, so each split is
    scored as uniform probabilities (chance; a rate is never chosen for it over a run
    that learned anything), and ``diverged`` says where it stopped."""
    logger.warning('%s lr %g seed %d: %s; scored as chance', inputs['head'], inputs['lr'],
                   inputs['seed'], err)
    result = {'inputs': inputs, 'run_dir': run_dir, 'params': None, 'diverged': str(err)}
    for split in setup.get('eval_splits', ('val', 'test')):
        records = read_video_list(setup['data'][split])
        labels = np.array([r.label for r in records])
        probabilities = np.full((len(labels), setup['nclass']), 1.0 / setup['nclass'])
        path = os.path.join(run_dir, '%s_predictions.npz' % split)
        save_predictions(path, probabilities, labels, [r.path for r in records],
                         setup['classes'], '1clip', inputs['head'])
        result[split] = dict(figures(probabilities, labels, setup['group_of']),
                             predictions=path)
    result['seconds'] = round(time.time() - start, 1)
    return result


def probe_run(job):
    """Train one (head, learning rate, seed) on the cached stage-4 features of the frozen
    pretrained trunk, and score the validation and test splits."""
    setup, head, lr, seed = job
    run_dir = _run_dir(setup, 'probe', head, lr, seed)
    inputs = dict(setup['key'], head=head, lr=lr, seed=seed)
    done = _finished(run_dir, inputs)
    if done:
        return done
    os.makedirs(run_dir, exist_ok=True)
    recipe = setup['probe']
    mx.random.seed(seed)  # the fresh layers' initial weights are the seed's, not the worker's
    net = get_model(setup['model'], nclass=setup['nclass'], head=head,
                    num_segments=setup['recipe']['num_segments'],
                    pretrained_base=setup['trunk'])
    with np.load(setup['features']) as cached:
        features = {k: cached[k] for k in cached.files}
    losses = train_head(net, features['train_features'], features['train_labels'], lr,
                        recipe['epochs'], batch_size=setup['recipe']['batch_size'], seed=seed,
                        lr_steps=recipe['lr_steps'])
    result = {'inputs': inputs, 'run_dir': run_dir, 'train_loss': losses}
    for split in ('val', 'test'):
        probabilities = head_probabilities(net, features[split + '_features'])
        result[split] = figures(probabilities, features[split + '_labels'],
                                setup['group_of'])
    return _keep(run_dir, result)


def run_all(run, jobs, processes, desc):
    """``run(job)`` for every job, ``processes`` at a time, each worker on one thread
    (on 2 cores two one-thread runs do about twice the work of one two-thread run); one
    process runs them here, one after the other. Logs a line per finished run with the
    time left for the jobs (from the runs trained so far). Returns the results in the
    order of ``jobs``."""
    progress = _Progress(jobs, desc, processes)
    if processes <= 1:
        return [progress.done(job, run(job)) for job in jobs]
    threads = {k: os.environ.get(k) for k in ('OMP_NUM_THREADS', 'MXNET_CPU_WORKER_NTHREADS')}
    os.environ.update(dict.fromkeys(threads, '1'))  # read by the workers' MXNet at start
    try:
        pool = multiprocessing.get_context('spawn').Pool(processes, _thread_lock_for_tqdm)
    finally:
        for key, value in threads.items():
            if value is None:
                del os.environ[key]
            else:
                os.environ[key] = value
    with pool:
        pending = [pool.apply_async(run, (job,)) for job in jobs]
        return [progress.done(job, p.get()) for job, p in zip(jobs, pending)]


def _thread_lock_for_tqdm():
    """A worker's progress bars share a thread lock: by default tqdm makes a
    multiprocessing lock, a named semaphore that the worker leaves to the resource tracker
    when the pool ends it, which then warns of a leak as the command exits."""
    tqdm.set_lock(threading.RLock())


class _Progress(object):
    """The progress line of :func:`run_all`: runs done, and the time left at the pace of
    the runs trained so far (runs kept from an earlier invocation take none), ``processes``
    of them at a time: the runs trained so far took ``ceil(trained / processes)`` turns."""

    def __init__(self, jobs, desc, processes=1):
        self.total, self.desc, self.start = len(jobs), desc, time.time()
        self.processes = max(1, min(processes, len(jobs)))
        self.finished = self.trained = 0

    def done(self, job, result):
        """Count ``job`` as done with ``result`` and log the progress line."""
        self.finished += 1
        self.trained += not result.get('kept')
        logger.info('%s: %d of %d runs done (%s lr %g seed %d%s); about %s left', self.desc,
                    self.finished, self.total, job[1], job[2], job[3],
                    ', kept' if result.get('kept') else '', _minutes(self.seconds_left()))
        return result

    def seconds_left(self):
        """The turns left (``processes`` runs each) times the time a turn has taken; the
        runs of this turn still going started with it, and end about now."""
        if not self.trained:
            return 0.0
        turn = (time.time() - self.start) / math.ceil(self.trained / self.processes)
        going = -self.trained % self.processes
        return math.ceil(max(0, self.total - self.finished - going) / self.processes) * turn


def _minutes(seconds):
    return '%d min' % round(seconds / 60) if seconds >= 90 else '%d s' % round(seconds)
