"""Preparation of Kinetics-400 and Something-Something-V1 list files from small
annotation files, one video missing each."""
import os
import shutil
import subprocess
import sys

import cv2
import numpy as np

from gluon_dfb.data import read_video_list

SCRIPT = os.path.join(os.path.dirname(__file__), '..', 'train_scripts', 'prepare_data.py')


def run(*args):
    return subprocess.run([sys.executable, SCRIPT] + list(args), check=True,
                          capture_output=True, text=True).stdout


def test_kinetics(real_videos, tmp_path):
    root = tmp_path / 'train'
    (root / 'air drumming').mkdir(parents=True)
    (root / 'abseiling').mkdir()
    shutil.copy(real_videos['carphone_pristine.mp4'],
                str(root / 'air drumming' / 'aaa_000010_000020.mp4'))
    shutil.copy(real_videos['bikes_vp9.webm'], str(root / 'abseiling' / 'bbb_000000_000010.webm'))
    csv_file = tmp_path / 'kinetics_train.csv'
    csv_file.write_text('label,youtube_id,time_start,time_end,split\n'
                        'air drumming,aaa,10,20,train\n'
                        'abseiling,bbb,0,10,train\n'
                        'abseiling,ccc,5,15,train\n')  # ccc was never downloaded
    out, classes = str(tmp_path / 'train.txt'), str(tmp_path / 'classes.txt')
    printed = run('kinetics400', '--annotations', str(csv_file), '--root', str(root),
                  '--out', out, '--classes', classes)
    assert '2 entries written' in printed and '1 rejected' in printed
    assert open(classes).read().splitlines() == ['abseiling', 'air drumming']
    assert read_video_list(out) == [('air drumming/aaa_000010_000020.mp4', 120, 1),
                                    ('abseiling/bbb_000000_000010.webm', 80, 0)]
    rejects = open(out + '.rejects').read()
    assert 'ccc_000005_000015' in rejects and 'no such file' in rejects


def test_something_something_v1(tmp_path):
    root = tmp_path / 'frames'
    for video_id, frames in (('1', 5), ('2', 3)):
        (root / video_id).mkdir(parents=True)
        for i in range(1, frames + 1):
            cv2.imwrite(str(root / video_id / ('%05d.jpg' % i)), np.zeros((8, 8, 3), np.uint8))
    labels = tmp_path / 'something-something-v1-labels.csv'
    labels.write_text('Holding something\nPushing something from left to right\n')
    split = tmp_path / 'something-something-v1-train.csv'
    split.write_text('1;Pushing something from left to right\n2;Holding something\n'
                     '3;Holding something\n')
    out, classes = str(tmp_path / 'train.txt'), str(tmp_path / 'classes.txt')
    printed = run('sthsthv1', '--labels', str(labels), '--annotations', str(split),
                  '--root', str(root), '--out', out, '--classes', classes)
    assert '2 entries written' in printed and '1 rejected' in printed
    assert read_video_list(out) == [('1', 5, 1), ('2', 3, 0)]
    assert open(classes).read().splitlines() == ['Holding something',
                                                 'Pushing something from left to right']
    assert 'frames/3\tno such frame folder' in open(out + '.rejects').read()
