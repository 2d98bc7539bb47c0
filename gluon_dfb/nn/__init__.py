"""Hybridizable blocks of the discriminative filter bank network."""
from .batch_norm import BatchNorm3D, freeze_batch_norm
from .consensus import AverageConsensus
from .filter_bank import DiscriminativeFilterBank
from .local_branch import LocalBranch
from .loss import DFBLoss
from .sync_batch_norm import SyncBatchNorm, synchronise_batch_norm
