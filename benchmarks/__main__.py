"""Run every benchmark and print one table: ``python -m benchmarks``.

Each figure's two sides are measured in the same run on this machine. ``--quick`` uses
smaller inputs (for a smoke run; the targets are judged on the full sizes).
"""

from __future__ import annotations

import argparse
import platform
import sys

from benchmarks import build, checks, image, sign, startup, upload
from benchmarks.common import Figure, print_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--image", default="localhost/release-actions:dev")
    args = parser.parse_args(argv)
    print(f"machine: {platform.machine()}, {platform.system()} {platform.release()}, "
          f"Python {platform.python_version()}, {__import__('os').cpu_count()} CPUs")  # fmt: skip
    figures: list[Figure] = []
    figures += startup.measure()
    figures += upload.measure(count=40 if args.quick else 200, with_rss=not args.quick)
    figures += checks.measure(count=20 if args.quick else 100)
    figures += sign.measure(count=40 if args.quick else 200)
    figures += build.measure()
    figures += image.measure(image=args.image, rebuild=not args.quick)
    print_table(figures)
    return 0 if all(f.met for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
