"""Write a fine-grained set of the kind issue #22 tries the ablation on, whose cues are
not colour: ``DATA/<class>/v<i>.mp4`` and ``DATA/groups.json``.

96x128 frames, 16 a video, 6 classes in 3 pairs. The pair is told by the shape of a grey
actor (triangle, plus, ring) that drifts among moving clutter discs of any colour; the
class within the pair by a 10-pixel patch: its texture (checks or flat) on the triangle,
its stripes' orientation (horizontal or vertical) on the plus, or the direction a flat
patch orbits the ring in (clockwise or anticlockwise: motion, which TSN's average of
single frames cannot see). The flat patch of the triangle and of the ring look alike, so
the pair must be told by the actor's shape.

    python results/shape_patch_set/make_set.py DATA [--videos-per-class 84] [--seed 0]
        [--actor grey]      # or black-white, or colour: the contrast of the actor
"""
import argparse
import json
import os

import numpy as np

from gluon_dfb.data.finegrained import write_mp4

HEIGHT, WIDTH, FRAMES, PATCH = 96, 128, 16, 10
#: How the actor is drawn: a grey of about the background's brightness, black or white,
#: or one of three saturated colours (none of them tied to a class).
ACTORS = ('grey', 'black-white', 'colour')
#: (actor shape, patch) of each class; classes of one shape form a pair.
CLASSES = (('triangle', 'checks'), ('triangle', 'flat'), ('plus', 'horizontal'),
           ('plus', 'vertical'), ('ring', 'clockwise'), ('ring', 'anticlockwise'))


def actor_mask(shape, dx, dy):
    """Boolean mask of the actor ``shape`` for offsets ``dx, dy`` in units of its radius."""
    if shape == 'triangle':
        return (dy >= -0.9) & (dy <= 0.8) & (np.abs(dx) <= (dy + 0.9) * 0.6)
    if shape == 'plus':
        return (((np.abs(dx) <= 0.3) & (np.abs(dy) <= 1))
                | ((np.abs(dy) <= 0.3) & (np.abs(dx) <= 1)))
    return (dx ** 2 + dy ** 2 <= 1) & (dx ** 2 + dy ** 2 >= 0.4)  # ring


def patch(kind):
    """The patch's pixels, ``(PATCH, PATCH, 3)``: 2-pixel checks or stripes, or flat."""
    y, x = np.mgrid[:PATCH, :PATCH]
    tone = {'checks': (x // 2 + y // 2) % 2, 'horizontal': (y // 2) % 2,
            'vertical': (x // 2) % 2}.get(kind, np.full((PATCH, PATCH), 0.5))
    return np.repeat((25 + 210 * tone)[..., None], 3, axis=2)


def actor_tone(actor, rng):
    """RGB of the actor, drawn as ``actor`` (one of :data:`ACTORS`)."""
    if actor == 'black-white':
        return (35, 225)[rng.randint(2)]
    if actor == 'colour':
        return np.array(((230, 40, 40), (40, 200, 40), (40, 70, 230))[rng.randint(3)], float)
    return rng.uniform(120, 170)


def render_video(label, rng, actor='grey'):
    """Frames ``(FRAMES, HEIGHT, WIDTH, 3)`` uint8 of one video of class ``label``."""
    shape, detail = CLASSES[label]
    y, x = np.mgrid[:HEIGHT, :WIDTH]
    background = (rng.uniform(70, 180, 3) + rng.normal(0, 8, (HEIGHT, WIDTH, 3))
                  + 15 * np.sin(x / rng.uniform(5, 15) + rng.uniform(0, 6))[..., None])
    discs = rng.randint(4, 9)
    disc_xy = rng.uniform((0, 0), (WIDTH, HEIGHT), (discs, 2))
    disc_v = rng.normal(0, 1.5, (discs, 2))
    disc_r = rng.uniform(5, 12, discs)
    disc_colour = rng.uniform(30, 230, (discs, 3))
    radius = rng.uniform(15, 19)
    low, high = np.array((radius + 8,) * 2), np.array((WIDTH, HEIGHT)) - radius - 8
    start = rng.uniform(low + (12, 4), high - (12, 4))
    velocity = rng.normal(0, 1.2, 2)
    tone = actor_tone(actor, rng)
    phase = rng.uniform(0, 2 * np.pi)
    turn = 2 * np.pi / FRAMES * rng.uniform(0.8, 1.2) * (1 if detail == 'clockwise' else -1)
    tile = patch(detail)
    video = np.empty((FRAMES, HEIGHT, WIDTH, 3), np.uint8)
    for t in range(FRAMES):
        frame = background.copy()
        for (cx, cy), v, r, colour in zip(disc_xy, disc_v, disc_r, disc_colour):
            frame[(x - cx - v[0] * t) ** 2 + (y - cy - v[1] * t) ** 2 <= r * r] = colour
        ax, ay = np.clip(start + velocity * t, low, high)
        frame[actor_mask(shape, (x - ax) / radius, (y - ay) / radius)] = tone
        if detail in ('clockwise', 'anticlockwise'):
            angle = phase + turn * t
            px, py = ax + (radius + 2) * np.cos(angle), ay + (radius + 2) * np.sin(angle)
        else:
            px, py = ax, ay + radius * 0.35
        left = min(max(int(round(px)) - PATCH // 2, 0), WIDTH - PATCH)
        top = min(max(int(round(py)) - PATCH // 2, 0), HEIGHT - PATCH)
        frame[top:top + PATCH, left:left + PATCH] = tile
        video[t] = np.clip(frame, 0, 255)
    return video


def make_set(out, videos_per_class=84, seed=0, actor='grey'):
    """Write the videos of every class and ``groups.json`` (pair -> its classes) in ``out``."""
    names = ['%s %s' % c for c in CLASSES]
    for label, name in enumerate(names):
        os.makedirs(os.path.join(out, name), exist_ok=True)
        for i in range(videos_per_class):
            write_mp4(os.path.join(out, name, 'v%03d.mp4' % i),
                      render_video(label, np.random.RandomState([seed, label, i]), actor))
    with open(os.path.join(out, 'groups.json'), 'w') as f:
        json.dump({shape: [n for n in names if n.startswith(shape + ' ')]
                   for shape in ('triangle', 'plus', 'ring')}, f, indent=1)


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('out')
    parser.add_argument('--videos-per-class', type=int, default=84)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--actor', choices=ACTORS, default='grey')
    args = parser.parse_args()
    make_set(args.out, args.videos_per_class, args.seed, args.actor)
