"""BatchNorm folding at export, and INT8 quantization calibrated on real videos, used by
predict: against MXNet and the float32 engine on the same videos."""
import json
import subprocess
import sys
from collections import Counter

import mxnet as mx
import numpy as np
import onnx
import onnxruntime
import pytest
from conftest import randomize
from mxnet import autograd, gluon

from gluon_dfb import get_model
from gluon_dfb.data import evaluation_protocol, read_views, read_video_list
from gluon_dfb.data.finegrained import make_finegrained_set
from gluon_dfb.errors import BadInputError
from gluon_dfb.inference.export import export_onnx, export_symbol
from gluon_dfb.inference.fold_batch_norm import fold_batch_norm
from gluon_dfb.inference.calibration import range_overrides, view_extremes
from gluon_dfb.inference.int8_runtime import Int8Runner
from gluon_dfb.inference.quantize import scale_name
from gluon_dfb.nn.loss import DFBLoss

SIZE = 64
#: Per architecture: the test protocol's options for predict and quantize, and the
#: shape of one view.
#: How far INT8 probabilities may be from float32's. Each of the ~25 quantized layers
#: rounds its uint8 activations to 1/255 of the tensor's calibrated range, noise of
#: about 1% of the signal (a range spans ~10 standard deviations: 10 / 255 / sqrt(12));
#: summed in quadrature over the layers, ~5% of the logits, which span +-4 for these
#: trained networks: a logit moves by ~0.2, and a softmax probability by at most half
#: the largest logit change (d p_i / d z has an l1 norm 2 p_i (1 - p_i) <= 1/2).
PROBABILITY_TOLERANCE = 0.1
PROTOCOLS = {'tsn': (['--protocol', '2d-20x10'], (3, SIZE, SIZE)),
             'i3d': (['--protocol', '3d-10clip', '--new-length', '8'], (3, 8, SIZE, SIZE))}


@pytest.mark.parametrize('name,shape', [
    ('tsn_resnet18_dfb_custom', (3, 3, 64, 80)),
    pytest.param('i3d_resnet18_dfb_custom', (2, 3, 8, 64, 80), marks=pytest.mark.slow)])
@pytest.mark.onnx
def test_folded_export_equals_mxnet_without_batch_norm_nodes(name, shape, tmp_path, rng):
    net = get_model(name, nclass=5, num_segments=1)
    net.infer_shape(mx.nd.zeros(shape))  # parameters set before any forward pass: after
    randomize(net)  # one, oneDNN keeps Conv3D weights in its own layout and set_data fails
    x = rng.normal(size=shape).astype('float32')
    expected = net(mx.nd.array(x)).asnumpy()
    symbol_file, params_file = export_symbol(net, shape, str(tmp_path / 'net'))
    exported = onnx.load(export_onnx(symbol_file, params_file, shape,
                                     str(tmp_path / 'plain.onnx'), fold=False))
    ops = Counter(n.op_type for n in exported.graph.node)
    summary = fold_batch_norm(exported)
    batch_norms = ops['BatchNormalization']
    assert batch_norms == sum(1 for n in net.collect_params() if n.endswith('running_var'))
    assert summary == {'folded': batch_norms,
                       'before': {'BatchNormalization': batch_norms, 'Reshape': ops['Reshape']},
                       'after': {'BatchNormalization': 0, 'Reshape': ops['Reshape'] - (
                           2 * batch_norms if name.startswith('i3d') else 0)}}
    onnx.checker.check_model(exported)

    folded = export_onnx(symbol_file, params_file, shape, str(tmp_path / 'folded.onnx'))
    assert Counter(n.op_type for n in onnx.load(folded).graph.node)['BatchNormalization'] == 0
    session = onnxruntime.InferenceSession(folded, providers=['CPUExecutionProvider'])
    got = session.run(None, {'data': x})[0]
    # folding changes the rounding only (W*s computed once instead of s applied after
    # the sum), a few float32 ulps a layer, far below 1e-4 of the output's magnitude
    scale = np.abs(expected).max()
    assert scale > 0.1 and np.abs(expected - expected.mean(axis=1, keepdims=True)).max() > 0.01
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-4 * scale)


