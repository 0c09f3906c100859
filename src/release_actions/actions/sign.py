"""sign: a Sigstore bundle for every file, SLSA provenance, PEP 740 attestations, verified.

Example::

    out = run(
        SignInputs(files=(Path("dist/example-1.0.tar.gz"),), output_dir=Path("signatures")),
        tokens=GivenToken(token),
        log=print,
    )
    print(out.identity.san, [f.bundle for f in out.files], out.provenance)

Re-running converges: every bundle, the provenance and the attestations are signed anew
and atomically replace what is there (a temporary file, then ``os.replace``), so a failed
or repeated run never leaves a partial or stale-for-this-file signature behind. Nothing is
skipped on the strength of an old bundle: a new signature costs one Rekor entry and proves
the identity of *this* run. When the verification after signing fails, the files this run
wrote are removed again, so nothing unverified is uploaded.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from cryptography import x509
from cryptography.x509 import Certificate
from pypi_attestations import Attestation, AttestationError, Distribution
from sigstore._internal.fulcio.client import ExpiredCertificate
from sigstore.dsse import Statement
from sigstore.hashes import Hashed
from sigstore.models import Bundle, ClientTrustConfig
from sigstore.oidc import ExpiredIdentity
from sigstore.sign import Signer, SigningContext
from sigstore_models.common.v1 import HashAlgorithm

from release_actions.contract import Context, GitHubEnv, InputSpec, OutputSpec, Step, StepResult
from release_actions.dists import is_dist, sha256_file
from release_actions.errors import InputError, ReleaseActionsError
from release_actions.signing.batch import SignerPool
from release_actions.signing.errors import SigningError
from release_actions.signing.output import atomic_write, check_files, check_output_dir
from release_actions.signing.policy import ExpectedIdentity
from release_actions.signing.provenance import BuildContext, provenance_name, provenance_statement
from release_actions.signing.retry import http_status
from release_actions.signing.tokens import (
    GITHUB_OIDC_ISSUER,
    GivenToken,
    SigningIdentity,
    TokenSource,
    ambient_github_source,
)
from release_actions.signing.trust import load_trust_config, make_verifier
from release_actions.signing.verification import (
    log_entry,
    verify_attestation,
    verify_files,
    verify_provenance,
)

T = TypeVar("T")

INPUTS = (
    InputSpec(
        "files",
        "Files to sign: globs relative to the workspace, one per line (`!` excludes).",
        required=True,
        kind="lines",
    ),
    InputSpec(
        "output-dir",
        "Folder for bundles, provenance and attestations. Never inside `dist/` "
        "(leftovers there break `twine upload dist/*`).",
        default="signatures",
    ),
    InputSpec(
        "trust-config",
        "Path of a Sigstore ClientTrustConfig JSON (private instance, stand-in). "
        "Empty: the public-good production instance.",
        default="",
    ),
    InputSpec(
        "staging",
        "Use Sigstore's staging instance (testing only).",
        default="false",
        kind="boolean",
    ),
    InputSpec(
        "identity-token",
        "OIDC identity token for the audience `sigstore`. Empty: the job's ambient GitHub "
        "token (needs `permissions: id-token: write`), refreshed when it expires.",
        default="",
        secret=True,
    ),
    InputSpec(
        "provenance",
        "Sign one SLSA v1 provenance statement over all files as `<name>-<version>.intoto.jsonl`.",
        default="true",
        kind="boolean",
    ),
    InputSpec(
        "provenance-label",
        "Label for the provenance file name, e.g. `cp313` gives `<name>-<version>-cp313.intoto.jsonl` "
        "(for later batches of wheels).",
        default="",
    ),
    InputSpec(
        "attestations",
        "Write PEP 740 attestations `<dist>.publish.attestation` for each wheel and sdist "
        "(for `twine upload --attestations`).",
        default="true",
        kind="boolean",
    ),
    InputSpec(
        "verify",
        "Verify every result against the identity of the token before finishing.",
        default="true",
        kind="boolean",
    ),
    InputSpec(
        "concurrency",
        "Files signed at once, sharing one certificate (signing waits on Rekor, not the CPU).",
        default="16",
        kind="integer",
        minimum=1,
        maximum=64,
    ),
    InputSpec(
        "dry-run",
        "Validate files, output folder, trust config and the token's availability, print what "
        "would be written, and sign nothing (no certificate, no Rekor entry, no file).",
        default="false",
        kind="boolean",
    ),
)

OUTPUTS = (
    OutputSpec("bundles", "The Sigstore bundles written, one path per line."),
    OutputSpec("provenance", "The provenance file's path (empty when not made)."),
    OutputSpec("attestations", "The PEP 740 attestation files, one path per line."),
    OutputSpec("identity", "The signing certificate's identity (SAN), e.g. the workflow URL."),
    OutputSpec(
        "log-entries",
        "JSON list of `{file, bundle, logIndex, integratedTime}`, one per signed file.",
    ),
)


@dataclass(frozen=True)
class SignInputs:
    files: tuple[Path, ...]
    output_dir: Path = Path("signatures")
    trust_config: Path | None = None
    staging: bool = False
    provenance: bool = True
    provenance_label: str | None = None
    attestations: bool = True
    verify: bool = True
    concurrency: int = 16
    #: The run, as the runner's variables describe it, for the provenance.
    build: BuildContext = field(default_factory=BuildContext)


@dataclass(frozen=True)
class SignedFile:
    path: Path
    sha256: str
    bundle: Path
    log_index: int | None
    integrated_time: int | None


@dataclass(frozen=True)
class SignOutputs:
    files: tuple[SignedFile, ...]
    identity: SigningIdentity
    provenance: SignedFile | None
    attestations: tuple[Path, ...]
    verified: bool
    certificates: int
    seconds: float
    trust_config: Path | None = None
    output_dir: Path = Path("signatures")

    def log_entries(self) -> list[dict[str, object]]:
        return [
            {
                "file": f.path.name,
                "bundle": f.bundle.name,
                "logIndex": f.log_index,
                "integratedTime": f.integrated_time,
            }
            for f in self.files
        ]


def validate(inputs: SignInputs) -> ClientTrustConfig:
    """Everything that can be checked before a certificate is requested; returns the trust."""

    check_inputs(inputs)
    return load_trust_config(inputs.trust_config, staging=inputs.staging)


def check_inputs(inputs: SignInputs) -> None:
    """Files, output folder, concurrency and provenance naming (no trust config)."""

    check_files(inputs.files)
    check_output_dir(inputs.output_dir, inputs.files)
    if inputs.concurrency < 1:
        raise InputError(
            f"concurrency {inputs.concurrency} is below 1", fix="set `concurrency` to 1 or more"
        )
    if inputs.provenance:
        provenance_name(inputs.files, label=inputs.provenance_label)


def run(
    inputs: SignInputs,
    *,
    tokens: TokenSource,
    log: Callable[[str], None] = lambda _: None,
    trust: ClientTrustConfig | None = None,
) -> SignOutputs:
    """Validate, sign every file in parallel with one certificate, write atomically, verify."""

    started = time.perf_counter()
    if trust is None:
        trust = validate(inputs)
    else:
        check_inputs(inputs)
    out_dir = inputs.output_dir
    pool = SignerPool(
        SigningContext.from_trust_config(trust),
        tokens,
        given_token=isinstance(tokens, GivenToken),
        log=log,
    )
    identity = pool.start()
    log(f"signing {len(inputs.files)} file(s) as {identity.san} (issuer {identity.issuer})")

    def sign_one(path: Path) -> SignedFile:
        digest = sha256_file(path)
        hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(digest))
        bundle = pool.run(
            lambda signer: signer.sign_artifact(hashed),
            what=f"signing {path.name}",
            certificate=_bundle_cert,
        )
        target = out_dir / f"{path.name}.sigstore.json"
        atomic_write(target, bundle.to_json().encode())
        index, when = _log_entry(bundle)
        return SignedFile(path, digest, target, index, when)

    def attest_one(path: Path) -> Path:
        dist = Distribution.from_file(path)

        def attest(signer: Signer) -> Attestation:
            try:
                return Attestation.sign(signer, dist)
            except AttestationError as exc:
                # pypi-attestations wraps expiry; unwrap it so the pool refreshes.
                if isinstance(exc.__context__, ExpiredCertificate | ExpiredIdentity):
                    raise exc.__context__ from None
                raise

        attestation = pool.run(attest, what=f"attesting {path.name}", certificate=_attestation_cert)
        target = out_dir / f"{path.name}.publish.attestation"
        atomic_write(target, attestation.model_dump_json().encode())
        return target

    signed = _parallel(sign_one, inputs.files, inputs.concurrency, what="sign")
    dists = [p for p in inputs.files if is_dist(p)] if inputs.attestations else []
    attestations = _parallel(attest_one, dists, inputs.concurrency, what="attest")
    provenance: SignedFile | None = None
    if inputs.provenance:
        name = provenance_name(inputs.files, label=inputs.provenance_label)
        build = inputs.build.completed(identity.claims)
        statement = provenance_statement([(f.path.name, f.sha256) for f in signed], build)
        payload = Statement(json.dumps(statement, separators=(",", ":")).encode())
        bundle = pool.run(
            lambda signer: signer.sign_dsse(payload),
            what=f"signing the provenance {name}",
            certificate=_bundle_cert,
        )
        target = out_dir / name
        atomic_write(target, (bundle.to_json().replace("\n", "") + "\n").encode())
        index, when = _log_entry(bundle)
        provenance = SignedFile(target, sha256_file(target), target, index, when)
    if inputs.verify:
        verify_signed(
            trust,
            identity,
            signed,
            provenance=provenance.path if provenance else None,
            attestations=attestations,
            concurrency=inputs.concurrency,
        )
        log(f"verified {len(signed)} bundle(s) for {identity.san}")
    return SignOutputs(
        files=tuple(signed),
        identity=identity,
        provenance=provenance,
        attestations=tuple(attestations),
        verified=inputs.verify,
        certificates=pool.certificates,
        seconds=time.perf_counter() - started,
        trust_config=inputs.trust_config,
        output_dir=out_dir,
    )


def expected_identity(identity: SigningIdentity) -> ExpectedIdentity:
    """What the token's own claims say the certificate must carry."""
    if identity.is_github:
        return ExpectedIdentity(
            issuer=identity.issuer,
            san=identity.san,
            repository=identity.repository,
            ref=identity.ref,
        )
    return ExpectedIdentity(issuer=identity.issuer, san=identity.san)


