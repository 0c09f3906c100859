"""Start-up of each step: process start to the point where it reads its inputs.

Measured as the wall time of ``release-actions <step> --help`` (interpreter start, the
declarations, the parser built from them: what a run does before it checks its inputs),
median of 7 runs. Target: <= 0.3 s per step. A run then imports its step module (sigstore,
PyGithub, twine: the work's own libraries); that import is printed beside, for information.

    python -m benchmarks.startup
"""

from __future__ import annotations

import sys

from benchmarks.common import BIN, Figure, median_seconds, print_table, run
from release_actions.registry import STEPS

TARGET = 0.3


def measure() -> list[Figure]:
    figures = []
    exe = str(BIN / "release-actions")
    for step in STEPS:
        seconds = median_seconds(lambda step=step: run([exe, step, "--help"]), repeat=7)  # type: ignore[misc]
        module = STEPS[step].module
        imports = median_seconds(
            lambda m=module: run([sys.executable, "-c", f"import {m}"]),  # type: ignore[misc]
            repeat=5,
        )
        figures.append(
            Figure(
                f"start-up: {step}",
                seconds,
                "s",
                f"<= {TARGET} s",
                seconds <= TARGET,
                note=f"a run then imports {module}: {imports:.2f} s with the interpreter",
            )
        )
    return figures


if __name__ == "__main__":
    print_table(measure())