def _train_briefly(name, data, protocol, steps=20):
    """Fit the network to the videos of ``data`` for a few steps (a trained network's
    activations and class margins, not a random one's nearly uniform output); returns the
    saved parameter file."""
    mx.random.seed(0)
    net = get_model(name, nclass=8, num_segments=1)
    records = read_video_list(data['test'])
    views = np.stack([read_views(data['root'] + '/' + r.path, protocol, SIZE)
                      for r in records])
    labels = np.array([r.label for r in records])
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 1e-3})
    loss_fn, rng = DFBLoss(), np.random.RandomState(0)
    for _ in range(steps):
        batch = rng.choice(len(labels), 4, replace=False)
        with autograd.record():  # every view of a video carries its label
            x = mx.nd.array(views[batch].reshape((-1,) + views.shape[2:]))
            y = mx.nd.array(np.repeat(labels[batch], views.shape[1]))
            loss, _ = loss_fn(net(x), y)
        loss.backward()
        trainer.step(len(y))
    params = data['root'] + '/%s.params' % name
    net.save_parameters(params)
    return params


@pytest.fixture(scope='module')
def embedded(tmp_path_factory):
    """One real mp4 per class of the embedded set, 64x64, 16 frames."""
    folder = str(tmp_path_factory.mktemp('embedded'))
    data = make_finegrained_set(folder, (0, 0, 1), size=SIZE)
    data['root'] = folder
    return data


def _run(module, *argv):
    return subprocess.run([sys.executable, '-m', 'gluon_dfb.' + module] + list(argv),
                          capture_output=True, text=True)


@pytest.mark.parametrize('arch', ['tsn', 'i3d'])
@pytest.mark.slow
@pytest.mark.onnx
def test_int8_predictions_agree_with_float32(arch, embedded, tmp_path):
    name = '%s_resnet18_dfb_custom' % arch
    options, view_shape = PROTOCOLS[arch]
    params = _train_briefly(name, embedded, evaluation_protocol(
        '1clip', arch, num_segments=3, new_length=8, size=SIZE))
    common = ['--model', name, '--num-classes', '8', '--params', params,
              '--input-size', str(SIZE), '--short-side', str(SIZE)] + options
    out = str(tmp_path / 'int8')
    # two candidate ranges (each costs a quantization): the held-out videos keep one
    quantized = _run('quantize', '--calib-list', embedded['test'], '--data-root',
                     embedded['root'], '--calib-videos', '4', '--range-scales', '3', 'minmax',
                     '--out', out, *common)
    assert quantized.returncode == 0, quantized.stderr
    report = json.load(open(out + '/quantization.json'))
    calibration = report['calibration']
    assert report['view_shape'] == list(view_shape) and len(calibration['videos']) == 4
    # the other 4 of the 8 videos are held out; they chose the ranges and the margin
    assert len(set(calibration['videos'] + calibration['check_videos'])) == 8
    margins = report['activation_ranges']['fallback_margins']
    assert set(margins) == {'3', 'minmax'}
    assert report['fallback_margin'] == min(margins.values()) == margins[
        scale_name(report['activation_ranges']['scale'])]
    # every convolution (ResNet-18: 20, local stage 5: 5, skip and filter bank) reads
    # 8-bit weights in the quantized graph but I3D's stem (what onnxruntime then fuses
    # depends on the CPU: its report is only checked to be the one printed)
    convolutions = 27 if arch == 'tsn' else 26
    assert quantized_convolutions(out + '/model.int8.onnx') == (convolutions, 27 - convolutions)
    int8 = report['operators']['int8']
    assert all('%s x%d' % item in quantized.stdout for item in int8.items())

    videos = [embedded['root'] + '/' + r.path for r in read_video_list(embedded['test'])]
    runs = [_run('predict', *(videos + common + ['--json'] + extra))
            for extra in ([], ['--int8', out])]
    for run in runs:
        assert run.returncode == 0, run.stderr
    reference, results = (json.loads(run.stdout) for run in runs)
    assert {r['engine'] for r in results} == {'onnxruntime-int8'}
    fallbacks = sum(r['float32_fallback'] for r in results)
    assert 'INT8: %d of 8 videos scored again in float32' % fallbacks in runs[1].stderr
    for want, got in zip(reference, results):
        assert want['engine'] == 'onnxruntime' and got['video'] == want['video']
        np.testing.assert_allclose(got['probabilities'], want['probabilities'], rtol=0,
                                   atol=PROBABILITY_TOLERANCE)
        # where float32 decides clearly, INT8 (within the tolerance) decides alike; how
        # many videos a short training leaves that clear differs between CPUs
        first, second = sorted(want['probabilities'])[-1:-3:-1]
        if first - second > 2 * PROBABILITY_TOLERANCE:
            assert got['top'][0]['index'] == want['top'][0]['index']


