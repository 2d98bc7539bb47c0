"""Errors in what a user gave (files, names, options), and how the command lines report
them: the message alone on stderr and a non-zero exit status, as argparse does for a bad
flag; any other exception is a bug and keeps its traceback."""
import os
import sys

__all__ = ['UserError', 'BadInputError', 'MissingFileError', 'run_command']


class UserError(Exception):
    """A problem with the user's input, not with the code; the message names the input
    (file, line, name or option) and the cause."""


class BadInputError(UserError, ValueError):
    """Input that is there but wrong: a malformed list line, a label out of range, an
    unknown model name, a parameter file that does not fit the network."""


class MissingFileError(UserError, FileNotFoundError):
    """A file the user named does not exist."""


def run_command(main):
    """Run a command line's ``main()`` and return its result; a :class:`UserError` ends
    the process with ``PROG: error: MESSAGE`` on stderr and exit status 2."""
    try:
        return main()
    except UserError as err:
        print('%s: error: %s' % (os.path.basename(sys.argv[0]), err), file=sys.stderr)
        sys.exit(2)
