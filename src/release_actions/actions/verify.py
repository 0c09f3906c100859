"""verify: files against their Sigstore bundles (and provenance) for an expected repository.

What a downstream user runs on downloaded release assets, and the same code ``sign``
runs right after signing (:mod:`release_actions.signing.verification`).

Example::

    out = run(VerifyInputs(
        files=(Path("dist/example-1.0.tar.gz"),), bundle_dir=Path("signatures"),
        expected=ExpectedIdentity.for_github(repository="octo/example",
                                             workflow=".github/workflows/release.yml",
                                             ref="refs/tags/v1.0"),
        offline=True,
    ))
    print([f.path for f in out.files], out.identity)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sigstore.models import ClientTrustConfig

from release_actions.actions.common import expected_identity
from release_actions.contract import Context, StepResult
from release_actions.signing.policy import ExpectedIdentity
from release_actions.signing.trust import load_trust_config, make_verifier
from release_actions.signing.verification import VerifiedFile, verify_files, verify_provenance


@dataclass(frozen=True)
class VerifyInputs:
    files: tuple[Path, ...]
    expected: ExpectedIdentity
    bundle_dir: Path = Path("signatures")
    trust_config: Path | None = None
    offline: bool = False
    provenance: Path | None = None
    concurrency: int = 8


@dataclass(frozen=True)
class VerifyOutputs:
    files: tuple[VerifiedFile, ...]
    identity: str
    expected: ExpectedIdentity
    provenance: Path | None
    seconds: float


def run(
    inputs: VerifyInputs,
    *,
    log: Callable[[str], None] = lambda _: None,
    trust: ClientTrustConfig | None = None,
) -> VerifyOutputs:
    """Verify every file (and the provenance); raise on the first that does not verify."""

    started = time.perf_counter()
    if trust is None:
        trust = load_trust_config(inputs.trust_config, offline=inputs.offline)
    verifier = make_verifier(trust)
    log(f"verifying {len(inputs.files)} file(s) for {inputs.expected.describe()}")
    verified = verify_files(
        inputs.files,
        bundle_dir=inputs.bundle_dir,
        verifier=verifier,
        expected=inputs.expected,
        concurrency=inputs.concurrency,
    )
    if inputs.provenance is not None:
        verify_provenance(inputs.provenance, verified, verifier=verifier, expected=inputs.expected)
        log(f"provenance {inputs.provenance.name} lists every file")
    identities = sorted({f.san for f in verified})
    return VerifyOutputs(
        files=tuple(verified),
        identity="\n".join(identities),
        expected=inputs.expected,
        provenance=inputs.provenance,
        seconds=time.perf_counter() - started,
    )


def main(ctx: Context) -> StepResult:
    inputs = ctx.inputs
    files = ctx.files()
    expected = expected_identity(ctx, inputs.string("repository"))
    parsed = VerifyInputs(
        files=files,
        expected=expected,
        bundle_dir=ctx.path("bundle-dir", "signatures"),
        trust_config=ctx.optional_path("trust-config"),
        offline=inputs.boolean("offline"),
        provenance=ctx.optional_path("provenance"),
    )
    with ctx.runner.group(f"verify {len(files)} file(s)"):
        out = run(parsed, log=ctx.runner.info)
    return StepResult(
        {
            "verified": "\n".join(ctx.relative(f.path) for f in out.files),
            "identity": out.identity,
        },
        summary(out),
    )


def summary(out: VerifyOutputs) -> str:
    rows = [
        "### ✅ verify",
        "",
        f"**{len(out.files)}** file(s) verified for {out.expected.describe()}"
        f"{f', provenance `{out.provenance.name}` lists them all' if out.provenance else ''}.",
        "",
        "| file | sha256 | Rekor log index |",
        "| --- | --- | ---: |",
    ]
    rows += [f"| `{f.path.name}` | `{f.sha256[:16]}…` | {f.log_index} |" for f in out.files]
    rows += ["", f"Signed by `{out.identity}`."]
    return "\n".join(rows)