def verify_signed(
    trust: ClientTrustConfig,
    identity: SigningIdentity,
    signed: list[SignedFile],
    *,
    provenance: Path | None,
    attestations: list[Path],
    concurrency: int,
) -> None:
    """Verify-after-sign through the same path ``verify`` uses; on failure remove the outputs."""

    verifier = make_verifier(trust)
    expected = expected_identity(identity)
    by_dir: dict[Path, list[Path]] = {}
    for item in signed:
        by_dir.setdefault(item.bundle.parent, []).append(item.path)
    try:
        verified = []
        for bundle_dir, paths in by_dir.items():
            verified += verify_files(
                paths,
                bundle_dir=bundle_dir,
                verifier=verifier,
                expected=expected,
                concurrency=concurrency,
            )
        if provenance is not None:
            verify_provenance(provenance, verified, verifier=verifier, expected=expected)
        digests = {f.path.name: f.sha256 for f in signed}
        for attestation in attestations:
            dist_name = attestation.name.removesuffix(".publish.attestation")
            dist = next(f.path for f in signed if f.path.name == dist_name)
            verify_attestation(
                attestation, dist, digests[dist_name], verifier=verifier, expected=expected
            )
    except ReleaseActionsError:
        for path in [
            *(f.bundle for f in signed),
            *attestations,
            *([provenance] if provenance else []),
        ]:
            with contextlib.suppress(OSError):
                path.unlink()
        raise


