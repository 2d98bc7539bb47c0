"""Batch normalisation for 5D video features that trains on MXNet's CPU backend."""
from mxnet.gluon import nn

__all__ = ['BatchNorm3D', 'freeze_batch_norm']


class BatchNorm3D(nn.BatchNorm):
    """BatchNorm over (N, C, T, H, W) applied through a 4D view (N, C, T*W, H) of the
    same memory (every element of a channel stays in that channel's slice).

    The per-channel statistics are those of :class:`mxnet.gluon.nn.BatchNorm` on the
    5D tensor; the view avoids oneDNN's ``Check failed: !is_view`` in the backward of
    a 5D BatchNorm that follows a ``Conv3D`` on CPU. Parameter names are those of
    ``BatchNorm``, so GluonCV checkpoints load unchanged.
    """

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        flat = F.reshape(x, shape=(0, 0, -1, 0))  # 0 and -1 only: ONNX can export it
        out = super(BatchNorm3D, self).hybrid_forward(
            F, flat, gamma, beta, running_mean, running_var)
        return F.reshape_like(out, x)


def freeze_batch_norm(net):
    """Make every BatchNorm of ``net`` normalise with its running statistics in
    training too (``use_global_stats``), e.g. for per-worker batches too small for
    batch statistics; the scale and shift still train. Returns the number frozen."""
    frozen = []

    def freeze(block):
        if isinstance(block, nn.BatchNorm):
            block._kwargs['use_global_stats'] = True
            frozen.append(block)
    net.apply(freeze)
    return len(frozen)
