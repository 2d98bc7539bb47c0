"""Generated still images for a proxy pretraining of the 2D trunk (a stand-in for
ImageNet where nothing can be downloaded). Each image holds one main object, the largest,
among smaller clutter objects on a textured background; the main object's four factors
are drawn independently and are what the trunk learns to tell: its **shape** (8 shapes,
none symmetric under a half or quarter turn), its **orientation** (which of 4 directions
the shape points to), the **texture** of its fill (flat, stripes at any angle, checks,
dots) and its **colour** (8 colours). Telling them apart takes shape, oriented-edge,
texture and colour detectors, the local cues of fine-grained classes."""
import numpy as np

__all__ = ['SHAPES', 'ORIENTATIONS', 'TEXTURES', 'COLOURS', 'FACTORS', 'factor_sizes',
           'draw_factors', 'shape_mask', 'render_proxy_images']

#: Shapes of the objects, pointing up at orientation 0: each a function of the offsets
#: (dx right, dy down) from the centre in units of the object's radius.
SHAPES = ('triangle', 'dome', 'ell', 'tee', 'arrow', 'pacman', 'keyhole', 'crescent')
#: The direction the shape points to, a quarter turn apart (jittered by a few degrees).
ORIENTATIONS = ('up', 'right', 'down', 'left')
#: The fill of the object.
TEXTURES = ('flat', 'stripes', 'checks', 'dots')
#: Colours of the objects (RGB), jittered per object.
COLOURS = ((230, 40, 40), (40, 200, 40), (40, 70, 230), (240, 220, 40),
           (40, 220, 220), (220, 50, 220), (245, 245, 245), (20, 20, 20))
#: The factors, in the order of a label row and of the network's output slices.
FACTORS = ('shape', 'orientation', 'texture', 'colour')


def factor_sizes():
    """``{factor: number of values}``, in the order of :data:`FACTORS`."""
    return dict(zip(FACTORS, map(len, (SHAPES, ORIENTATIONS, TEXTURES, COLOURS))))


def draw_factors(rng, count):
    """``(count, 4)`` int: each image's factors, drawn independently and uniformly."""
    return np.stack([rng.randint(n, size=count) for n in factor_sizes().values()], axis=1)


def shape_mask(shape, dx, dy):
    """Boolean mask of ``shape`` (pointing up) for offsets ``dx, dy`` in radii."""
    ax = np.abs(dx)
    r2 = dx ** 2 + dy ** 2
    if shape == 'triangle':
        return (dy >= -0.95) & (dy <= 0.75) & (ax <= (dy + 0.95) * 0.6)
    if shape == 'dome':
        return (r2 <= 1) & (dy <= 0.25)
    if shape == 'ell':
        return (((dx >= -0.8) & (dx <= -0.25) & (np.abs(dy) <= 0.95))
                | ((dy >= 0.4) & (dy <= 0.95) & (ax <= 0.8)))
    if shape == 'tee':
        return (((dy >= -0.95) & (dy <= -0.4) & (ax <= 0.95))
                | ((ax <= 0.28) & (np.abs(dy) <= 0.95)))
    if shape == 'arrow':
        return (((dy >= -0.95) & (dy <= -0.05) & (ax <= (dy + 0.95) * 0.95))
                | ((ax <= 0.25) & (dy > -0.05) & (dy <= 0.95)))
    if shape == 'pacman':
        return (r2 <= 1) & ~((dy < 0) & (ax < -dy * 0.9))
    if shape == 'keyhole':
        return ((dx ** 2 + (dy + 0.45) ** 2 <= 0.3)
                | ((dy >= -0.3) & (dy <= 0.95) & (ax <= 0.12 + 0.4 * (dy + 0.3))))
    if shape == 'crescent':
        return (r2 <= 1) & (dx ** 2 + (dy + 0.55) ** 2 > 0.75)
    raise ValueError('Unknown shape %r' % shape)


