"""Cost of the DFB head: forward+backward time and multiply-adds of
i3d_resnet50_dfb_kinetics400 against i3d_resnet50_gb_kinetics400 and GluonCV's
i3d_resnet50_v1_kinetics400, on one 3x16x224x224 clip, CPU, hybridized, interleaved.

    python benchmarks/head_overhead.py [--repeats 5]

Prints both DFB/GB ratios (time and multiply-adds) and where the head's time goes.
GluonCV's I3D cannot run backward on MXNet's CPU backend (5D BatchNorm after Conv3D,
see DESIGN.md), so it is timed forward only.
"""
import argparse
import os
import sys
import time

import mxnet as mx
import numpy as np
from mxnet import autograd
from gluoncv.model_zoo.action_recognition.i3d_resnet import i3d_resnet50_v1_kinetics400

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from macs import count_macs  # noqa: E402
from gluon_dfb import get_model  # noqa: E402

SHAPE = (1, 3, 16, 224, 224)


def fwd_bwd(block, x):
    """One forward+backward of ``block`` (gradient of the sum of its outputs), synced."""
    with autograd.record():
        out = block(x)
        out = out if isinstance(out, (list, tuple)) else [out]
        total = sum(o.sum() for o in out)
    total.backward()
    mx.nd.waitall()


def fwd(block, x):
    """One inference forward, synced."""
    block(x).wait_to_read()


def timed(fn, *args):
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--repeats', type=int, default=5)
    args = parser.parse_args()

    x = mx.nd.array(np.random.RandomState(0).uniform(-1, 1, SHAPE))
    dfb = get_model('i3d_resnet50_dfb_kinetics400')
    gb = get_model('i3d_resnet50_gb_kinetics400')
    gluoncv = i3d_resnet50_v1_kinetics400(pretrained=False, pretrained_base=False)
    for net in (dfb, gb, gluoncv):
        net.hybridize(static_alloc=True, static_shape=True)
        fwd(net, x)
    for net in (dfb, gb):
        fwd_bwd(net, x)
    macs = {name: sum(count_macs(net, SHAPE).values())
            for name, net in (('dfb', dfb), ('gb', gb), ('gluoncv', gluoncv))}

    # the head's parts on their real inputs
    f4 = dfb.stage4(mx.nd, x)
    s = dfb.local_branch(f4)
    parts = {'local stage 5': (dfb.local_branch.stage, f4),
             'local branch (stage 5 + upsample + skip)': (dfb.local_branch, f4),
             'filter bank (conv, max pool, dense)': (dfb.filter_bank, s)}
    for block, inp in parts.values():
        block.hybridize(static_alloc=True, static_shape=True)
        inp.attach_grad()
        fwd_bwd(block, inp)

    times = {k: [] for k in ['dfb', 'gb', 'gluoncv_fwd', 'dfb_fwd', 'gb_fwd'] + list(parts)}
    for _ in range(args.repeats):  # interleaved, so drifts of the machine hit all alike
        times['dfb'].append(timed(fwd_bwd, dfb, x))
        times['gb'].append(timed(fwd_bwd, gb, x))
        times['dfb_fwd'].append(timed(fwd, dfb, x))
        times['gb_fwd'].append(timed(fwd, gb, x))
        times['gluoncv_fwd'].append(timed(fwd, gluoncv, x))
        for name, (block, inp) in parts.items():
            times[name].append(timed(fwd_bwd, block, inp))
    t = {k: float(np.median(v)) for k, v in times.items()}

    print('input %s, %d CPU threads, median of %d interleaved runs'
          % ('x'.join(map(str, SHAPE)), mx.context.num_gpus() or os.cpu_count(), args.repeats))
    print('%-34s %10s %12s %10s' % ('network', 'GMACs', 'fwd+bwd s', 'fwd s'))
    print('%-34s %10.2f %12.3f %10.3f' % ('i3d_resnet50_dfb_kinetics400', macs['dfb'] / 1e9,
                                          t['dfb'], t['dfb_fwd']))
    print('%-34s %10.2f %12.3f %10.3f' % ('i3d_resnet50_gb_kinetics400', macs['gb'] / 1e9,
                                          t['gb'], t['gb_fwd']))
    print('%-34s %10.2f %12s %10.3f' % ('gluoncv i3d_resnet50_v1 (pool2)', macs['gluoncv'] / 1e9,
                                        'n/a', t['gluoncv_fwd']))
    mac_ratio = macs['dfb'] / macs['gb']
    time_ratio = t['dfb'] / t['gb']
    print('DFB/GB multiply-add ratio: %.3f' % mac_ratio)
    print('DFB/GB fwd+bwd time ratio: %.3f  (forward only: %.3f)'
          % (time_ratio, t['dfb_fwd'] / t['gb_fwd']))
    print('time ratio / multiply-add ratio: %.3f (target <= 1.10: %s)'
          % (time_ratio / mac_ratio, 'met' if time_ratio / mac_ratio <= 1.10 else 'MISSED'))
    print('GB/GluonCV forward time ratio: %.3f, multiply-add ratio: %.3f'
          % (t['gb_fwd'] / t['gluoncv_fwd'], macs['gb'] / macs['gluoncv']))
    local, branch, bank = (t[k] for k in parts)
    print('where the DFB fwd+bwd time goes:')
    split = [('trunk + global branch (the GB net)', t['gb']),
             ('local stage 5', local),
             ('upsample + skip + ReLU', branch - local),
             ('filter bank', bank),
             ('unaccounted (DFB - sum of parts)', t['dfb'] - t['gb'] - branch - bank)]
    for name, seconds in split:
        print('  %-36s %8.3f s  %5.1f%%' % (name, seconds, 100 * seconds / t['dfb']))


if __name__ == '__main__':
    main()
