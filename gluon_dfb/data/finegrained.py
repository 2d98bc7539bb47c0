"""A small fine-grained action set that needs no download, written as real mp4 files.

Classes come in confusable groups. Within a group every video shares the scene
(background pattern), the large motion of the actor (a big disk) and the marker's shape;
the classes differ only in the colour of the small marker the actor carries, one of the
group's two saturated colours. Look-alikes (the group's marker in duller versions of
both colours, a random number of each per video) drift over the scene: they share the
marker's features, so pooling the whole volume mixes how many look-alikes there are with
the class, while the strongest local response does not.
"""
import json
import os

import imageio_ffmpeg
import numpy as np
from tqdm import tqdm

__all__ = ['GROUPS', 'DETAILS', 'SPLITS', 'MARKERS', 'marker_mask', 'class_names',
           'render_video', 'make_finegrained_set']

#: The marker shapes of the groups.
MARKERS = ('square', 'disk', 'diamond', 'plus')


def marker_mask(shape, dx, dy):
    """Boolean mask of a marker ``shape`` for offsets ``dx, dy`` in units of its radius."""
    ax, ay = np.abs(dx), np.abs(dy)
    if shape == 'disk':
        return dx ** 2 + dy ** 2 <= 1
    if shape == 'square':
        return np.maximum(ax, ay) <= 0.8
    if shape == 'plus':
        return ((ax <= 0.3) & (ay <= 1)) | ((ay <= 0.3) & (ax <= 1))
    if shape == 'diamond':
        return ax + ay <= 1
    raise ValueError('Unknown marker shape %r' % shape)

#: (scene, motion, marker shape, the two marker colours) of each group of confusable
#: classes.
GROUPS = (('stripes', 'slide right', 'square', (('red', (235, 35, 35)), ('blue', (35, 60, 235)))),
          ('checks', 'slide down', 'disk', (('yellow', (240, 220, 30)), ('cyan', (30, 220, 230)))),
          ('dots', 'circle', 'diamond', (('magenta', (225, 40, 225)), ('green', (40, 200, 40)))),
          ('plain', 'zigzag', 'plus', (('orange', (245, 130, 20)), ('purple', (120, 40, 200)))))
#: The fine classes of every group: which of the group's two marker colours it carries.
DETAILS = ('first colour', 'second colour')
GREY = np.array((128, 128, 128), np.float32)  # look-alikes are moved towards it
SPLITS = ('train', 'val', 'test')


def class_names():
    """Names of the classes, group-major: ``'<motion> over <scene> with a <colour>
    <shape>'``."""
    return ['%s over %s with a %s %s' % (motion, scene, colour, shape)
            for scene, motion, shape, colours in GROUPS for colour, _ in colours]


#: Background colour pair of each group's scene (jittered per video).
SCENE_COLOURS = {'stripes': ((150, 120, 90), (90, 70, 50)),
                 'checks': ((60, 150, 60), (30, 80, 30)),
                 'dots': ((70, 70, 170), (160, 160, 220)), 'plain': ((150, 150, 150),) * 2}


