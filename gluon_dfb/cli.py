"""``gluon-dfb VERB [options]``: one command for every task; each verb runs the
``main(argv)`` of the module that does the work (``gluon-dfb VERB --help`` for its
options). ``train_scripts/*.py`` and ``python -m gluon_dfb.X`` run the same mains."""
import difflib
import importlib
import sys

from .errors import run_command

__all__ = ['VERBS', 'main']

#: verb: (module whose ``main(argv)`` it runs, what it does)
VERBS = {
    'train': ('gluon_dfb.engine.train', 'train a TSN or I3D network (the architecture of '
                                        '--model)'),
    'test': ('gluon_dfb.engine.testing', "test a trained network with the paper's protocols"),
    'predict': ('gluon_dfb.inference.predict', 'top classes of videos, or the timeline of '
                                               'a long one'),
    'export': ('gluon_dfb.inference.export', 'write a trained network as an MXNet symbol '
                                             'and ONNX'),
    'quantize': ('gluon_dfb.inference.quantize', 'INT8 model for CPU inference, calibrated '
                                                 'on videos'),
    'prepare': ('gluon_dfb.data.commands', 'list files from annotations; check or re-encode '
                                           'the videos of a list'),
    'pretrain': ('gluon_dfb.engine.pretrain', 'pretrain a stand-in trunk on generated images'),
    'ablation': ('gluon_dfb.ablation.command', "the paper's ablation, fairly (make ablation)"),
    'demo': ('gluon_dfb.ablation.demo', 'the main job in minutes on a CPU (make demo)'),
    'analysis': ('gluon_dfb.analysis.report', 'per-class and per-group accuracy, confused '
                                              'pairs, confusion matrices of predictions'),
}


def usage():
    """The verbs with one line each."""
    width = max(map(len, VERBS))
    return 'usage: gluon-dfb VERB [options]   (gluon-dfb VERB --help: its options)\n\n' \
        'verbs:\n' + ''.join('  %-*s  %s\n' % (width, verb, about)
                             for verb, (_, about) in VERBS.items())


def main(argv=None):
    """Run ``argv[0]``'s module with the rest; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ('-h', '--help'):
        print(usage(), end='')
        return 0 if argv else 2
    verb = argv[0]
    if verb not in VERBS:
        close = difflib.get_close_matches(verb, VERBS, n=1)
        print('%sgluon-dfb: error: unknown verb %r%s' % (
            usage(), verb, '; did you mean %s?' % close[0] if close else ''), file=sys.stderr)
        return 2
    module = importlib.import_module(VERBS[verb][0])
    sys.argv[0] = 'gluon-dfb %s' % verb  # argparse's program name in usage and errors
    return run_command(lambda: module.main(argv[1:])) or 0


if __name__ == '__main__':
    sys.exit(main())
