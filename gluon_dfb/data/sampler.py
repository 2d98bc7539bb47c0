"""Epoch-seeded shuffling, optionally sharded across distributed workers."""
import numpy as np
from mxnet.gluon.data import Sampler

__all__ = ['ShardedShuffleSampler']


class ShardedShuffleSampler(Sampler):
    """Shuffle ``length`` indices with a permutation drawn from ``(seed, epoch)``, and
    yield part ``part`` of ``num_parts`` of it (every part the same size, padded by
    wrapping around, so that workers take the same number of steps).

    The order depends only on the seed and the epoch (:meth:`set_epoch`), so a resumed
    run and every worker see the same permutation.
    """

    def __init__(self, length, seed=0, num_parts=1, part=0, shuffle=True):
        self.length, self.seed, self.shuffle = length, seed, shuffle
        self.num_parts, self.part, self.epoch = num_parts, part, 0

    def set_epoch(self, epoch):
        """Select the epoch whose permutation to yield."""
        self.epoch = epoch

    def __len__(self):
        return -(-self.length // self.num_parts)

    def __iter__(self):
        order = np.arange(self.length)
        if self.shuffle:
            order = np.random.RandomState([self.seed, self.epoch]).permutation(self.length)
        padded = np.resize(order, len(self) * self.num_parts)
        return iter(padded[self.part::self.num_parts].tolist())
