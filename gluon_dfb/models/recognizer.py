"""What TSN and I3D share: the three-branch classifier over a ResNet trunk (paper fig. 2)."""
from mxnet import autograd, ndarray
from mxnet.gluon import HybridBlock

from ..nn import AverageConsensus, DiscriminativeFilterBank, LocalBranch, freeze_batch_norm

__all__ = ['HEADS', 'Recognizer']

#: Head variants of the ablation (paper table 1): which branches are built.
HEADS = {
    'gb': dict(filter_bank=False, local_branch=False),
    'gb_df': dict(filter_bank=True, local_branch=False),
    'gb_df_lb': dict(filter_bank=True, local_branch=True),
}


class Recognizer(HybridBlock):
    r"""Base of the TSN and I3D networks: global branch, optional filter bank and
    local branch, averaged over segments.

    A subclass builds its trunk, its pretrained stage 5 and its global classifier,
    then calls :meth:`build_head`, and implements ``stage4(F, x)``, ``stage5(f4)``,
    ``global_logits(F, f5)`` and ``trunk_stages()``.

    Outputs: in training mode (``autograd.is_training()``) the tuple
    ``(z_comb, z_avg, z_xchannel, z_max)`` (``(z_avg,)`` for the GB head); in
    inference mode ``z_comb``, the logits to use. The hybridized graph always holds
    all outputs (the number of outputs of a cached graph cannot depend on the mode);
    :meth:`forward` selects.
    """

    ndim = None

    def build_head(self, nclass, head, num_filters, dropout, num_segments, channels4,
                   channels5, make_stage5):
        """Create the consensus, and the filter bank and local branch that ``head`` asks
        for; ``make_stage5()`` returns a fresh stage 5 for the local branch."""
        if head not in HEADS:
            raise ValueError('Unknown head %r; choose one of %s' % (head, sorted(HEADS)))
        self.nclass = nclass
        self.head_name = head
        self.num_segments = num_segments
        parts = HEADS[head]
        self.consensus = AverageConsensus(num_segments)
        self.filter_bank = None
        self.local_branch = None
        if parts['local_branch']:
            self.local_branch = LocalBranch(make_stage5(), channels4, channels5,
                                            ndim=self.ndim)
        if parts['filter_bank']:
            self.filter_bank = DiscriminativeFilterBank(channels5, nclass, num_filters,
                                                        ndim=self.ndim, dropout=dropout)

    def forward(self, x, *args):
        outputs = self.all_outputs(x, *args)
        return outputs if autograd.is_training() else outputs[0]

    def all_outputs(self, x, *args):
        """All outputs, ``(z_comb, z_avg, z_xchannel, z_max)`` (``(z_avg,)`` for GB),
        in either mode (e.g. to score each branch at validation)."""
        return tuple(super(Recognizer, self).forward(x, *args))

    def freeze_stages(self, num_stages):
        """Stop training stages 1 .. ``num_stages`` of the trunk: their parameters get no
        gradient and their BatchNorm layers normalise with running statistics (as when
        features of a frozen trunk are computed once). Returns the frozen parameters."""
        frozen = []
        for blocks in self.trunk_stages()[:num_stages]:
            for block in blocks:
                freeze_batch_norm(block)
                for param in block.collect_params().values():
                    param.grad_req = 'null'
                    frozen.append(param)
        return frozen

    def fine_features(self, f4, f5):
        """The feature volume the filter bank looks at: S from the local branch, else F5g."""
        return self.local_branch(f4) if self.local_branch is not None else f5

    def filter_responses(self, x):
        """Response volume of every discriminative filter, before the max pooling.

        Parameters
        ----------
        x : NDArray
            The network input.

        Returns
        -------
        NDArray
            ``(B', N * C, [T,] H, W)`` where ``B'`` is the batch (times segments for
            TSN); channel ``c * N + k`` is filter ``k`` of class ``c``.
        """
        if self.filter_bank is None:
            raise ValueError('The %r head has no discriminative filters' % self.head_name)
        f4 = self.stage4(ndarray, x)
        return self.filter_bank.response(self.fine_features(f4, self.stage5(f4)))

    def hybrid_forward(self, F, x):
        return self.head_outputs(F, self.stage4(F, x))

    def head_outputs(self, F, f4):
        """All outputs computed from the stage-4 features ``f4`` (what each head adds
        after stage 4: e.g. to train it on cached features of a frozen trunk)."""
        f5 = self.stage5(f4)
        z_avg = self.consensus(self.global_logits(F, f5))
        if self.filter_bank is None:
            return (z_avg,)
        z_xchannel, z_max = self.filter_bank(self.fine_features(f4, f5))
        z_xchannel = self.consensus(z_xchannel)
        z_max = self.consensus(z_max)
        return z_avg + z_xchannel + z_max, z_avg, z_xchannel, z_max
