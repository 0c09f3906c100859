"""Benchmark: sign 200 small files at 100 ms Fulcio/Rekor latency, ours vs one at a time.

Example::

    .venv/bin/python -m benchmarks.sign            # 200 files, 100 ms, concurrency 16 (the step's default)
    .venv/bin/python -m benchmarks.sign --files 50 --latency 0.05 --concurrency 16

"Ours" is :func:`release_actions.sign.run` (bundles only: provenance, attestations and
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

from release_actions.sign import SignInputs, run
from release_actions.signing.tokens import GivenToken
from release_actions.standins.sigstore import SigstoreStandin


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, SigstoreStandin() as standin:
        root = Path(tmp)
        files = []
        for i in range(args.files):
            path = root / "files" / f"file-{i:04}.txt"
            path.parent.mkdir(exist_ok=True)
            path.write_text(f"small file {i}\n" * 16)
            files.append(path)
        standin.set_latency("fulcio", args.latency)
        standin.set_latency("rekor", args.latency)

        start = time.perf_counter()
        with standin.signing_context().signer(IdentityToken(standin.issue_token())) as signer:
            for path in files:
                bundle = signer.sign_artifact(path.read_bytes())
                (root / "baseline").mkdir(exist_ok=True)
                (root / "baseline" / f"{path.name}.sigstore.json").write_text(bundle.to_json())
        baseline = time.perf_counter() - start

        start = time.perf_counter()
        out = run(
            SignInputs(
                files=tuple(files),
                output_dir=root / "signatures",
                trust_config=standin.trust_config_path,
                provenance=False,
                attestations=False,
                verify=False,
                concurrency=args.concurrency,
            ),
            tokens=GivenToken(standin.issue_token()),
        )
        ours = time.perf_counter() - start
        assert len(out.files) == args.files

        start = time.perf_counter()
        run(
            SignInputs(
                files=tuple(files),
                output_dir=root / "signatures-full",
                trust_config=standin.trust_config_path,
                provenance=False,
                attestations=False,
                verify=True,
                concurrency=args.concurrency,
            ),
            tokens=GivenToken(standin.issue_token()),
        )
        verified = time.perf_counter() - start

    ratio = baseline / ours
    print(
        f"sign {args.files} files, {args.latency * 1000:.0f} ms Fulcio/Rekor latency, "
        f"concurrency {args.concurrency}"
    )
    print(f"  one at a time, one signer : {baseline:7.2f} s")
    print(f"  release-actions sign      : {ours:7.2f} s  ({out.certificates} certificate)")
    print(f"  ... with verify-after-sign: {verified:7.2f} s")
    print(
        f"  ratio                     : {ratio:7.1f}x  (target >= 8x: {'met' if ratio >= 8 else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
