"""Worker processes forked while a command runs (MXNet's data loaders keep theirs in a
multiprocessing Pool) end on SIGTERM as by default, however young: Pool.terminate()
(the end of every ``with Pool()``) no longer waits for ever on a worker that lost the
signal to the command's handler."""
import os
import signal
import subprocess
import sys
import textwrap
import threading

from gluon_dfb.errors import run_command

POOLS = textwrap.dedent('''
    import sys
    from multiprocessing import Pool
    from gluon_dfb.errors import run_command

    def square(x):
        return x * x

    def main():
        for _ in range(300):  # with the handler inherited, 200 pools hung in 4 runs of 5
            with Pool(2) as pool:  # as MXNet's DataLoader keeps its workers
                assert list(pool.imap(square, range(12), chunksize=4)) == [
                    x * x for x in range(12)]
        return 0

    if __name__ == '__main__':
        sys.exit(run_command(main))
''')


def test_300_short_lived_pools_of_a_command_all_end(tmp_path):
    script = tmp_path / 'pools.py'
    script.write_text(POOLS)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr


def forked_sigterm():
    """SIGTERM's disposition and blocked state in a child forked here (from this
    thread)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        handler = signal.getsignal(signal.SIGTERM)
        blocked = signal.SIGTERM in signal.pthread_sigmask(signal.SIG_BLOCK, [])
        os.write(write, b'%d %d' % (handler == signal.SIG_DFL, blocked))
        os._exit(0)
    os.waitpid(pid, 0)
    default, blocked = map(int, os.read(read, 16).split())
    return bool(default), bool(blocked)


def test_a_child_forked_during_a_command_takes_sigterm_by_default():
    seen = {}

    def main():
        seen['main thread'] = forked_sigterm()
        thread = threading.Thread(target=lambda: seen.update(thread=forked_sigterm()))
        thread.start()
        thread.join()
        seen['parent blocks'] = signal.SIGTERM in signal.pthread_sigmask(signal.SIG_BLOCK, [])
        seen['parent handler'] = signal.getsignal(signal.SIGTERM)
        return 0
    previous = signal.getsignal(signal.SIGTERM)
    run_command(main)
    assert seen['main thread'] == seen['thread'] == (True, False)
    assert not seen['parent blocks'] and seen['parent handler'] not in (
        signal.SIG_DFL, previous)
    assert signal.getsignal(signal.SIGTERM) == previous


def test_outside_a_command_a_child_keeps_the_handler_it_inherits():
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: None)
    try:
        assert forked_sigterm() == (False, False)
    finally:
        signal.signal(signal.SIGTERM, previous)