def _parallel(
    work: Callable[[Path], T], paths: tuple[Path, ...] | list[Path], concurrency: int, *, what: str
) -> list[T]:
    """``work`` over ``paths`` with ``concurrency`` threads; the first failure stops the rest
    and is raised naming its file."""
    if not paths:
        return []
    with ThreadPoolExecutor(max_workers=min(concurrency, len(paths))) as executor:
        futures: dict[Future[T], Path] = {executor.submit(work, p): p for p in paths}
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        failed = next((f for f in futures if f in done and f.exception() is not None), None)
        if failed is not None:
            for future in futures:
                future.cancel()
            path = futures[failed]
            error = failed.exception() or RuntimeError("unknown failure")
            if isinstance(error, ReleaseActionsError):
                raise error
            raise _signing_failure(path, what, error) from error
        return [future.result() for future in futures]


def _signing_failure(path: Path, what: str, error: BaseException) -> SigningError:

    status = http_status(error)
    detail = f"HTTP {status}" if status else (str(error) or type(error).__name__)
    service = "Rekor" if "Rekor" in type(error).__name__ else "Sigstore"
    return SigningError(
        f"could not {what} {path.name}: {service} failed ({detail}); no bundle was written for it",
        fix="re-run the step (signing converges: existing bundles are replaced); if it "
        "persists check https://status.sigstore.dev",
        file=str(path),
    )


