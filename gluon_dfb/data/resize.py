"""Re-encoding the videos of a list file to a smaller short side with the ffmpeg that
imageio-ffmpeg ships (H.264 with frequent keyframes, for quick random access), so that
training decodes less; an interrupted run resumes where it stopped."""
import collections
import functools
import os
import subprocess

import imageio_ffmpeg

from ..errors import BadInputError
from .decode import VideoReadError, probe_video
from .parallel import parallel_map
from .video_list import read_video_list

__all__ = ['resize_list', 'resize_video', 'output_path', 'encode_command', 'PARTIAL_SUFFIX']

PARTIAL_SUFFIX = '.part'  # an output being written; renamed when complete and checked


def output_path(path):
    """Where the re-encoding of ``path`` goes: the same path with the extension ``.mp4``."""
    return os.path.splitext(path)[0] + '.mp4'


def encode_command(source, target, short_side, keyint, crf):
    """The ffmpeg command that re-encodes ``source`` into the MP4 file ``target``.

    The short side becomes ``short_side`` (videos already at or below it keep their
    size), the aspect ratio is kept and both sides are made even (for yuv420p); frames
    keep their timestamps (no frame dropped or repeated), audio and other streams are
    dropped. H.264 (libx264, yuv420p, quality ``crf``) with a keyframe at least every
    ``keyint`` frames, tuned for fast decoding (``-tune fastdecode``: no CABAC, no
    deblocking filter: slightly larger files that decord decodes faster;
    ``benchmarks/loader_speed.py`` measures both).
    """
    side = '2*trunc(min(%d\\,min(iw\\,ih))/2)' % short_side  # commas escaped for -vf
    scale = "scale=flags=area:w='if(lte(iw\\,ih)\\,{0}\\,-2)':h='if(lte(iw\\,ih)\\,-2\\,{0})'"
    # 'file:': a name with a colon is not taken for a protocol
    return [imageio_ffmpeg.get_ffmpeg_exe(), '-nostdin', '-v', 'error', '-y',
            '-i', 'file:' + source, '-map', '0:v:0', '-vf', scale.format(side),
            '-fps_mode', 'passthrough', '-c:v', 'libx264', '-preset', 'veryfast',
            '-tune', 'fastdecode', '-crf', str(crf), '-pix_fmt', 'yuv420p', '-g', str(keyint),
            '-f', 'mp4', 'file:' + target]


def resize_video(job, short_side, keyint, crf):
    """Re-encode one video, unless its output is already there.

    The output is written as ``target + PARTIAL_SUFFIX`` (a stale one from an
    interrupted run is removed first) and renamed to ``target`` only once ffmpeg has
    succeeded and the file decodes (first and last frame) with as many frames as the
    source, give or take one: a file at ``target`` is always complete.

    Parameters
    ----------
    job : (str, str)
        Source and target paths.
    short_side, keyint, crf : int
        See :func:`encode_command`.

    Returns
    -------
    (str, int, str)
        ``'encoded'``, ``'complete'`` (done before) or ``'failed'``; the frame count of
        the output (0 if failed); why it failed.
    """
    source, target = job
    if os.path.exists(target):
        try:
            return 'complete', probe_video(target)[0], ''
        except VideoReadError as err:
            return 'failed', 0, 'the existing output %s (%s): delete it to redo it' % (
                target, err.reason)
    partial = target + PARTIAL_SUFFIX
    if os.path.exists(partial):
        os.remove(partial)
    try:
        source_frames = probe_video(source)[0]
    except VideoReadError as err:
        return 'failed', 0, err.reason
    os.makedirs(os.path.dirname(target) or '.', exist_ok=True)
    run = subprocess.run(encode_command(source, partial, short_side, keyint, crf),
                         stdin=subprocess.DEVNULL, capture_output=True, text=True)
    reason = ''
    if run.returncode != 0:
        lines = run.stderr.strip().splitlines()
        reason = 'ffmpeg failed with status %d (%s)' % (
            run.returncode, lines[-1][:300] if lines else 'no message')
    else:
        try:
            frames = probe_video(partial)[0]
        except VideoReadError as err:
            reason = 'the re-encoded file does not decode (%s)' % err.reason
        else:
            if abs(frames - source_frames) > 1:
                reason = 'the re-encoded file has %d frames, the source %d' % (
                    frames, source_frames)
    if reason:
        if os.path.exists(partial):
            os.remove(partial)
        return 'failed', 0, reason
    os.replace(partial, target)
    return 'encoded', frames, ''


def resize_list(list_file, root, out_root, out_list, rejects_file, short_side=256, keyint=16,
                crf=18, workers=2):
    """Re-encode every video of a list file into ``out_root`` (same relative paths,
    extension ``.mp4``; see :func:`resize_video`) and write the list of the outputs,
    with their frame counts read from them.

    Videos that fail are skipped: left out of ``out_list``, and written with the reason
    to ``rejects_file`` (``path<TAB>reason``). Run it again after an interruption:
    complete outputs are kept, the rest is done.

    Parameters
    ----------
    list_file : str
        ``path num_frames label`` per line.
    root, out_root : str
        Folders of the sources and of the outputs (they must differ).
    out_list, rejects_file : str
        Files to write.
    short_side, keyint, crf : int
        See :func:`encode_command`.
    workers : int, default 2
        Videos re-encoded at a time.

    Returns
    -------
    (collections.Counter, list of (str, str))
        Videos per outcome (``'encoded'``, ``'complete'``, ``'failed'``), and the failed
        ones with their reasons.
    """
    if os.path.realpath(root) == os.path.realpath(out_root):
        raise BadInputError('the output folder %s is the data folder: the re-encodings '
                            'would replace the videos' % out_root)
    records = read_video_list(list_file)
    sources = {}  # target: source, in list order; a video listed twice is encoded once
    for record in records:
        target = os.path.join(out_root, output_path(record.path))
        source = os.path.join(root, record.path)
        if sources.setdefault(target, source) != source:
            raise BadInputError('%s lists both %s and %s, which would both be re-encoded to '
                                '%s' % (list_file, sources[target], source, target))
    jobs = [(source, target) for target, source in sources.items()]
    results = dict(zip(sources, parallel_map(
        functools.partial(resize_video, short_side=short_side, keyint=keyint, crf=crf),
        jobs, workers, 'resizing %s' % os.path.basename(list_file),
        failed=lambda reason: ('failed', 0, reason))))
    failed = [(source, results[target][2]) for source, target in jobs
              if results[target][0] == 'failed']
    with open(out_list, 'w') as out:
        for record in records:
            outcome, frames, _ = results[os.path.join(out_root, output_path(record.path))]
            if outcome != 'failed':
                out.write('%s %d %d\n' % (output_path(record.path), frames, record.label))
    with open(rejects_file, 'w') as rejects:
        rejects.write(''.join('%s\t%s\n' % item for item in failed))
    return collections.Counter(outcome for outcome, _, _ in results.values()), failed
