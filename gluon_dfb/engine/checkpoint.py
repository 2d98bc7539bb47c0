"""Crash-safe checkpoints: written to a temporary name then renamed, the last K and the
best kept; a checkpoint is complete when its ``.json`` exists (written last)."""
import glob
import json
import os

__all__ = ['save_checkpoint', 'latest_checkpoint', 'load_checkpoint']


def _write_json(obj):
    def write(path):
        with open(path, 'w') as f:
            json.dump(obj, f, indent=1)
    return write


def _atomic(path, write):
    tmp = '%s.tmp%d' % (path, os.getpid())
    write(tmp)
    os.replace(tmp, path)


def save_checkpoint(out_dir, epoch, net, trainer, state, keep=3, best=False):
    """Write ``epoch-NNNN.{params,states,json}`` (the json, last, marks it complete),
    remove all but the ``keep`` newest, and copy to ``best.*`` if ``best``."""
    stem = os.path.join(out_dir, 'epoch-%04d' % epoch)
    _atomic(stem + '.params', net.save_parameters)
    _atomic(stem + '.states', trainer.save_states)
    state = dict(state, epoch=epoch)
    _atomic(stem + '.json', _write_json(state))
    if best:
        _atomic(os.path.join(out_dir, 'best.params'), net.save_parameters)
        _atomic(os.path.join(out_dir, 'best.json'), _write_json(state))
    for old in _complete(out_dir)[:-keep]:
        for ext in ('.json', '.params', '.states'):  # json first: never a half checkpoint
            if os.path.exists(old + ext):
                os.remove(old + ext)


def _complete(out_dir):
    stems = [p[:-len('.json')] for p in glob.glob(os.path.join(out_dir, 'epoch-*.json'))]
    return sorted(s for s in stems if os.path.exists(s + '.params')
                  and os.path.exists(s + '.states'))


def latest_checkpoint(out_dir):
    """Stem of the newest complete checkpoint in ``out_dir``, or None."""
    stems = _complete(out_dir)
    return stems[-1] if stems else None


def load_checkpoint(stem, net, trainer, ctx):
    """Restore parameters and trainer states; returns the saved state dict."""
    net.load_parameters(stem + '.params', ctx=ctx)
    trainer.load_states(stem + '.states')
    with open(stem + '.json') as f:
        return json.load(f)
