"""A small fine-grained action set that needs no download, written as real mp4 files.

Classes come in confusable groups. Within a group every video shares the scene
(background pattern) and the large motion of the actor (a big disk); the classes differ
only in the colour of a small square the actor carries: saturated red or saturated
blue. Clutter squares of the same size in dull reds and blues, a random number per
video, drift over the scene, so that no colour statistic of the whole frame tells the
classes apart: only the square on the actor does. Pooling the whole volume into one
vector (the GB baseline) sees the group easily and the detail hardly; the paper's
claim can be checked on it.
"""
import json
import os

import imageio_ffmpeg
import numpy as np
from tqdm import tqdm

__all__ = ['GROUPS', 'DETAILS', 'class_names', 'render_video', 'make_finegrained_set']

#: (scene, motion) of each group of confusable classes.
GROUPS = (('stripes', 'slide right'), ('checks', 'slide down'), ('dots', 'circle'),
          ('plain', 'zigzag'))
#: The small detail that tells the classes of a group apart, and its colour.
DETAILS = ('red square', 'blue square')
DETAIL_COLOURS = ((255, 30, 30), (30, 30, 255))
#: Colours of the clutter squares (dull red, dull blue; jittered per square).
CLUTTER_COLOURS = ((200, 60, 60), (60, 60, 200))


def class_names():
    """Names of the classes, group-major: ``'<motion> over <scene> with <detail>'``."""
    return ['%s over %s with %s' % (motion, scene, detail)
            for scene, motion in GROUPS for detail in DETAILS]


#: Background colour pair of each group's scene (jittered per video).
SCENE_COLOURS = {'stripes': ((170, 60, 60), (90, 30, 30)), 'checks': ((60, 150, 60), (30, 80, 30)),
                 'dots': ((70, 70, 170), (160, 160, 220)), 'plain': ((150, 150, 150),) * 2}