def _background(size, rng):
    """A random background: stripes, checks, blotches or noise in two close colours."""
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
    grey = rng.uniform(60, 190)  # dull: the objects' colours stand out
    colours = grey + rng.uniform(-25, 25, (2, 3)).astype(np.float32)
    colours[1] = colours[0] + (colours[1] - colours[0]) * rng.uniform(0.2, 0.5)
    return colours[pattern.astype(int)] + rng.normal(0, 5, (size, size, 3))


def _fill(texture, u, v, radius, rng):
    """Where the fill takes its second, darker tone: a boolean of the object's pixel
    coordinates ``u, v`` (pixels, in the object's frame)."""
    period = max(2.5, radius * rng.uniform(0.35, 0.5))
    if texture == 'flat':
        return np.zeros(u.shape, bool)
    if texture == 'stripes':  # at any angle: the angle is not the orientation factor
        angle = rng.uniform(0, np.pi)
        return ((u * np.cos(angle) + v * np.sin(angle)) // (period / 2)) % 2 == 1
    if texture == 'checks':
        return ((u // (period / 2)) + (v // (period / 2))) % 2 == 1
    if texture == 'dots':
        du, dv = (u % period) - period / 2, (v % period) - period / 2
        return du ** 2 + dv ** 2 <= (period * 0.3) ** 2
    raise ValueError('Unknown texture %r' % texture)


def _draw(image, factors, cx, cy, radius, rng, faint=0.0):
    """Draw an object of ``factors`` (shape, orientation, texture, colour indices) and
    return its mask; with probability ``faint`` in low contrast: its tones moved to 15-60%
    of their contrast to what lies beneath it."""
    shape, orientation, texture, colour = factors
    y, x = np.mgrid[:image.shape[0], :image.shape[1]].astype(np.float32)
    angle = orientation * np.pi / 2 + rng.uniform(-0.15, 0.15)
    c, s = np.cos(angle), np.sin(angle)
    u, v = (x - cx), (y - cy)  # pixels; the shape's frame is turned by ``angle``
    du, dv = (c * u + s * v) / radius, (-s * u + c * v) / radius
    mask = shape_mask(SHAPES[shape], du, dv)
    tone = np.array(COLOURS[colour], np.float32) + rng.randint(-20, 21, 3)
    dark = tone * 0.4 + 10
    if faint and rng.rand() < faint and mask.any():
        beneath, kept = image[mask].mean(axis=0), rng.uniform(0.15, 0.6)
        tone, dark = beneath + kept * (tone - beneath), beneath + kept * (dark - beneath)
    second = _fill(TEXTURES[texture], u, v, radius, rng)
    image[mask] = np.where(second[mask][:, None], dark, tone)
    return mask


def render_proxy_images(factors, rng, size=48, clutter=3, faint=0.0, silhouettes=False):
    """Images ``(len(factors), size, size, 3)`` uint8, the main object of each row of
    ``factors`` (:func:`draw_factors`), among up to ``clutter`` smaller objects of random
    factors; with ``silhouettes``, also the main objects' masks.

    Parameters
    ----------
    factors : numpy.ndarray
        ``(images, 4)``: shape, orientation, texture and colour of each main object.
    rng : numpy.random.RandomState
    size : int
        Image side in pixels; the main object's radius is a sixth to a third of it.
    clutter : int
        Up to this many smaller objects per image (drawn first, under the main one).
    faint : float
        Probability that an object is drawn in low contrast to what lies beneath it.
    silhouettes : bool
        Return ``(images, masks)``, masks ``(len(factors), size, size)`` bool.
    """
    images = np.empty((len(factors), size, size, 3), np.uint8)
    masks = np.empty((len(factors), size, size), bool)
    for i, main in enumerate(np.asarray(factors)):
        image = _background(size, rng)
        for other in draw_factors(rng, rng.randint(clutter + 1)):
            _draw(image, other, *rng.uniform(0, size, 2), rng.uniform(size / 16, size / 10),
                  rng, faint)
        radius = rng.uniform(size / 5, size / 2.8)
        masks[i] = _draw(image, main, *rng.uniform(radius * 0.8, size - radius * 0.8, 2),
                         radius, rng, faint)
        images[i] = np.clip(image, 0, 255)
    return (images, masks) if silhouettes else images
