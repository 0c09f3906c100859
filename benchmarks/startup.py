"""Start-up of each step: process start to the point where it reads its inputs.

Measured as the wall time of ``release-actions <step> --help`` (interpreter start, the
step module's imports, the parser built from its declarations), median of 7 runs.
Target: <= 0.3 s per step.

    python -m benchmarks.startup
"""

from __future__ import annotations

from benchmarks.common import BIN, Figure, median_seconds, print_table, run
from release_actions.registry import STEP_MODULES

TARGET = 0.3


def measure() -> list[Figure]:
    figures = []
    exe = str(BIN / "release-actions")
    for step in STEP_MODULES:
        seconds = median_seconds(lambda step=step: run([exe, step, "--help"]), repeat=7)  # type: ignore[misc]
        figures.append(
            Figure(f"start-up: {step}", seconds, "s", f"<= {TARGET} s", seconds <= TARGET)
        )
    return figures


if __name__ == "__main__":
    print_table(measure())