def _background(scene, size, rng):
    y, x = np.mgrid[:size, :size]
    phase = rng.randint(8)
    pattern = {'stripes': ((x + phase) // 4) % 2,
               'checks': (((x + phase) // 8) + ((y + phase) // 8)) % 2,
               'dots': (((x + phase) % 8 < 2) & ((y + phase) % 8 < 2)).astype(int),
               'plain': np.zeros((size, size), int)}[scene]
    colours = np.array(SCENE_COLOURS[scene], np.float32) + rng.uniform(-20, 20, (2, 3))
    image = colours[pattern]
    return image + rng.normal(0, 6, image.shape)


def _actor_path(motion, frames, size, rng):
    t = np.linspace(0, 1, frames) * rng.uniform(0.7, 1.0) + rng.uniform(0, 0.3)
    margin = size * 0.25
    span = size - 2 * margin
    jitter = rng.uniform(-size * 0.1, size * 0.1, 2)
    if motion == 'slide right':
        xy = np.stack([margin + span * t, np.full(frames, size / 2)], 1)
    elif motion == 'slide down':
        xy = np.stack([np.full(frames, size / 2), margin + span * t], 1)
    elif motion == 'circle':
        angle = 2 * np.pi * t
        xy = size / 2 + span / 2 * np.stack([np.cos(angle), np.sin(angle)], 1)
    else:  # zigzag
        xy = np.stack([margin + span * t, size / 2 + span / 2 * np.sign(np.sin(6 * np.pi * t))
                       * np.abs(np.sin(6 * np.pi * t))], 1)
    return xy + jitter


def _paste(frame, mask, cx, cy, colour):
    h, w = mask.shape
    top, left = int(round(cy)) - h // 2, int(round(cx)) - w // 2
    ys, xs = np.nonzero(mask)
    ys, xs = ys + top, xs + left
    keep = (ys >= 0) & (ys < frame.shape[0]) & (xs >= 0) & (xs < frame.shape[1])
    frame[ys[keep], xs[keep]] = colour


def render_video(label, rng, size=32, frames=16, detail_half=2, clutter=4):
    """Frames ``(frames, size, size, 3)`` uint8 of one video of class ``label``, with a
    ``2 * detail_half + 1`` pixel detail and up to ``clutter`` clutter squares."""
    scene, motion = GROUPS[label // len(DETAILS)]
    background = _background(scene, size, rng)
    path = _actor_path(motion, frames, size, rng)
    radius = size * rng.uniform(0.12, 0.16)
    actor_colour = rng.randint(0, 256, 3)
    offset = rng.uniform(-1, 1, 2) * radius * 0.3
    square = np.ones((2 * detail_half + 1,) * 2, bool)
    count = rng.randint(0, clutter + 1)
    clutter_xy = rng.uniform(0, size, (count, 2))
    clutter_v = rng.normal(0, size * 0.01, (count, 2))
    clutter_colours = (np.array(CLUTTER_COLOURS)[rng.randint(0, 2, count)]
                       + rng.randint(-15, 16, (count, 3)))
    y, x = np.mgrid[:size, :size]
    video = np.empty((frames, size, size, 3), np.uint8)
    for t in range(frames):
        frame = background.copy()
        for xy, v, c in zip(clutter_xy, clutter_v, clutter_colours):
            _paste(frame, square, *(xy + v * t), c)
        cx, cy = path[t]
        frame[(x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2] = actor_colour
        _paste(frame, square, cx + offset[0], cy + offset[1],
               DETAIL_COLOURS[label % len(DETAILS)])
        video[t] = np.clip(frame, 0, 255)
    return video


def write_mp4(path, video, fps=8):
    """Write uint8 frames as an H.264 (yuv420p: what decord reads) mp4 of high quality, so
    that small details survive."""
    writer = imageio_ffmpeg.write_frames(path, video.shape[1:3][::-1], fps=fps, codec='libx264',
                                         macro_block_size=1, pix_fmt_out='yuv420p',
                                         output_params=['-crf', '12'])
    writer.send(None)
    for frame in video:
        writer.send(np.ascontiguousarray(frame))
    writer.close()


def make_finegrained_set(out_dir, videos_per_class=(30, 10), seed=0, size=32, frames=16,
                         detail_half=2, clutter=4):
    """Write the set: ``videos/<class>/<split>_<i>.mp4``, ``train.txt`` and ``val.txt``
    list files, ``classes.txt`` and ``groups.json`` (group -> its classes).

    Parameters
    ----------
    out_dir : str
        Folder to write into.
    videos_per_class : (int, int)
        Training and validation videos per class.
    seed : int
        Everything written is a function of the arguments.
    size, frames : int
        Frame side in pixels, frames per video. (decord 0.6.0 cannot read 48-pixel-wide
        videos back; 32, 64, 80, 96 and 112 work.)
    detail_half : int
        The discriminative detail is ``2 * detail_half + 1`` pixels wide.
    clutter : int
        At most this many clutter squares (the detail's size, dull red or blue) a video.

    Returns
    -------
    dict
        Paths of ``train``, ``val``, ``classes`` and ``groups``.
    """
    names = class_names()
    os.makedirs(out_dir, exist_ok=True)
    paths = {'classes': os.path.join(out_dir, 'classes.txt'),
             'groups': os.path.join(out_dir, 'groups.json')}
    with open(paths['classes'], 'w') as f:
        f.write(''.join(n + '\n' for n in names))
    with open(paths['groups'], 'w') as f:
        json.dump({'%s %s' % (motion, scene): names[g * len(DETAILS):(g + 1) * len(DETAILS)]
                   for g, (scene, motion) in enumerate(GROUPS)}, f, indent=1)
    jobs = [(split, label, i) for split, count in zip(('train', 'val'), videos_per_class)
            for label in range(len(names)) for i in range(count)]
    lines = {'train': [], 'val': []}
    for split, label, i in tqdm(jobs, desc='writing the fine-grained set'):
        rng = np.random.RandomState([seed, split == 'val', label, i])
        relative = os.path.join('videos', '%02d' % label, '%s_%03d.mp4' % (split, i))
        os.makedirs(os.path.join(out_dir, os.path.dirname(relative)), exist_ok=True)
        write_mp4(os.path.join(out_dir, relative),
                  render_video(label, rng, size, frames, detail_half, clutter))
        lines[split].append('%s %d %d\n' % (relative, frames, label))
    for split in ('train', 'val'):
        paths[split] = os.path.join(out_dir, '%s.txt' % split)
        with open(paths[split], 'w') as f:
            f.writelines(lines[split])
    return paths
