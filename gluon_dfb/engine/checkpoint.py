"""Crash-safe checkpoints: written to a temporary name then renamed, the last K and the
best kept; a checkpoint is complete when its ``.json`` exists (written last). Each holds
the options of the run that made it, so that a resume can refuse other ones."""
import errno
import glob
import json
import logging
import os

import mxnet as mx

from ..errors import UserError, error_summary
from ..outputs import strict_json

__all__ = ['save_checkpoint', 'save_best', 'best_score', 'latest_checkpoint',
           'complete_checkpoints', 'checkpoint_options', 'load_checkpoint',
           'load_newest_checkpoint', 'remove_temporaries', 'save_params', 'write_json']

logger = logging.getLogger(__name__)
_TEMPORARY = '.tmp'


def _write_json(obj):
    def write(path):
        with open(path, 'w') as f:
            json.dump(strict_json(obj), f, indent=1)
    return write


def _atomic(path, write):
    """``write(tmp)``, then rename to ``path``; a failed write leaves no temporary and
    names the file (and a full disk as the cause)."""
    tmp = '%s%s%d' % (path, _TEMPORARY, os.getpid())
    try:
        write(tmp)
        os.replace(tmp, path)
    except Exception as err:
        if os.path.exists(tmp):
            os.remove(tmp)
        full = (getattr(err, 'errno', None) == errno.ENOSPC or
                'Write incomplete' in str(err))  # MXNet's words for a short write
        raise UserError('cannot write %s: %s' % (
            path, 'the disk is full' if full else error_summary(err))) from err


def write_json(path, obj):
    """Write ``obj`` to ``path`` as JSON (NaN and infinities as null), atomically."""
    _atomic(path, _write_json(obj))


def remove_temporaries(out_dir):
    """Remove the temporary files that an interrupted save of a run in ``out_dir`` left;
    returns their paths."""
    stale = [p for p in glob.glob(os.path.join(out_dir, '*%s*' % _TEMPORARY))
             if os.path.isfile(p)]
    for path in stale:
        os.remove(path)
    return stale


def save_params(path, net):
    """Write ``net``'s parameters to ``path`` atomically, once every pending operation
    has ended.

    MXNet 1.9.1 checks a weight's oneDNN layout before it waits for the weight: a save
    that follows an inference forward pass (whose weight reorders are asynchronous) can
    write a half-reordered array. Waiting first closes that race.
    """
    mx.nd.waitall()
    _atomic(path, net.save_parameters)


def save_checkpoint(out_dir, epoch, net, trainer, keep=3, options=None):
    """Write ``epoch-NNNN.{params,states,json}`` (the json, last, marks it complete, and
    holds ``options``) and remove all but the ``keep`` newest."""
    stem = os.path.join(out_dir, 'epoch-%04d' % epoch)
    save_params(stem + '.params', net)
    _atomic(stem + '.states', trainer.save_states)
    write_json(stem + '.json', {'epoch': epoch, 'options': options})
    for old in complete_checkpoints(out_dir)[:-keep]:
        for ext in ('.json', '.params', '.states'):  # json first: never a half checkpoint
            if os.path.exists(old + ext):
                os.remove(old + ext)


def save_best(out_dir, epoch, net, score):
    """Write ``best.params`` and ``best.json`` (its epoch and score)."""
    save_params(os.path.join(out_dir, 'best.params'), net)
    write_json(os.path.join(out_dir, 'best.json'), {'epoch': epoch, 'best': score})


def best_score(out_dir):
    """Score of ``best.params`` in ``out_dir`` (-1 if there is none)."""
    path = os.path.join(out_dir, 'best.json')
    if not os.path.exists(path):
        return -1.0
    with open(path) as f:
        return json.load(f)['best']


def complete_checkpoints(out_dir):
    """Stems of the complete checkpoints in ``out_dir``, oldest first."""
    stems = [p[:-len('.json')] for p in glob.glob(os.path.join(out_dir, 'epoch-*.json'))]
    return sorted(s for s in stems if os.path.exists(s + '.params')
                  and os.path.exists(s + '.states'))


def latest_checkpoint(out_dir):
    """Stem of the newest complete checkpoint in ``out_dir``, or None."""
    stems = complete_checkpoints(out_dir)
    return stems[-1] if stems else None


def checkpoint_options(stem):
    """The options saved with a checkpoint (None for one made before they were)."""
    with open(stem + '.json') as f:
        return json.load(f).get('options')


def load_checkpoint(stem, net, trainer, ctx):
    """Restore parameters and trainer states; returns the checkpoint's epoch."""
    net.load_parameters(stem + '.params', ctx=ctx)
    trainer.load_states(stem + '.states')
    with open(stem + '.json') as f:
        return json.load(f)['epoch']


def load_newest_checkpoint(out_dir, net, trainer, ctx):
    """Restore the newest complete checkpoint of ``out_dir`` that loads, saying which
    were passed over and why; returns ``(stem, epoch)``, or ``(None, None)`` if none
    loads."""
    for stem in reversed(complete_checkpoints(out_dir)):
        try:
            return stem, load_checkpoint(stem, net, trainer, ctx)
        except Exception as err:  # MXNetError, ValueError, OSError: a damaged file
            logger.warning('%s cannot be loaded (%s): trying the checkpoint before it',
                           stem, error_summary(err))
    return None, None
