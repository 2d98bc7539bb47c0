"""Generated still images for a proxy pretraining of the 2D trunk (a stand-in for
ImageNet where nothing can be downloaded): one object per image, its class the pair
(shape, colour), drawn at a random place and scale on a random texture, among smaller
objects of other classes. It teaches local colour, shape and texture detectors."""
import numpy as np

__all__ = ['SHAPES', 'COLOURS', 'num_proxy_classes', 'proxy_class_names', 'shape_mask',
           'render_proxy_images']

#: Shapes of the objects, each a function of the offsets (dx, dy) from the centre in
#: units of the object's radius.
SHAPES = ('disk', 'square', 'triangle', 'plus', 'ring', 'diamond', 'bar', 'cross')
#: Colours of the objects (RGB), jittered per object.
COLOURS = ((230, 40, 40), (40, 200, 40), (40, 70, 230), (240, 220, 40),
           (40, 220, 220), (220, 50, 220), (245, 245, 245), (20, 20, 20))


def num_proxy_classes():
    """Number of classes: every (shape, colour) pair."""
    return len(SHAPES) * len(COLOURS)


def proxy_class_names():
    """``'<colour index> <shape>'`` names, shape-major (class ``s * len(COLOURS) + c``)."""
    return ['%s %d' % (shape, c) for shape in SHAPES for c in range(len(COLOURS))]


def shape_mask(shape, dx, dy):
    """Boolean mask of ``shape`` for offsets ``dx, dy`` in units of the radius."""
    ax, ay = np.abs(dx), np.abs(dy)
    if shape == 'disk':
        return dx ** 2 + dy ** 2 <= 1
    if shape == 'square':
        return np.maximum(ax, ay) <= 0.8
    if shape == 'triangle':
        return (dy <= 0.7) & (ax <= (dy + 0.9) * 0.6)
    if shape == 'plus':
        return ((ax <= 0.3) & (ay <= 1)) | ((ay <= 0.3) & (ax <= 1))
    if shape == 'ring':
        r2 = dx ** 2 + dy ** 2
        return (r2 <= 1) & (r2 >= 0.4)
    if shape == 'diamond':
        return ax + ay <= 1
    if shape == 'bar':
        return (ax <= 1) & (ay <= 0.35)
    if shape == 'cross':
        return (np.abs(dx - dy) <= 0.42) & (ax <= 0.85) | (np.abs(dx + dy) <= 0.42) & (ay <= 0.85)
    raise ValueError('Unknown shape %r' % shape)


def _texture(size, rng):
    """A random background: stripes, checks, blotches or noise in two random colours."""
    y, x = np.mgrid[:size, :size].astype(np.float32)
    kind = rng.randint(4)
    period = rng.uniform(3, size / 3)
    angle = rng.uniform(0, np.pi)
    u = x * np.cos(angle) + y * np.sin(angle)
    if kind == 0:
        pattern = (u // period) % 2
    elif kind == 1:
        v = -x * np.sin(angle) + y * np.cos(angle)
        pattern = ((u // period) + (v // period)) % 2
    elif kind == 2:
        pattern = (np.sin(u / period * 3) + np.sin((x - y) / period * 2)) > 0
    else:
        pattern = rng.rand(size, size) > 0.5
    colours = rng.uniform(0, 255, (2, 3)).astype(np.float32)
    colours[1] = colours[0] + (colours[1] - colours[0]) * rng.uniform(0.2, 0.6)
    return colours[pattern.astype(int)] + rng.normal(0, 5, (size, size, 3))


def _draw(image, shape, colour, cx, cy, radius, angle):
    y, x = np.mgrid[:image.shape[0], :image.shape[1]].astype(np.float32)
    dx, dy = (x - cx) / radius, (y - cy) / radius
    c, s = np.cos(angle), np.sin(angle)
    image[shape_mask(shape, c * dx + s * dy, -s * dx + c * dy)] = colour


def render_proxy_images(labels, rng, size=48, distractors=2):
    """Images ``(len(labels), size, size, 3)`` uint8, one object of each label.

    Parameters
    ----------
    labels : sequence of int
        Classes, ``shape * len(COLOURS) + colour``.
    rng : numpy.random.RandomState
    size : int
        Image side in pixels.
    distractors : int
        Up to this many smaller objects of random other classes per image.
    """
    images = np.empty((len(labels), size, size, 3), np.uint8)
    for i, label in enumerate(labels):
        image = _texture(size, rng)
        count = rng.randint(distractors + 1)
        for _ in range(count):
            other = rng.randint(num_proxy_classes())
            radius = rng.uniform(size / 16, size / 8)
            _draw(image, SHAPES[other // len(COLOURS)], COLOURS[other % len(COLOURS)],
                  *rng.uniform(0, size, 2), radius, rng.uniform(-0.3, 0.3))
        radius = rng.uniform(size / 8, size / 3.5)
        centre = rng.uniform(radius, size - radius, 2)
        colour = np.array(COLOURS[label % len(COLOURS)]) + rng.randint(-20, 21, 3)
        _draw(image, SHAPES[label // len(COLOURS)], colour, *centre, radius,
              rng.uniform(-0.3, 0.3))
        images[i] = np.clip(image, 0, 255)
    return images
