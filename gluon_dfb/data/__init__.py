"""Video data: list files, sampling, transforms, decoding and datasets."""
from .decode import VideoReadError
from .protocols import TEST_PROTOCOLS, evaluation_protocol, training_protocol
from .video_dataset import VideoDataset, read_views
from .video_list import VideoRecord, read_video_list
