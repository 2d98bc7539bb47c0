"""Test a trained network with the paper's test-time protocols and save per-video
predictions for the analysis (``gluon-dfb test``, ``train_scripts/test_recognizer.py``)."""
from ..arguments import read_class_names
from ..scoring import topk_accuracy
from ..zoo import model_entry
from .evaluate import evaluate_list, save_predictions
from .config import parse_testing_args

__all__ = ['main']


def main(argv=None):
    """Score every video of ``--test-list``, print top-1/top-5 and write the predictions."""
    args = parse_testing_args(argv)
    nclass = args.num_classes or model_entry(args.model)['nclass']
    classes = read_class_names(args.classes, nclass) if args.classes and nclass else None
    probabilities, labels, paths, net = evaluate_list(args)
    out = save_predictions(args.out, probabilities, labels, paths, classes or net.classes or [],
                           args.protocol, args.model)
    print('%s, %s protocol, %d videos: top-1 %.4f, top-5 %.4f; predictions in %s' % (
        args.model, args.protocol, len(labels), topk_accuracy(probabilities, labels, 1),
        topk_accuracy(probabilities, labels, 5), out))
