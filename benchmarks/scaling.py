"""Training throughput, one worker against two Horovod workers (CPU), and on a GPU
float32 against float16, in one run each.

    python benchmarks/scaling.py [--steps 10]          # 1 vs 2 Gloo workers, this machine
    python benchmarks/scaling.py --gpu [--steps 10]    # 1 GPU: float32 vs float16

CPU: tsn_resnet18_dfb at 3x64x64, 8 frames per worker and step. GPU: i3d_resnet50_dfb
at 32x224x224 (paper sec. 4.2), 4 clips per step. Random inputs (no decoding), the
engine's ``train_step``; prints clips per second of each side and the ratio.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from types import SimpleNamespace

import mxnet as mx
import numpy as np

from gluon_dfb import get_model
from gluon_dfb.engine.distributed import Workers
from gluon_dfb.engine.loss_scaler import DynamicLossScaler
from gluon_dfb.engine.train import make_trainer, train_step
from gluon_dfb.nn import DFBLoss

CPU_MODEL, CPU_SHAPE, CPU_BATCH = 'tsn_resnet18_dfb_custom', (3, 64, 64), 8
GPU_MODEL, GPU_SHAPE, GPU_BATCH = 'i3d_resnet50_dfb_kinetics400', (3, 32, 224, 224), 4


def clips_per_second(model, shape, batch, steps, ctx, dtype='float32', workers=None):
    """Timed training steps (after 2 warm-up steps) on random clips; clips/s of all
    workers together."""
    workers = workers or Workers()
    net = get_model(model, nclass=10, num_segments=1, ctx=ctx)
    x = mx.nd.random.normal(shape=(batch,) + shape, ctx=ctx, dtype=dtype)
    y = mx.nd.array(np.arange(batch) % 10, ctx=ctx)
    net.all_outputs(x.astype('float32'))
    if dtype == 'float16':
        net.cast('float16')
    workers.broadcast_parameters(net.collect_params())
    trainer = make_trainer(net.collect_params(), SimpleNamespace(
        lr=0.001, momentum=0.9, wd=1e-4, dtype=dtype), workers)
    scaler = DynamicLossScaler() if dtype == 'float16' else None
    for step in range(steps + 2):
        if step == 2:
            mx.nd.waitall()
            start = time.perf_counter()
        train_step(net, x, y, trainer, DFBLoss(), scaler)
    mx.nd.waitall()
    return batch * steps * workers.size / (time.perf_counter() - start)


def run_workers(steps, count):
    """clips/s of ``count`` CPU workers, each in its own process (horovodrun for 2)."""
    command = [sys.executable, __file__, '--worker', '--steps', str(steps)]
    if count > 1:
        horovodrun = os.path.join(os.path.dirname(sys.executable), 'horovodrun')
        command = [horovodrun, '--gloo', '-np', str(count), '-H', 'localhost:%d' % count] + \
            command + ['--use-horovod']
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    line = next(l for l in output.splitlines() if 'clips_per_s' in l)  # rank 0's
    return json.loads(line[line.index('{'):])['clips_per_s']


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--gpu', action='store_true')
    parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--use-horovod', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        workers = Workers(args.use_horovod)
        rate = clips_per_second(CPU_MODEL, CPU_SHAPE, CPU_BATCH, args.steps, mx.cpu(),
                                workers=workers)
        if workers.is_root:
            print(json.dumps({'clips_per_s': rate}))
        return
    if args.gpu:
        rates = {dtype: clips_per_second(GPU_MODEL, GPU_SHAPE, GPU_BATCH, args.steps,
                                         mx.gpu(0), dtype) for dtype in ('float32', 'float16')}
        print('%s, %s x %d clips a step, 1 GPU' % (GPU_MODEL, 'x'.join(map(str, GPU_SHAPE)),
                                                  GPU_BATCH))
        for dtype, rate in rates.items():
            print('  %-8s %.2f clips/s' % (dtype, rate))
        print('float16 / float32: %.2fx' % (rates['float16'] / rates['float32']))
        return
    one, two = run_workers(args.steps, 1), run_workers(args.steps, 2)
    print('%s, %s x %d frames a step per worker, %d CPU cores' % (
        CPU_MODEL, 'x'.join(map(str, CPU_SHAPE)), CPU_BATCH, os.cpu_count()))
    print('  1 worker   %.2f clips/s' % one)
    print('  2 workers  %.2f clips/s' % two)
    print('2 workers / 1 worker: %.2fx' % (two / one))


if __name__ == '__main__':
    main()