def _bundle_cert(bundle: Bundle) -> Certificate:
    return bundle.signing_certificate


def _attestation_cert(attestation: Attestation) -> Certificate:

    return x509.load_der_x509_certificate(attestation.verification_material.certificate)


def _log_entry(bundle: Bundle) -> tuple[int | None, int | None]:

    return log_entry(bundle)


def token_source(ctx: Context, given: str | None) -> TokenSource:
    """The ``identity-token`` input, else the runner's ambient token (both masked)."""
    if given:
        ctx.runner.mask(given)
        return GivenToken(given)
    env = ctx.github
    return ambient_github_source(
        on_actions=env.actions,
        event_name=env.event_name,
        event=env.event_payload,
        request_url=env.id_token_request_url,
        request_token=env.id_token_request_token,
        mask=ctx.runner.mask,
    )


def build_context(env: GitHubEnv) -> BuildContext:
    """The run as the runner's variables describe it (the provenance's build definition)."""
    return BuildContext(
        server_url=env.server_url,
        repository=env.repository,
        workflow_ref=env.workflow_ref,
        ref=env.ref,
        sha=env.sha,
        event_name=env.event_name,
        run_id=env.run_id,
        run_attempt=env.run_attempt,
        repository_id=env.repository_id,
        repository_owner_id=env.repository_owner_id,
        runner_environment=env.runner_environment,
    )


def main(ctx: Context) -> StepResult:
    inputs = ctx.inputs
    files = ctx.files()
    parsed = SignInputs(
        files=files,
        output_dir=ctx.path("output-dir", "signatures"),
        trust_config=ctx.optional_path("trust-config"),
        staging=inputs.boolean("staging"),
        provenance=inputs.boolean("provenance"),
        provenance_label=inputs.optional("provenance-label"),
        attestations=inputs.boolean("attestations"),
        verify=inputs.boolean("verify"),
        concurrency=inputs.integer("concurrency"),
        build=build_context(ctx.github),
    )
    trust = validate(parsed)  # before asking anyone for a token
    tokens = token_source(ctx, inputs.optional("identity-token"))
    if inputs.boolean("dry-run"):
        return dry_run(parsed, ctx.relative)
    with ctx.runner.group(f"sign {len(files)} file(s)"):
        out = run(parsed, tokens=tokens, log=ctx.runner.info, trust=trust)
        ctx.runner.info(
            f"signed {len(out.files)} file(s) in {out.seconds:.1f} s with "
            f"{out.certificates} certificate(s)"
        )
    rel = ctx.relative
    return StepResult(
        {
            "bundles": "\n".join(rel(f.bundle) for f in out.files),
            "provenance": rel(out.provenance.path) if out.provenance else "",
            "attestations": "\n".join(rel(p) for p in out.attestations),
            "identity": out.identity.san,
            "log-entries": json.dumps(out.log_entries()),
        },
        summary(out, rel),
    )


