"""A data set given as a folder of class folders (``DATA/<class name>/<video>``) made into
list files: every video's frames counted (unreadable videos reported and left out), then
each class split into train / val / test, seeded, optionally keeping the videos of one
source (e.g. one recording) in one split."""
import os
import re
import zlib

import numpy as np

from ..errors import BadInputError, MissingFileError
from ..outputs import written_together
from .prepare import VIDEO_EXTENSIONS, count_all_video_frames

__all__ = ['SPLITS', 'class_folder_videos', 'split_counts', 'split_class', 'split_folder',
           'describe_split']

SPLITS = ('train', 'val', 'test')


def class_folder_videos(folder):
    """``{class name: [video path relative to folder, ...]}``: the video files (any depth)
    of each sub-folder of ``folder``, classes and videos in sorted order.

    Raises
    ------
    MissingFileError
        ``folder`` is not a folder.
    BadInputError
        It has fewer than two class folders with videos.
    """
    if not os.path.isdir(folder):
        raise MissingFileError('%s is not a folder of class folders' % folder)
    classes = {}
    for name in sorted(os.listdir(folder)):
        if not os.path.isdir(os.path.join(folder, name)):
            continue
        videos = sorted(os.path.relpath(os.path.join(where, f), folder)
                        for where, _, files in os.walk(os.path.join(folder, name))
                        for f in files if f.lower().endswith(VIDEO_EXTENSIONS))
        if videos:
            classes[name] = videos
    if len(classes) < 2:
        raise BadInputError('%s has %d class folders with videos (%s files): a data set '
                            'needs two or more' % (folder, len(classes),
                                                   ', '.join(VIDEO_EXTENSIONS)))
    return classes


def split_counts(units, fractions):
    """How many of ``units`` each split gets: the largest-remainder rounding of
    ``fractions`` (normalised), at least one for each split with a positive fraction;
    None if there are fewer units than such splits."""
    fractions = np.asarray(fractions, float) / np.sum(fractions)
    wanted = fractions > 0
    if units < wanted.sum():
        return None
    exact = fractions * units
    counts = np.floor(exact).astype(int)
    counts[np.argsort(-(exact - counts), kind='stable')[:units - counts.sum()]] += 1
    while np.any(wanted & (counts == 0)):  # take one from the largest split
        counts[np.argmax(counts)] -= 1
        counts[np.flatnonzero(wanted & (counts == 0))[0]] += 1
    return counts.tolist()


def split_class(name, videos, fractions, seed, group_by=None, what='videos'):
    """Split one class's videos: its sources (``group_by``: a regex searched in each path;
    its first group, or the whole match, names the source; a video it does not match is a
    source of its own) shuffled with a seed of ``seed`` and the class name, and dealt to
    the splits by :func:`split_counts`. ``what`` names the videos in the refusal.

    Returns
    -------
    list of list of str
        The videos of each split.

    Raises
    ------
    BadInputError
        The class has fewer sources than splits to fill.
    """
    sources = {}
    for video in videos:
        match = re.search(group_by, video) if group_by else None
        key = (match.group(1) if match.groups() else match.group(0)) if match else video
        sources.setdefault(key, []).append(video)
    counts = split_counts(len(sources), fractions)
    if counts is None:
        raise BadInputError(
            'class %r has %d %s%s, too few for --split %s: each split needs one' % (
                name, len(videos), what, ' from %d sources (--group-by)' % len(sources)
                if group_by else '', ' '.join('%g' % f for f in fractions)))
    keys = sorted(sources)
    order = np.random.RandomState([seed, zlib.crc32(name.encode('utf-8'))]).permutation(
        len(keys))
    bounds = np.cumsum([0] + counts)
    return [sorted(v for i in order[start:end] for v in sources[keys[i]])
            for start, end in zip(bounds[:-1], bounds[1:])]


def split_folder(folder, out, fractions=(0.6, 0.2, 0.2), seed=0, group_by=None, workers=2):
    """Write ``out/{train,val,test}.txt`` (``path num_frames label``, paths relative to
    ``folder``), ``out/classes.txt`` and ``out/unreadable.txt`` for a folder of class
    folders.

    Parameters
    ----------
    folder : str
        ``folder/<class name>/...<video>``.
    out : str
        Output folder.
    fractions : sequence of 3 float
        Train, val and test shares (normalised); a zero leaves that split empty.
    seed : int
        The split's seed.
    group_by : str, optional
        Regex naming each video's source (:func:`split_class`).
    workers : int
        Processes counting frames.

    Returns
    -------
    dict
        Paths of ``train``, ``val``, ``test``, ``classes`` and ``unreadable``,
        ``counts`` ({class: [videos of each split]}) and ``unreadable_videos``
        ({path: reason}).

    Raises
    ------
    BadInputError
        A class with too few readable videos for the split (named with its count),
        before anything is written.
    """
    if group_by:
        try:
            re.compile(group_by)
        except re.error as err:
            raise BadInputError('--group-by %r is not a regular expression: %s' % (
                group_by, err)) from None
    classes = class_folder_videos(folder)
    for name, videos in classes.items():  # refused before the videos are read
        split_class(name, videos, fractions, seed, group_by)
    paths = [v for videos in classes.values() for v in videos]
    frames = dict(zip(paths, count_all_video_frames(
        [os.path.join(folder, p) for p in paths], workers, 'counting frames')))
    unreadable = {p: reason for p, (n, reason) in frames.items() if not n}
    splits = {name: split_class(name, [v for v in videos if v not in unreadable], fractions,
                                seed, group_by, 'readable videos')
              for name, videos in classes.items()}
    files = {split: os.path.join(out, split + '.txt') for split in SPLITS}
    files.update(classes=os.path.join(out, 'classes.txt'),
                 unreadable=os.path.join(out, 'unreadable.txt'))
    contents = {split: ['%s %d %d\n' % (v, frames[v][0], label)
                        for label, name in enumerate(classes) for v in splits[name][index]]
                for index, split in enumerate(SPLITS)}
    contents.update(classes=[name + '\n' for name in classes],
                    unreadable=['%s\t%s\n' % item for item in sorted(unreadable.items())])
    with written_together([files[k] for k in contents]) as partial:
        for path, lines in zip(partial, contents.values()):
            with open(path, 'w') as f:
                f.writelines(lines)
    files['counts'] = {name: [len(s) for s in parts] for name, parts in splits.items()}
    files['unreadable_videos'] = unreadable
    return files


def describe_split(counts, unreadable):
    """Lines saying how many videos of each class went to each split, and how many were
    left out as unreadable."""
    width = max(len(name) for name in counts)
    lines = ['%-*s  %6s %6s %6s' % ((width, 'class') + SPLITS)]
    lines += ['%-*s  %6d %6d %6d' % ((width, name) + tuple(c)) for name, c in counts.items()]
    total = np.sum(list(counts.values()), axis=0)
    lines.append('%-*s  %6d %6d %6d' % ((width, 'all') + tuple(total)))
    if unreadable:
        lines.append('%d unreadable videos left out: %s' % (
            len(unreadable), ', '.join('%s (%s)' % item for item in sorted(unreadable.items()))))
    return lines
