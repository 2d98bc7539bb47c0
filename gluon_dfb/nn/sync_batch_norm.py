"""BatchNorm whose batch statistics are those of all data-parallel workers together."""
from mxnet import autograd
from mxnet.gluon import nn

from .batch_norm import BatchNorm3D

__all__ = ['SyncBatchNorm', 'synchronise_batch_norm']


class _AllreduceSum(autograd.Function):
    """Sum over the workers; its gradient is the sum of the workers' gradients."""

    def __init__(self, hvd, name):
        super(_AllreduceSum, self).__init__()
        self.hvd, self.name = hvd, name

    def forward(self, x):
        return self.hvd.allreduce(x, average=False, name=self.name)

    def backward(self, dy):
        return self.hvd.allreduce(dy, average=False, name=self.name + '.grad')


class SyncBatchNorm(BatchNorm3D):
    """:class:`mxnet.gluon.nn.BatchNorm` (2D or 3D features) that normalises with the
    mean and variance of the union of all Horovod workers' batches in training, and
    back-propagates through them, so that training equals one process on the union.

    Imperative only (training is not hybridized); inference and ``use_global_stats``
    use the running statistics as BatchNorm does. Made by :func:`synchronise_batch_norm`
    from the layers of a built network (same parameters).
    """

    hvd = None  # horovod.mxnet, set by synchronise_batch_norm

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        if not autograd.is_training() or self._kwargs['use_global_stats']:
            return super(SyncBatchNorm, self).hybrid_forward(
                F, x, gamma, beta, running_mean, running_var)
        axes = tuple(a for a in range(x.ndim) if a != 1)
        shape = (1, -1) + (1,) * (x.ndim - 2)
        count = _AllreduceSum(self.hvd, self.name + '.count')(
            F.ones((1,), ctx=x.context, dtype=x.dtype) * (x.size // x.shape[1]))
        mean = _AllreduceSum(self.hvd, self.name + '.sum')(x.sum(axis=axes)) / count
        centred = x - mean.reshape(shape)
        var = _AllreduceSum(self.hvd, self.name + '.sq')((centred ** 2).sum(axis=axes)) / count
        out = centred / F.sqrt(var.reshape(shape) + self._kwargs['eps'])
        with autograd.pause():
            momentum = self._kwargs['momentum']
            running_mean[:] = momentum * running_mean + (1 - momentum) * mean
            running_var[:] = momentum * running_var + (1 - momentum) * var
        return out * gamma.reshape(shape) + beta.reshape(shape)


def synchronise_batch_norm(net, hvd):
    """Turn every BatchNorm of ``net`` into a :class:`SyncBatchNorm` over the workers
    of ``hvd`` (``horovod.mxnet``, initialised). Returns the number of layers."""
    SyncBatchNorm.hvd = hvd
    synced = []

    def synchronise(block):
        if isinstance(block, nn.BatchNorm):
            block.__class__ = SyncBatchNorm
            synced.append(block)
    net.apply(synchronise)
    return len(synced)