def quantized_convolutions(model_file):
    """(convolutions whose weights come through a DequantizeLinear, the others) in a QDQ
    model as the quantizer wrote it."""
    graph = onnx.load(model_file).graph
    dequantized = {o for n in graph.node if n.op_type == 'DequantizeLinear' for o in n.output}
    convolutions = [n.input[1] in dequantized for n in graph.node if n.op_type == 'Conv']
    return sum(convolutions), len(convolutions) - sum(convolutions)


@pytest.mark.slow
def test_int8_model_refuses_views_of_another_shape(embedded, tmp_path):
    # a random network is enough: the check is on shapes
    name = 'tsn_resnet18_dfb_custom'
    net = get_model(name, nclass=8, num_segments=1)
    net(mx.nd.zeros((1, 3, SIZE, SIZE)))
    params = str(tmp_path / 'random.params')
    net.save_parameters(params)
    out = str(tmp_path / 'int8')
    common = ['--model', name, '--num-classes', '8', '--params', params, '--protocol',
              '1clip', '--short-side', str(SIZE)]
    assert _run('quantize', '--calib-list', embedded['test'], '--data-root', embedded['root'],
                '--calib-videos', '1', '--range-scales', 'minmax', '--input-size', str(SIZE),
                '--out', out, *common).returncode == 0
    views = read_views(embedded['root'] + '/' + read_video_list(embedded['test'])[0].path,
                       evaluation_protocol('1clip', 'tsn', num_segments=3, size=SIZE), SIZE)
    float32 = net(mx.nd.array(views)).asnumpy()
    # a top class leads by at most 1: every call falls back, and is float32's output
    runner = Int8Runner(out, fallback_margin=2)
    np.testing.assert_allclose(runner(mx.nd.array(views)).asnumpy(), float32, rtol=0,
                               atol=1e-4 * np.abs(float32).max())
    never = Int8Runner(out, fallback_margin=0)
    assert never(mx.nd.array(views)).shape == (3, 8) and runner.calls == never.calls == 1
    assert runner.fallbacks == 1 and never.fallbacks == 0
    with pytest.raises(BadInputError, match=r'takes views of shape 3x64x64.*not 3x48x48'):
        runner(mx.nd.zeros((3, 3, 48, 48)))
    video = embedded['root'] + '/' + read_video_list(embedded['test'])[0].path
    refused = _run('predict', video, '--int8', out, '--input-size', '48', *common)
    assert refused.returncode == 2 and 'Traceback' not in refused.stderr
    assert 'takes views of shape 3x64x64' in refused.stderr and out in refused.stderr
    forced = _run('predict', video, '--int8', out, '--int8-fallback', '2', '--json',
                  '--input-size', str(SIZE), *common)
    assert forced.returncode == 0 and json.loads(forced.stdout)[0]['float32_fallback']
    assert 'INT8: 1 of 1 videos scored again in float32' in forced.stderr
    alone = _run('predict', video, '--int8-fallback', '2', '--input-size', str(SIZE), *common)
    assert alone.returncode == 2 and '--int8-fallback goes with --int8' in alone.stderr
    missing = _run('predict', video, '--int8', str(tmp_path), '--input-size', str(SIZE), *common)
    assert missing.returncode == 2 and 'Traceback' not in missing.stderr
    assert '%s holds no INT8 model' % tmp_path in missing.stderr


