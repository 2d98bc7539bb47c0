"""The multi-branch training loss (paper sec. 3)."""
from mxnet.gluon.loss import Loss, SoftmaxCrossEntropyLoss

__all__ = ['DFBLoss']


class DFBLoss(Loss):
    r"""Sum of softmax cross-entropies, one per network output.

    For the full model the outputs are ``(z_comb, z_avg, z_xchannel, z_max)`` and
    ``L = CE(z_comb) + CE(z_avg) + CE(z_xchannel) + CE(z_max)``; for the GB baseline
    the single output ``(z_avg,)`` gives ``CE(z_avg)``.

    Parameters
    ----------
    weight : float, optional
        Global scalar weight of every term (and so of the total), as in Gluon's losses.
    batch_axis : int, default 0
        The axis of the logits and labels that holds the samples.

    Inputs: ``outputs``, a tuple of ``(B, C)`` logits; ``label`` ``(B,)``.
    Outputs: the total loss ``(B,)`` and the list of the per-output losses.
    """

    def __init__(self, weight=None, batch_axis=0, **kwargs):
        super(DFBLoss, self).__init__(weight, batch_axis, **kwargs)
        self.cross_entropy = SoftmaxCrossEntropyLoss(weight=weight, batch_axis=batch_axis)

    def hybrid_forward(self, F, outputs, label):
        terms = [self.cross_entropy(z, label) for z in outputs]
        return F.add_n(*terms), terms
