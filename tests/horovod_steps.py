"""Run by ``horovodrun`` from test_distributed.py (also alone, as one process): K
training steps of a small network on random clips, each worker on its part of the
sampler's order; saves ``rank<R>.params`` and the indices it used. BatchNorm is
frozen, or with ``--sync-bn`` synchronised over the workers (plain BatchNorm in a
single process: the oracle). ``--float64`` runs the network and the data in float64.

    python tests/horovod_steps.py OUT_DIR STEPS BATCH LR LR_WORKERS [--use-horovod] [--sync-bn]
        [--float64]

The learning rate is the engine's rule on base LR for LR_WORKERS workers (a single process
standing for two workers' union batch passes 2).
"""
import json
import os
import sys

import mxnet as mx
import numpy as np

from gluon_dfb import get_model
from gluon_dfb.data.sampler import ShardedShuffleSampler
from gluon_dfb.engine.config import TrainConfig
from gluon_dfb.engine.distributed import Workers
from gluon_dfb.engine.train import learning_rate, make_trainer, train_step
from gluon_dfb.nn import DFBLoss, freeze_batch_norm, synchronise_batch_norm

LENGTH, NCLASS, SHAPE = 24, 4, (3, 32, 32)


def clips():
    """The data set: LENGTH random frames and labels, the same in every process."""
    rng = np.random.RandomState(7)
    return rng.normal(size=(LENGTH,) + SHAPE).astype('float32'), rng.randint(0, NCLASS, LENGTH)


def main(out_dir, steps, batch, lr, lr_workers, use_horovod, sync_bn, dtype):
    workers = Workers(use_horovod)
    mx.random.seed(0)
    net = get_model('tsn_resnet18_dfb_custom', nclass=NCLASS, num_segments=1, dropout=0)
    net.cast(dtype)
    if not sync_bn:
        freeze_batch_norm(net)
    elif use_horovod:
        synchronise_batch_norm(net, workers.hvd)
    net.all_outputs(mx.nd.zeros((1,) + SHAPE, dtype=dtype))
    if workers.rank > 0:  # a different init: the broadcast must replace it
        for param in net.collect_params().values():
            param.set_data(param.data() + 1)
    workers.broadcast_parameters(net.collect_params())
    if workers.rank == 0:
        net.save_parameters(os.path.join(out_dir, 'init.params'))
    args = TrainConfig(train_list='random clips', model='tsn_resnet18_dfb_custom', lr=lr,
                       momentum=0.9, wd=1e-4, lr_steps=[])
    trainer = make_trainer(net.collect_params(), args, workers)
    trainer.set_learning_rate(learning_rate(args, 0, lr_workers))
    sampler = ShardedShuffleSampler(LENGTH, seed=3, num_parts=workers.size, part=workers.rank)
    order = list(sampler)
    x, y = clips()
    used = []
    for step in range(steps):
        index = order[step * batch:(step + 1) * batch]
        used += index
        train_step(net, mx.nd.array(x[index], dtype=dtype), mx.nd.array(y[index]), trainer,
                   DFBLoss())
    net.save_parameters(os.path.join(out_dir, 'rank%d.params' % workers.rank))
    with open(os.path.join(out_dir, 'rank%d.json' % workers.rank), 'w') as f:
        json.dump(used, f)


if __name__ == '__main__':
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]),
         '--use-horovod' in sys.argv, '--sync-bn' in sys.argv,
         'float64' if '--float64' in sys.argv else 'float32')
