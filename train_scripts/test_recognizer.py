"""Test a trained network with the paper's test-time protocols and save per-video
predictions for the analysis.

    python train_scripts/test_recognizer.py --model i3d_resnet50_dfb_custom --num-classes 8 \
        --params out/best.params --test-list val.txt --data-root videos --protocol 3d-10clip
"""
from gluon_dfb.arguments import read_class_names
from gluon_dfb.engine.evaluate import evaluate_list, save_predictions
from gluon_dfb.engine.options import parse_testing_args
from gluon_dfb.errors import run_command
from gluon_dfb.metrics import topk_accuracy
from gluon_dfb.zoo import model_entry


def main(argv=None):
    args = parse_testing_args(argv)
    nclass = args.num_classes or model_entry(args.model)['nclass']
    classes = read_class_names(args.classes, nclass) if args.classes and nclass else None
    probabilities, labels, paths, net = evaluate_list(args)
    out = save_predictions(args.out, probabilities, labels, paths, classes or net.classes or [],
                           args.protocol, args.model)
    print('%s, %s protocol, %d videos: top-1 %.4f, top-5 %.4f; predictions in %s' % (
        args.model, args.protocol, len(labels), topk_accuracy(probabilities, labels, 1),
        topk_accuracy(probabilities, labels, 5), out))


if __name__ == '__main__':
    run_command(main)
