"""Where the ablation's videos come from: the embedded fine-grained set it generates, the
user's train / val / test list files, or the user's folder of class folders, split into
lists by :mod:`gluon_dfb.data.split`."""
import hashlib
import json
import os

from ..arguments import read_class_names
from ..data import read_video_list
from ..data.finegrained import make_finegrained_set
from ..data.split import describe_split, split_folder
from ..errors import BadInputError

__all__ = ['ablation_data', 'data_key']


def ablation_data(out, config):
    """The data set of ``config['data']`` as ``{'train', 'val', 'test'}`` list files,
    ``root``, ``classes`` (names in label order), ``groups`` (a ``groups.json`` path, or
    None), ``frame_pattern`` and, for class folders, ``split_lines`` (the videos of each
    class in each split, in words).

    ``config['data']`` is None (the embedded set, written into ``out/data``), or holds
    ``folder`` (class folders; ``split``, ``split_seed``, ``group_by``), or ``train``,
    ``val``, ``test`` and ``root`` (list files; ``classes``: a class-name file);
    ``groups`` (a json of group name -> class names) and ``frame_pattern`` are optional.
    """
    source = config.get('data')
    if source is None:
        folder = os.path.join(out, 'data')
        data = make_finegrained_set(folder, tuple(config['videos_per_class']),
                                    seed=config['data_seed'],
                                    size=config['recipe']['input_size'],
                                    frames=config['frames'], **config['render'])
        data.update(root=folder, classes=open(data['classes']).read().splitlines(),
                    frame_pattern=None)
        return data
    if source.get('folder'):
        made = split_folder(source['folder'], os.path.join(out, 'lists'), source['split'],
                            source['split_seed'], source.get('group_by'))
        data = {split: made[split] for split in ('train', 'val', 'test')}
        data.update(root=source['folder'], classes=open(made['classes']).read().splitlines(),
                    split_lines=describe_split(made['counts'], made['unreadable_videos']))
    else:
        data = {split: source[split] for split in ('train', 'val', 'test', 'root')}
        labels = max(r.label for split in ('train', 'val', 'test')
                     for r in read_video_list(data[split])) + 1
        data['classes'] = (read_class_names(source['classes'], labels) if source.get('classes')
                           else [str(i) for i in range(labels)])
    data.update(groups=source.get('groups'), frame_pattern=source.get('frame_pattern'))
    if data['groups']:
        _check_groups(data['groups'], data['classes'])
    return data


def _check_groups(path, classes):
    """BadInputError unless ``path`` is a json that puts every class in a group."""
    try:
        with open(path) as f:
            groups = json.load(f)
    except (OSError, ValueError) as err:
        raise BadInputError('--groups %s: not a json of group name -> class names (%s)' % (
            path, err)) from None
    grouped = {c for members in groups.values() for c in members}
    missing = [c for c in classes if c not in grouped]
    if missing:
        raise BadInputError('--groups %s puts %d classes in no group: %s' % (
            path, len(missing), ', '.join(missing[:5])))


def data_key(data):
    """What the runs' results depend on in the data: the content of the lists, the class
    names, the groups and where the videos are (a changed list trains again)."""
    digest = hashlib.sha1()
    for split in ('train', 'val', 'test'):
        with open(data[split], 'rb') as f:
            digest.update(f.read())
    if data.get('groups'):
        with open(data['groups'], 'rb') as f:
            digest.update(f.read())
    return {'lists_sha1': digest.hexdigest(), 'root': os.path.abspath(data['root']),
            'classes': data['classes'], 'frame_pattern': data.get('frame_pattern')}
