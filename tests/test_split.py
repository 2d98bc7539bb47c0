"""A folder of class folders made into list files: stratified, seeded, disjoint splits,
sources kept together with --group-by, unreadable videos left out and named, a class too
small for the split refused by name and count before anything is written."""
import os

import pytest

from gluon_dfb.data import read_video_list
from gluon_dfb.data.split import split_counts, split_folder
from gluon_dfb.errors import BadInputError

CLASSES = ('drink', 'eat', 'pour')


def lists(files):
    return {split: [(r.path, r.num_frames, r.label) for r in read_video_list(files[split])]
            if os.path.getsize(files[split]) else [] for split in ('train', 'val', 'test')}


def test_split_is_stratified_seeded_and_disjoint(class_folders, tmp_path):
    files = split_folder(class_folders, str(tmp_path / 'a'), (0.6, 0.2, 0.2), seed=3)
    assert open(files['classes']).read().split() == list(CLASSES)
    assert files['unreadable_videos'].keys() == {os.path.join('eat', 'broken.mp4')}
    assert 'broken.mp4\t' in open(files['unreadable']).read()
    got = lists(files)
    everything = [entry[0] for split in got.values() for entry in split]
    assert len(everything) == len(set(everything)) == 15  # disjoint, all readable videos
    for label, name in enumerate(CLASSES):
        per_split = [sum(1 for e in got[s] if e[2] == label) for s in ('train', 'val', 'test')]
        assert per_split == [3, 1, 1] == files['counts'][name]
        assert all(e[0].startswith(name + os.sep) for s in got.values() for e in s
                   if e[2] == label)
    assert {e[1] for s in got.values() for e in s} == {8}  # frames the generator wrote
    again = lists(split_folder(class_folders, str(tmp_path / 'b'), (0.6, 0.2, 0.2), seed=3))
    assert again == got
    others = [lists(split_folder(class_folders, str(tmp_path / ('s%d' % s)),
                                 (0.6, 0.2, 0.2), seed=s)) for s in range(4)]
    assert any(o != got for o in others)


def test_group_by_keeps_a_source_in_one_split(class_folders, tmp_path):
    files = split_folder(class_folders, str(tmp_path), (1, 1, 0), seed=0,
                         group_by=r'(cam\d+)_')
    split_of = {}
    for split, entries in lists(files).items():
        for path, _, label in entries:
            source = (label, os.path.basename(path).split('_')[0])
            assert split_of.setdefault(source, split) == split
    assert len(split_of) == 3 + 2 + 3  # the cameras of 'drink', 'eat' and 'pour'
    assert lists(files)['test'] == []


def test_class_too_small_for_the_split_is_refused_before_writing(class_folders, tmp_path):
    with pytest.raises(BadInputError, match=r"class 'eat' has 5 readable videos from 2 "
                                            r"sources \(--group-by\), too few for --split "
                                            r"1 1 1"):
        split_folder(class_folders, str(tmp_path / 'out'), (1, 1, 1), group_by=r'(cam\d+)_')
    assert not (tmp_path / 'out').exists()


@pytest.mark.parametrize('units,fractions,expected', [
    (10, (0.6, 0.2, 0.2), [6, 2, 2]), (5, (0.6, 0.2, 0.2), [3, 1, 1]),
    (3, (0.8, 0.1, 0.1), [1, 1, 1]), (7, (1, 1, 0), [4, 3, 0]), (2, (1, 1, 1), None)])
def test_split_counts(units, fractions, expected):
    counts = split_counts(units, fractions)
    assert counts == expected
    assert counts is None or sum(counts) == units
