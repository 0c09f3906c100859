"""Benchmark: sign 200 small files at 100 ms Fulcio/Rekor latency, ours vs one at a time.

Example::

    .venv/bin/python -m benchmarks.sign            # 200 files, 100 ms, concurrency 16 (the step's default)
    .venv/bin/python -m benchmarks.sign --files 50 --latency 0.05 --concurrency 16

"Ours" is :func:`release_actions.actions.sign.run` (bundles only: provenance, attestations and
verification off, so both sides do the same work) with its thread pool sharing one
certificate; the baseline signs the same files one after another with one sigstore
``Signer`` — what a loop over ``sigstore sign`` in one process does. Both run against the
loopback Sigstore stand-in. Target: ratio >= 8x.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sigstore.oidc import IdentityToken

from benchmarks.common import Figure, print_table
from release_actions.actions.sign import SignInputs, run
from release_actions.signing.tokens import GivenToken
from release_actions_dev.standins.sigstore import SigstoreStandin

TARGET = 8.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    figures = measure(count=args.files, latency=args.latency, concurrency=args.concurrency)
    print_table(figures)
    return 0 if all(f.met for f in figures) else 1


def _sign(
    standin: SigstoreStandin, files: list[Path], out: Path, *, verify: bool, concurrency: int
) -> int:
    result = run(
        SignInputs(
            files=tuple(files),
            output_dir=out,
            trust_config=standin.trust_config_path,
            provenance=False,
            attestations=False,
            verify=verify,
            concurrency=concurrency,
        ),
        tokens=GivenToken(standin.issue_token()),
    )
    assert len(result.files) == len(files)
    return result.certificates


def measure(*, count: int = 200, latency: float = 0.1, concurrency: int = 16) -> list[Figure]:
    """Our sign step against one signer signing the same files one at a time."""
    with tempfile.TemporaryDirectory() as tmp, SigstoreStandin() as standin:
        root = Path(tmp)
        (root / "files").mkdir()
        (root / "baseline").mkdir()
        files = []
        for i in range(count):
            path = root / "files" / f"file-{i:04}.txt"
            path.write_text(f"small file {i}\n" * 16)
            files.append(path)
        standin.set_latency("fulcio", latency)
        standin.set_latency("rekor", latency)

        start = time.perf_counter()
        with standin.signing_context().signer(IdentityToken(standin.issue_token())) as signer:
            for path in files:
                bundle = signer.sign_artifact(path.read_bytes())
                (root / "baseline" / f"{path.name}.sigstore.json").write_text(bundle.to_json())
        baseline = time.perf_counter() - start

        start = time.perf_counter()
        certificates = _sign(
            standin, files, root / "signatures", verify=False, concurrency=concurrency
        )
        ours = time.perf_counter() - start

        start = time.perf_counter()
        _sign(standin, files, root / "signatures-full", verify=True, concurrency=concurrency)
        verified = time.perf_counter() - start

    setting = (
        f"{count} files, {latency * 1000:.0f} ms Fulcio/Rekor latency, concurrency {concurrency}"
    )
    return [
        Figure(
            f"sign {count} files vs one at a time",
            ours,
            "s",
            f">= {TARGET:g}x",
            baseline / ours >= TARGET,
            baseline=baseline,
            note=f"{setting}; {certificates} certificate(s)",
        ),
        Figure(
            f"sign {count} files with verify-after-sign",
            verified,
            "s",
            "(info)",
            True,
            baseline=baseline,
            note="what the step does by default (verify: true); not part of the target",
        ),
    ]


if __name__ == "__main__":
    raise SystemExit(main())