def dry_run(inputs: SignInputs, rel: Callable[[Path], str]) -> StepResult:
    """What signing would write; every check has passed, nothing is requested or written."""

    out = inputs.output_dir
    bundles = [out / f"{f.name}.sigstore.json" for f in inputs.files]
    dists = [f for f in inputs.files if is_dist(f)]
    attestations = (
        [out / f"{f.name}.publish.attestation" for f in dists] if inputs.attestations else []
    )
    provenance = (
        out / provenance_name(inputs.files, label=inputs.provenance_label)
        if inputs.provenance
        else None
    )
    planned = [*bundles, *([provenance] if provenance else []), *attestations]
    rows = [
        "### 🔍 sign (dry run)",
        "",
        f"Would sign **{len(inputs.files)}** file(s) and write {len(planned)} file(s); "
        "nothing was signed or written.",
        "",
        "| would write |",
        "| --- |",
        *(f"| `{rel(path)}` |" for path in planned),
    ]
    return StepResult(
        {
            "bundles": "\n".join(rel(b) for b in bundles),
            "provenance": rel(provenance) if provenance else "",
            "attestations": "\n".join(rel(a) for a in attestations),
            "identity": "",
            "log-entries": "[]",
        },
        "\n".join(rows),
    )


def summary(out: SignOutputs, rel: Callable[[Path], str] = str) -> str:
    identity = out.identity
    verified = "verified" if out.verified else "**not verified** (`verify: false`)"
    rows = [
        "### ✅ sign",
        "",
        f"Signed **{len(out.files)}** file(s) as `{identity.san}` (issuer `{identity.issuer}`), "
        f"{verified}, with {out.certificates} certificate(s) in {out.seconds:.1f} s.",
        "",
    ]
    table = ["| file | bundle | Rekor log index |", "| --- | --- | ---: |"]
    table += [f"| `{f.path.name}` | `{f.bundle.name}` | {f.log_index} |" for f in out.files]
    if out.provenance:
        table.append(
            f"| provenance (SLSA v1) | `{out.provenance.path.name}` | {out.provenance.log_index} |"
        )
    if len(out.files) > 20:
        rows += ["<details><summary>Files and bundles</summary>", "", *table, "", "</details>"]
    else:
        rows += table
    if out.attestations:
        rows += ["", f"PEP 740 attestations: {', '.join(f'`{p.name}`' for p in out.attestations)}."]
    bundle_dir = rel(out.output_dir)
    rows += ["", "**Verify** (the dists next to their bundles' folder):", "", "```sh"]
    repo = identity.repository or "<owner>/<repo>"
    workflow = ""
    if identity.is_github:
        path = identity.san.removeprefix("https://github.com/").split("@", 1)[0]
        workflow_path = path.removeprefix(f"{repo}/")
        workflow = f" --workflow {workflow_path}"
    ref = f" --ref {identity.ref}" if identity.ref else ""
    trust = f" --trust-config {rel(out.trust_config)}" if out.trust_config else ""
    provenance = f" --provenance {bundle_dir}/{out.provenance.path.name}" if out.provenance else ""
    issuer = "" if identity.issuer == GITHUB_OIDC_ISSUER else f" --issuer {identity.issuer}"
    files = " ".join(sorted({f"'{rel(f.path.parent)}/*'" for f in out.files}))
    rows.append(
        f"release-actions verify --files {files} --bundle-dir {bundle_dir} --repository {repo}"
        f"{workflow}{ref}{issuer}{trust}{provenance}"
    )
    first = out.files[0].path if out.files else Path("FILE")
    rows.append(
        f"sigstore verify identity --bundle {bundle_dir}/{first.name}.sigstore.json "
        f"--cert-identity {identity.san} --cert-oidc-issuer {identity.issuer} "
        f"{rel(first)}"
    )
    rows.append("```")
    return "\n".join(rows)


STEP = Step(
    name="sign",
    description="Sign files with Sigstore: bundles, SLSA provenance, PEP 740 attestations, verified.",
    inputs=INPUTS,
    outputs=OUTPUTS,
    main=main,
)
