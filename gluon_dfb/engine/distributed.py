"""Data-parallel training on Horovod, or a single process: who this worker is, the
trainer that averages gradients over workers, and reductions of metrics."""
import ctypes

import mxnet as mx
import numpy as np
from mxnet import gluon
from mxnet.base import _LIB, check_call

__all__ = ['Workers', 'HOROVOD_BUILD_HINT']

HOROVOD_BUILD_HINT = ("Horovod built against MXNet is needed for --use-horovod: run "
                      "'make horovod' (the Makefile has the build recipe)")


class Workers(object):
    """The workers of a run: one process, or every process ``horovodrun`` started.

    Parameters
    ----------
    use_horovod : bool
        Initialise Horovod (``hvd.init()``) and work as one of its ranks.

    Attributes
    ----------
    rank, size, local_rank : int
        This worker, the number of workers, this worker's index on its machine.
    """

    def __init__(self, use_horovod=False):
        self.hvd = None
        self.rank, self.size, self.local_rank = 0, 1, 0
        if use_horovod:
            try:
                import horovod.mxnet as hvd
            except ImportError as err:
                raise RuntimeError('%s (%s)' % (HOROVOD_BUILD_HINT, err)) from err
            hvd.init()
            self.hvd = hvd
            self.rank, self.size, self.local_rank = hvd.rank(), hvd.size(), hvd.local_rank()

    @property
    def is_root(self):
        """Whether this worker logs and writes files (rank 0)."""
        return self.rank == 0

    def trainer(self, params, optimizer, optimizer_params):
        """A :class:`gluon.Trainer`, or Horovod's ``DistributedTrainer``, which sums the
        gradients of all workers and divides by ``size``: ``step(batch_size)`` with the
        per-worker batch then averages over the union of the workers' batches."""
        if self.hvd is None:
            return gluon.Trainer(params, optimizer, optimizer_params)

        class Trainer(self.hvd.DistributedTrainer):
            def _allreduce_grads(self):
                to_default_layout([p.list_grad()[0] for p in self._params
                                   if p.grad_req != 'null'])
                super(Trainer, self)._allreduce_grads()
        return Trainer(params, optimizer, optimizer_params)

    def broadcast_parameters(self, params):
        """Give every worker rank 0's parameters (call after they are initialised)."""
        if self.hvd is not None:
            to_default_layout([p.data() for p in params.values()])  # inference caches
            self.hvd.broadcast_parameters(params, root_rank=0)    # oneDNN layouts

    def sum(self, values, name):
        """Element-wise sum of ``values`` (array-like of float) over all workers."""
        values = np.asarray(values, dtype='float64')
        if self.hvd is None:
            return values
        total = self.hvd.allreduce(mx.nd.array(values, dtype='float64'), average=False,
                                   name=name)
        return total.asnumpy()


def to_default_layout(arrays):
    """Convert CPU arrays that oneDNN left in its blocked layout to the plain one, in
    place (MXNet's C API ``MXNDArrayGetData`` does that), because Horovod reads the
    plain layout only ("We can't generate TBlob for MKLDNN data")."""
    on_cpu = [a for a in arrays if a.context.device_type == 'cpu']  # GPU arrays are plain
    if on_cpu:
        mx.nd.waitall()  # an inference pass reorders the weights it reads asynchronously
    pointer = ctypes.c_void_p()
    for array in on_cpu:
        check_call(_LIB.MXNDArrayGetData(array.handle, ctypes.byref(pointer)))
