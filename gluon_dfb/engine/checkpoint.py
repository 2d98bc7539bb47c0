"""Crash-safe checkpoints: written to a temporary name then renamed, the last K and the
best kept; a checkpoint is complete when its ``.json`` exists (written last)."""
import glob
import json
import os

__all__ = ['save_checkpoint', 'save_best', 'best_score', 'latest_checkpoint', 'load_checkpoint']


def _write_json(obj):
    def write(path):
        with open(path, 'w') as f:
            json.dump(obj, f, indent=1)
    return write


def _atomic(path, write):
    tmp = '%s.tmp%d' % (path, os.getpid())
    write(tmp)
    os.replace(tmp, path)


def save_checkpoint(out_dir, epoch, net, trainer, keep=3):
    """Write ``epoch-NNNN.{params,states,json}`` (the json, last, marks it complete) and
    remove all but the ``keep`` newest."""
    stem = os.path.join(out_dir, 'epoch-%04d' % epoch)
    _atomic(stem + '.params', net.save_parameters)
    _atomic(stem + '.states', trainer.save_states)
    _atomic(stem + '.json', _write_json({'epoch': epoch}))
    for old in _complete(out_dir)[:-keep]:
        for ext in ('.json', '.params', '.states'):  # json first: never a half checkpoint
            if os.path.exists(old + ext):
                os.remove(old + ext)


def save_best(out_dir, epoch, net, score):
    """Write ``best.params`` and ``best.json`` (its epoch and score)."""
    _atomic(os.path.join(out_dir, 'best.params'), net.save_parameters)
    _atomic(os.path.join(out_dir, 'best.json'), _write_json({'epoch': epoch, 'best': score}))


def best_score(out_dir):
    """Score of ``best.params`` in ``out_dir`` (-1 if there is none)."""
    path = os.path.join(out_dir, 'best.json')
    if not os.path.exists(path):
        return -1.0
    with open(path) as f:
        return json.load(f)['best']


def _complete(out_dir):
    stems = [p[:-len('.json')] for p in glob.glob(os.path.join(out_dir, 'epoch-*.json'))]
    return sorted(s for s in stems if os.path.exists(s + '.params')
                  and os.path.exists(s + '.states'))


def latest_checkpoint(out_dir):
    """Stem of the newest complete checkpoint in ``out_dir``, or None."""
    stems = _complete(out_dir)
    return stems[-1] if stems else None


def load_checkpoint(stem, net, trainer, ctx):
    """Restore parameters and trainer states; returns the checkpoint's epoch."""
    net.load_parameters(stem + '.params', ctx=ctx)
    trainer.load_states(stem + '.states')
    with open(stem + '.json') as f:
        return json.load(f)['epoch']
