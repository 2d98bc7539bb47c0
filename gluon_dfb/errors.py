"""Errors in what a user gave (files, names, options), and how the command lines report
them: the message alone on stderr and a non-zero exit status, as argparse does for a bad
flag; any other exception is a bug and keeps its traceback."""
import os
import signal
import sys
import threading

__all__ = ['UserError', 'BadInputError', 'MissingFileError', 'Interrupted', 'run_command',
           'error_summary']


class UserError(Exception):
    """A problem with the user's input, not with the code; the message names the input
    (file, line, name or option) and the cause."""


class BadInputError(UserError, ValueError):
    """Input that is there but wrong: a malformed list line, a label out of range, an
    unknown model name, a parameter file that does not fit the network."""


class MissingFileError(UserError, FileNotFoundError):
    """A file the user named does not exist."""


def error_summary(err):
    """The line of an exception's message that says what went wrong: MXNet's messages
    start with a traceback of its C++ frames and end with the check that failed."""
    lines = [l.strip() for l in str(err).strip().splitlines() if l.strip()]
    if not lines:
        return type(err).__name__
    return lines[-1].replace('MXNetError: ', '')[:300]


class Interrupted(UserError):
    """The user stopped a command (Ctrl-C); the message says what was kept."""
    exit_status = 130


def _terminated(signum, frame):
    """SIGTERM's handler while a command runs: a KeyboardInterrupt."""
    raise KeyboardInterrupt('terminated (signal %d)' % signum)


_fork = threading.local()  # per forking thread: the command's handler, SIGTERM blocked


def _before_fork():
    _fork.ours = signal.getsignal(signal.SIGTERM) is _terminated
    _fork.blocked = _fork.ours and \
        signal.SIGTERM not in signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})


def _after_fork_in_parent():
    if getattr(_fork, 'blocked', False):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


def _after_fork_in_child():
    if getattr(_fork, 'ours', False):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if getattr(_fork, 'blocked', False):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


# A process forked while a command runs (a pool or data-loader worker) ends on SIGTERM as
# by default. The signal stays blocked across the fork: one sent to a worker before its
# Python has set up would be lost with the parent's handler (a Python handler runs only
# once the interpreter is ready), and Pool.terminate() would then wait for that worker
# for ever.
os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                    after_in_child=_after_fork_in_child)


def run_command(main):
    """Run a command line's ``main()`` and return its result; a :class:`UserError` ends
    the process with ``PROG: error: MESSAGE`` on stderr and exit status 2 (130 for
    Ctrl-C, which :class:`Interrupted` or a bare ``KeyboardInterrupt`` reports).
    SIGTERM (``kill``, a scheduler's time limit) is taken as Ctrl-C: the command keeps
    what Ctrl-C keeps and its worker processes end with it."""
    program = os.path.basename(sys.argv[0])
    main_thread = threading.current_thread() is threading.main_thread()
    previous = None
    if main_thread:
        previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        return main()
    except UserError as err:
        print('%s: error: %s' % (program, err), file=sys.stderr)
        sys.exit(getattr(err, 'exit_status', 2))
    except KeyboardInterrupt:
        print('%s: interrupted' % program, file=sys.stderr)
        sys.exit(Interrupted.exit_status)
    finally:
        if main_thread and previous is not None:
            signal.signal(signal.SIGTERM, previous)
