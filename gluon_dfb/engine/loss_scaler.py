"""Dynamic loss scaling for float16 training."""
import logging

import mxnet as mx
import numpy as np

__all__ = ['DynamicLossScaler']

logger = logging.getLogger(__name__)


class DynamicLossScaler(object):
    """Multiply the loss by ``scale`` before backward so small float16 gradients do not
    flush to zero; a step whose gradients overflow is skipped and the scale divided by
    ``factor``; after ``window`` good steps in a row the scale is multiplied by it.

    Parameters
    ----------
    scale : float, default 2**15
    factor : float, default 2
    window : int, default 2000
    """

    def __init__(self, scale=2.0 ** 15, factor=2.0, window=2000):
        self.scale, self.factor, self.window = scale, factor, window
        self.good_steps = 0
        self.skipped = 0
        self.gave_up = False  # gradients overflowed at the lowest scale, 1

    @staticmethod
    def has_overflow(grads):
        """Whether any gradient holds an inf or a NaN."""
        total = mx.nd.add_n(*[g.astype('float32').abs().sum() for g in grads])
        return not np.isfinite(total.asscalar())

    def update(self, overflow):
        """Adapt the scale after a step; returns ``overflow``."""
        if overflow:
            self.gave_up = self.gave_up or self.scale <= 1.0
            self.skipped += 1
            self.good_steps = 0
            self.scale = max(1.0, self.scale / self.factor)
            logger.warning('float16 gradients overflowed: step skipped, loss scale lowered '
                           'to %g', self.scale)
        else:
            self.good_steps += 1
            if self.good_steps >= self.window:
                self.scale *= self.factor
                self.good_steps = 0
        return overflow
