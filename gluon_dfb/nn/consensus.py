"""TSN segmental consensus."""
from mxnet.gluon import HybridBlock

__all__ = ['AverageConsensus']


class AverageConsensus(HybridBlock):
    """Average per-segment predictions of a video (TSN's average consensus).

    Parameters
    ----------
    num_segments : int
        Number of consecutive rows of the input that belong to one video.

    Inputs: ``(B * num_segments, K)``. Outputs: ``(B, K)``.
    """

    def __init__(self, num_segments, **kwargs):
        super(AverageConsensus, self).__init__(**kwargs)
        self.num_segments = num_segments

    def hybrid_forward(self, F, x):
        if self.num_segments == 1:
            return x
        return F.mean(F.reshape(x, shape=(-4, -1, self.num_segments, -2)), axis=1)
