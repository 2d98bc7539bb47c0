"""Test a trained network with the paper's test-time protocols and save per-video
predictions for the analysis.

    python train_scripts/test_recognizer.py --model i3d_resnet50_dfb_custom --num-classes 8 \
        --params out/best.params --test-list val.txt --data-root videos --protocol 3d-10clip
"""
from gluon_dfb.engine.evaluate import evaluate_list, save_predictions
from gluon_dfb.engine.options import parse_testing_args
from gluon_dfb.errors import run_command
from gluon_dfb.metrics import topk_accuracy


def main():
    args = parse_testing_args()
    probabilities, labels, paths, net = evaluate_list(args)
    classes = open(args.classes).read().splitlines() if args.classes else net.classes or []
    save_predictions(args.out, probabilities, labels, paths, classes, args.protocol, args.model)
    print('%s, %s protocol, %d videos: top-1 %.4f, top-5 %.4f; predictions in %s' % (
        args.model, args.protocol, len(labels), topk_accuracy(probabilities, labels, 1),
        topk_accuracy(probabilities, labels, 5), args.out))


if __name__ == '__main__':
    run_command(main)
