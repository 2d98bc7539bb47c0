"""Whether one variant is ahead of another on the test split, with the uncertainty of a
finite test set and of the seeds: the per-seed top-1 differences, their mean, and a
bootstrap interval that resamples the test videos (paired: the same videos for both
variants) and the seeds."""
import numpy as np

from ..engine.evaluate import load_predictions

__all__ = ['COARSE_FLOOR', 'correct_per_video', 'paired_difference', 'verdict_lines',
           'coarse_caution']

#: Bootstrap replicates and the interval's coverage.
REPLICATES, COVERAGE = 10000, 0.95
#: GB's coarse (group) accuracy under which the report cautions that its verdict says
#: little: a baseline that does not tell the groups apart has not learned the set's cues.
COARSE_FLOOR = 0.9


def correct_per_video(prediction_files):
    """``(seeds, videos)`` booleans: whether each run's top class is the video's label,
    from the runs' prediction files (one a seed, the same videos in the same order).

    Raises
    ------
    ValueError
        The files hold different videos or labels.
    """
    rows, reference = [], None
    for path in prediction_files:
        predictions = load_predictions(path)
        videos = (list(predictions.get('paths', [])), list(predictions['labels']))
        if reference is not None and videos != reference:
            raise ValueError('%s holds other test videos than %s' % (path, prediction_files[0]))
        reference = videos
        rows.append(predictions['probabilities'].argmax(axis=1) == predictions['labels'])
    return np.array(rows)


def paired_difference(ours, base, seed=0, replicates=REPLICATES, coverage=COVERAGE):
    """Test top-1 of ``ours`` minus that of ``base``.

    Parameters
    ----------
    ours, base : numpy.ndarray
        ``(seeds, videos)`` correctness of each run (:func:`correct_per_video`), seed
        ``s`` of both trained from the same start.
    seed : int
        Of the bootstrap's random draws.

    Returns
    -------
    dict
        ``per_seed`` (the differences), ``mean`` (their mean), ``interval`` (the
        central ``coverage`` of the mean difference over ``replicates`` draws, each
        drawing the seeds and the test videos with replacement) and ``verdict``:
        ``'ahead'`` if the interval lies above 0, ``'behind'`` if below, else
        ``'level'``; and ``videos``, the test videos.
    """
    ours, base = np.asarray(ours, float), np.asarray(base, float)
    differences = ours - base  # (seeds, videos): -1, 0 or 1
    seeds, videos = differences.shape
    rng = np.random.RandomState(seed)
    draws = np.empty(replicates)
    for start in range(0, replicates, 500):  # in chunks: seeds x videos x chunk indices
        n = min(500, replicates - start)
        which_seeds = rng.randint(0, seeds, (n, seeds))
        which_videos = rng.randint(0, videos, (n, videos))
        draws[start:start + n] = differences[which_seeds[:, :, None],
                                             which_videos[:, None, :]].mean(axis=(1, 2))
    tail = 100 * (1 - coverage) / 2
    low, high = np.percentile(draws, [tail, 100 - tail])
    return {'per_seed': differences.mean(axis=1).tolist(), 'mean': float(differences.mean()),
            'interval': (float(low), float(high)),
            'verdict': 'ahead' if low > 0 else 'behind' if high < 0 else 'level',
            'videos': videos}


def verdict_lines(ours_name, base_name, difference):
    """The report's answer in words: the mean difference in points, its interval, and
    which of ahead / level / behind the evidence supports."""
    words = {'ahead': '%s is **ahead** of %s' % (ours_name, base_name),
             'behind': '%s is **behind** %s' % (ours_name, base_name),
             'level': 'the evidence does **not separate** %s from %s (level)' % (
                 ours_name, base_name)}[difference['verdict']]
    low, high = difference['interval']
    per_seed = difference['per_seed']
    seeds, over = ('mean over %d seeds; per seed %s' % (
        len(per_seed), ', '.join('%+.1f' % (100 * d) for d in per_seed)), ' and the seeds') \
        if len(per_seed) > 1 else ('one seed', '')
    return ['**Verdict**: %s: test top-1 %+.1f points (%s - %s, %s), %d%% interval %+.1f to '
            '%+.1f points (bootstrap over the %d test videos%s).' % (
                words, 100 * difference['mean'], ours_name, base_name, seeds,
                round(100 * COVERAGE), 100 * low, 100 * high, difference['videos'], over)]


def coarse_caution(coarse):
    """The caution under the verdict when GB's test coarse accuracy ``coarse`` (mean over
    the seeds; None without groups) is below :data:`COARSE_FLOOR`; else no line."""
    if coarse is None or coarse >= COARSE_FLOOR:
        return []
    return ['**Caution**: GB tells the groups apart in only %.1f%% of the test videos (coarse '
            'accuracy, mean over the seeds; under %d%%): it has not learned what separates '
            'the groups (the trunk does not see this set\'s cues, or the recipe is too short), '
            'so the verdict on the classes within a group says little about the method. A '
            'trunk pretrained on images nearer these videos (--pretrained-base) or more epochs '
            'may mend it.' % (100 * coarse, round(100 * COARSE_FLOOR))]