def _background(scene, size, rng):
    y, x = np.mgrid[:size, :size]
    cell = max(4, size // 8)
    phase = rng.randint(cell)
    pattern = {'stripes': ((x + phase) // (cell // 2)) % 2,
               'checks': (((x + phase) // cell) + ((y + phase) // cell)) % 2,
               'dots': (((x + phase) % cell < cell // 4)
                        & ((y + phase) % cell < cell // 4)).astype(int),
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


def _draw(frame, shape, cx, cy, radius, colour):
    """Paint ``shape`` (within 1.5 radii of its centre) on the pixels it covers."""
    reach = 1.5 * radius
    y0, x0 = max(0, int(np.floor(cy - reach))), max(0, int(np.floor(cx - reach)))
    y1 = min(frame.shape[0], int(np.ceil(cy + reach)) + 1)
    x1 = min(frame.shape[1], int(np.ceil(cx + reach)) + 1)
    if y0 < y1 and x0 < x1:
        y, x = np.mgrid[y0:y1, x0:x1]
        frame[y0:y1, x0:x1][marker_mask(shape, (x - cx) / radius, (y - cy) / radius)] = colour


def render_video(label, rng, size=96, frames=16, marker_radius=None, lookalikes=12,
                 lookalike_tint=0.2):
    """Frames ``(frames, size, size, 3)`` uint8 of one video of class ``label``.

    Parameters
    ----------
    label : int
        Class index (group-major).
    rng : numpy.random.RandomState
    size, frames : int
        Frame side in pixels, frames per video.
    marker_radius : float, optional
        Radius of the marker and of the look-alikes; default ``size / 24`` (at 96 pixels
        a 9-pixel square, under 1% of the frame).
    lookalikes : int
        Up to this many look-alikes a video (uniformly 0 .. lookalikes).
    lookalike_tint : float
        How far the look-alikes' colours are moved from the marker colours towards grey
        (0: the marker colours, 1: grey).
    """
    scene, motion, shape, colours = GROUPS[label // len(DETAILS)]
    colours = np.array([c for _, c in colours], np.float32)
    radius = marker_radius or size / 24.0
    background = _background(scene, size, rng)
    path = _actor_path(motion, frames, size, rng)
    actor_radius = size * rng.uniform(0.12, 0.16)
    actor_colour = rng.randint(0, 256, 3)
    offset = rng.uniform(-1, 1, 2) * actor_radius * 0.4
    count = rng.randint(0, lookalikes + 1)
    lookalike_xy = rng.uniform(radius, size - radius, (count, 2))
    lookalike_v = rng.normal(0, size * 0.01, (count, 2))
    dull = colours + (GREY - colours) * lookalike_tint
    lookalike_colours = dull[rng.randint(0, len(colours), count)] + rng.randint(-12, 13, (count, 3))
    marker_colour = colours[label % len(DETAILS)] + rng.randint(-12, 13, 3)
    y, x = np.mgrid[:size, :size]
    video = np.empty((frames, size, size, 3), np.uint8)
    for t in range(frames):
        frame = background.copy()
        for xy, v, c in zip(lookalike_xy, lookalike_v, lookalike_colours):
            _draw(frame, shape, *(xy + v * t), radius, c)
        cx, cy = path[t]
        frame[(x - cx) ** 2 + (y - cy) ** 2 <= actor_radius ** 2] = actor_colour
        _draw(frame, shape, cx + offset[0], cy + offset[1], radius, marker_colour)
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


def make_finegrained_set(out_dir, videos_per_class=(30, 10), seed=0, size=96, frames=16,
                         **render_options):
    """Write the set: ``videos/<class>/<split>_<i>.mp4``, a list file per split
    (``train.txt``, ``val.txt``, ``test.txt``), ``classes.txt`` and ``groups.json``
    (group -> its classes).

    Parameters
    ----------
    out_dir : str
        Folder to write into.
    videos_per_class : tuple of int
        Videos per class of each split, in the order train, val, test (two numbers:
        train and val only).
    seed : int
        Everything written is a function of the arguments; each split is drawn from its
        own seeds, so no video of one split is in another.
    size, frames : int
        Frame side in pixels, frames per video. (decord 0.6.0 cannot read 48-pixel-wide
        videos back; 32, 64, 80, 96 and 112 work.)
    **render_options
        ``marker_radius``, ``lookalikes``, ``lookalike_tint`` of :func:`render_video`.

    Returns
    -------
    dict
        Paths of ``classes``, ``groups`` and of each split's list file.
    """
    names = class_names()
    splits = SPLITS[:len(videos_per_class)]
    os.makedirs(out_dir, exist_ok=True)
    paths = {'classes': os.path.join(out_dir, 'classes.txt'),
             'groups': os.path.join(out_dir, 'groups.json')}
    with open(paths['classes'], 'w') as f:
        f.write(''.join(n + '\n' for n in names))
    with open(paths['groups'], 'w') as f:
        json.dump({'%s %s' % (motion, scene): names[g * len(DETAILS):(g + 1) * len(DETAILS)]
                   for g, (scene, motion, _, _) in enumerate(GROUPS)}, f, indent=1)
    jobs = [(split, label, i) for split, count in zip(splits, videos_per_class)
            for label in range(len(names)) for i in range(count)]
    lines = {split: [] for split in splits}
    for split, label, i in tqdm(jobs, desc='writing the fine-grained set'):
        rng = np.random.RandomState([seed, SPLITS.index(split), label, i])
        relative = os.path.join('videos', '%02d' % label, '%s_%03d.mp4' % (split, i))
        os.makedirs(os.path.join(out_dir, os.path.dirname(relative)), exist_ok=True)
        write_mp4(os.path.join(out_dir, relative),
                  render_video(label, rng, size, frames, **render_options))
        lines[split].append('%s %d %d\n' % (relative, frames, label))
    for split in splits:
        paths[split] = os.path.join(out_dir, '%s.txt' % split)
        with open(paths[split], 'w') as f:
            f.writelines(lines[split])
    return paths
