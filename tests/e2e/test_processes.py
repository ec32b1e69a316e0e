"""Short-lived processes we start (the interpreter probe): bounded output, no stdin, killed whole at the timeout."""

import sys

import pytest

from dagster_components_ls.project.processes import OUTPUT_LIMIT, ProcessTimeout, run_contained


def test_output_beyond_the_limit_is_dropped_and_the_run_completes():
    # 200 MB on stdout, then a last word on stderr and an exit code.
    script = "import sys\nfor _ in range(200):\n    sys.stdout.write('x' * 1_000_000)\nsys.stderr.write('done')\nsys.exit(3)\n"
    out = run_contained([sys.executable, "-c", script], timeout=60)
    assert (out.returncode, len(out.stdout), set(out.stdout), out.stderr) == (3, OUTPUT_LIMIT, {"x"}, "done")


def test_stdin_is_empty():
    out = run_contained([sys.executable, "-c", "import sys; print(repr(sys.stdin.read()))"], timeout=60)
    assert (out.returncode, out.stdout) == (0, "''\n")


def test_a_process_that_closes_its_pipes_but_runs_on_times_out():
    script = "import os, time\nos.close(1)\nos.close(2)\ntime.sleep(60)\n"
    with pytest.raises(ProcessTimeout):
        run_contained([sys.executable, "-c", script], timeout=2)