@pytest.mark.slow
def test_bad_calibration_lists_are_named(embedded, tmp_path):
    net = get_model('tsn_resnet18_dfb_custom', nclass=8, num_segments=1)
    net(mx.nd.zeros((1, 3, SIZE, SIZE)))
    params = str(tmp_path / 'random.params')
    net.save_parameters(params)
    common = ['--model', 'tsn_resnet18_dfb_custom', '--num-classes', '8', '--params', params,
              '--protocol', '1clip', '--input-size', str(SIZE), '--short-side', str(SIZE),
              '--out', str(tmp_path / 'int8')]
    empty = tmp_path / 'empty.txt'
    empty.write_text('\n')
    broken = tmp_path / 'broken.mp4'
    broken.write_bytes(b'\x00' * 4000)
    unreadable = tmp_path / 'unreadable.txt'
    unreadable.write_text('%s 16 0\nmissing.mp4 16 1\n' % broken)
    one = tmp_path / 'one.txt'  # calibration takes it: none is left to check on
    one.write_text('%s/%s 16 0\n' % (embedded['root'], read_video_list(embedded['test'])[0].path))
    for calib_list, messages in [(empty, ['empty.txt lists no videos']),
                                 (one, ['one.txt: no held-out video']),
                                 (tmp_path / 'absent.txt', ['absent.txt does not exist']),
                                 (unreadable, ['none of the 2 videos', 'unreadable.txt',
                                               'broken.mp4', 'missing.mp4'])]:
        run = _run('quantize', '--calib-list', str(calib_list), '--data-root', str(tmp_path),
                   *common)
        assert run.returncode == 2 and 'Traceback' not in run.stderr, run.stderr
        for message in messages:
            assert message in run.stderr
    assert not (tmp_path / 'int8').exists()
    scales = _run('quantize', '--calib-list', str(empty), '--range-scales', '3', '-1', *common)
    assert scales.returncode == 2
    assert "argument --range-scales: '-1' is neither a positive number nor minmax" in scales.stderr


@pytest.mark.onnx
def test_view_extremes_are_each_views_own(tmp_path, rng):
    from onnxruntime.quantization import quant_pre_process
    from onnxruntime.quantization.calibrate import MinMaxCalibrater
    shape = (1, 3, SIZE, SIZE)
    net = get_model('tsn_resnet18_dfb_custom', nclass=5, num_segments=1)
    net.infer_shape(mx.nd.zeros(shape))
    randomize(net)
    views = [rng.normal(scale=scale, size=shape).astype('float32') for scale in (1, 3)]
    logits = [net(mx.nd.array(v)).asnumpy() for v in views]
    exported = export_onnx(*export_symbol(net, shape, str(tmp_path / 'net')), shape,
                           str(tmp_path / 'net.onnx'))
    prepared = str(tmp_path / 'prepared.onnx')
    quant_pre_process(exported, prepared, skip_symbolic_shape=True)
    extremes = view_extremes(prepared, views)
    # every tensor that onnxruntime's calibration would range gets one of its own
    calibrated, _ = MinMaxCalibrater(prepared).select_tensors_to_calibrate(onnx.load(prepared))
    assert len(calibrated) > 50 and calibrated <= set(extremes)
    np.testing.assert_array_equal(extremes['data'], [[v.min(), v.max()] for v in views])
    output = onnx.load(prepared).graph.output[0].name
    np.testing.assert_allclose(extremes[output], [[z.min(), z.max()] for z in logits], rtol=0,
                               atol=1e-4 * max(np.abs(z).max() for z in logits))


def test_range_overrides_scale_the_median_view_extreme():
    extremes = {'t': np.array([[-1, 2], [-3, 4], [0, 100]], np.float32),
                'relu': np.array([[0, 1], [0, 3], [0, 2]], np.float32)}
    # medians: min -1, max 4 (t); max 2 (relu); scale 2 keeps t within [-3, 100]
    assert range_overrides(extremes, 2) == {'t': [{'rmin': -2, 'rmax': 8}],
                                            'relu': [{'rmin': 0, 'rmax': 3}]}
    assert range_overrides(extremes, None) == {'t': [{'rmin': -3, 'rmax': 100}],
                                               'relu': [{'rmin': 0, 'rmax': 3}]}
