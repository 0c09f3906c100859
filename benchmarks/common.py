"""What every benchmark returns, and the table they print.

Example::

    figure = Figure("start-up verify-tag", ours=0.12, unit="s", target="<= 0.3 s", met=True)
    print_table([figure])
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Figure:
    """One measured figure; ``baseline`` is the other side measured in the same run."""

    name: str
    ours: float
    unit: str
    target: str
    met: bool
    baseline: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.ours == 0:
            return None
        return self.baseline / self.ours


def median_seconds(action: Callable[[], object], *, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(cmd: Sequence[str], **kwargs: object) -> None:
    subprocess.run(list(cmd), check=True, capture_output=True, **kwargs)  # type: ignore[call-overload]


def print_table(figures: Sequence[Figure]) -> None:
    header = f"{'figure':<44} {'ours':>10} {'baseline':>10} {'ratio':>8}  {'target':<14} met"
    print(header)
    print("-" * len(header))
    for f in figures:
        base = f"{f.baseline:.3g}" if f.baseline is not None else "-"
        ratio = f"{f.ratio:.1f}x" if f.ratio is not None else "-"
        print(
            f"{f.name:<44} {f.ours:>8.3g} {f.unit:<1} {base:>10} {ratio:>8}  {f.target:<14} "
            f"{'yes' if f.met else 'NO'}"
        )
        if f.note:
            print(f"    {f.note}")
