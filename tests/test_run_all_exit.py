"""The ablation's worker processes end cleanly: a command whose runs showed progress
bars exits without the resource tracker's warnings about leaked semaphores."""
import subprocess
import sys
import textwrap


def test_workers_with_progress_bars_leave_no_semaphores(tmp_path):
    script = tmp_path / 'runs.py'
    script.write_text(textwrap.dedent('''
        from tqdm import tqdm
        from gluon_dfb.ablation.runs import run_all

        def run(job):
            for _ in tqdm(range(3), desc='epoch'):
                pass
            return {'seed': job[3]}

        if __name__ == '__main__':
            jobs = [(None, 'gb', 0.01, seed) for seed in range(4)]
            print([r['seed'] for r in run_all(run, jobs, 2, 'fine-tuning')])
    '''))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == '[0, 1, 2, 3]'
    assert 'resource_tracker' not in done.stderr, done.stderr
