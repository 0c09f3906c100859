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

All signatures of a run are one batch of jobs on one thread pool: the bundles and the
provenance share one certificate, the PEP 740 attestations another (Rekor v1 without a
timestamp authority); each file is hashed once, before, and each result is verified as
soon as it is written. Which Rekor log signs what is decided from the trust config before
any request (:mod:`release_actions.signing.plan`): with a Rekor v2 signing config the
attestations go to its Rekor v1 log, or signing is refused up front.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from cryptography import x509
from cryptography.x509 import Certificate
from pypi_attestations import Attestation, AttestationError, Distribution
from sigstore._internal.fulcio.client import ExpiredCertificate
from sigstore.dsse import Statement
from sigstore.hashes import Hashed
from sigstore.models import Bundle, ClientTrustConfig, InvalidBundle
from sigstore.oidc import ExpiredIdentity
from sigstore.sign import Signer, SigningContext
from sigstore_models.common.v1 import HashAlgorithm

from release_actions.contract import Context, GitHubEnv, StepResult
from release_actions.dists import is_dist, sha256_file
from release_actions.errors import InputError, ReleaseActionsError
from release_actions.signing.batch import Lane, SignerPool
from release_actions.signing.checks import SEPARATE_PROCESS_FROM, AfterSignChecks, TrustSource
from release_actions.signing.errors import SigningError, VerificationFailed
from release_actions.signing.issuers import GITHUB_OIDC_ISSUER
from release_actions.signing.output import atomic_write, check_files, check_output_dir
from release_actions.signing.plan import SigningPlan, signing_plan
from release_actions.signing.policy import ExpectedIdentity
from release_actions.signing.provenance import BuildContext, provenance_name, provenance_statement
from release_actions.signing.retry import http_status
from release_actions.signing.tokens import (
    GivenToken,
    SigningIdentity,
    TokenSource,
    ambient_github_source,
)
from release_actions.signing.trust import load_trust_config, make_verifier
from release_actions.signing.verification import log_entry


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
    rekor_version: int = 1

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
    """Everything that can be checked before a certificate is requested; returns the trust.

    That includes what the trust config can sign: a Rekor v2 signing config without a
    timestamp authority, or with attestations on and no Rekor v1 log, is refused here.
    """

    check_inputs(inputs)
    trust = load_trust_config(inputs.trust_config, staging=inputs.staging)
    plan_for(inputs, trust)
    return trust


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


def attested(inputs: SignInputs) -> list[Path]:
    """The wheels and sdists that get a PEP 740 attestation."""
    return [p for p in inputs.files if is_dist(p)] if inputs.attestations else []


def plan_for(inputs: SignInputs, trust: ClientTrustConfig) -> SigningPlan:
    """Which log signs the bundles and which the attestations (see ``signing.plan``)."""
    if inputs.trust_config is not None:
        source = str(inputs.trust_config)
    else:
        source = f"Sigstore's {'staging' if inputs.staging else 'public-good'} instance"
    return signing_plan(trust, attestations=bool(attested(inputs)), source=source)


def run(
    inputs: SignInputs,
    *,
    tokens: TokenSource,
    log: Callable[[str], None] = lambda _: None,
    trust: ClientTrustConfig | None = None,
) -> SignOutputs:
    """Validate, then sign in one parallel batch: a bundle per file and the provenance
    (one certificate), an attestation per dist (a second one: Rekor v1, no TSA), each
    written atomically and verified as soon as it is written. ``trust``: what
    ``validate(inputs)`` returned, when the caller has validated already (not repeated)."""

    started = time.perf_counter()
    if trust is None:
        trust = validate(inputs)
    plan = plan_for(inputs, trust)
    contexts: dict[Lane, SigningContext] = {"bundles": plan.bundles}
    if plan.attestations is not None:
        contexts["attestations"] = plan.attestations
    pool = SignerPool(contexts, tokens, given_token=isinstance(tokens, GivenToken), log=log)
    identity = pool.start()
    log(
        f"signing {len(inputs.files)} file(s) as {identity.san} (issuer {identity.issuer}) "
        f"with {plan.describe()}"
    )
    checks = None
    if inputs.verify:
        jobs = len(inputs.files) + len(attested(inputs)) + int(inputs.provenance)
        checks = AfterSignChecks(
            TrustSource(inputs.trust_config, staging=inputs.staging),
            make_verifier(trust),
            expected_identity(identity),
            separate_process=jobs >= SEPARATE_PROCESS_FROM,
        )
        if jobs >= SEPARATE_PROCESS_FROM:
            log(f"verifying the {jobs} results in a separate process while signing")
    batch = _Batch(inputs, pool, checks=checks)
    batch.run(identity)
    if inputs.verify:
        log(f"verified {len(batch.bundles)} bundle(s) for {identity.san}")
    return SignOutputs(
        files=tuple(batch.bundles[p] for p in inputs.files),
        identity=identity,
        provenance=batch.provenance,
        attestations=tuple(batch.attestations[p] for p in attested(inputs)),
        verified=inputs.verify,
        certificates=pool.certificates,
        seconds=time.perf_counter() - started,
        trust_config=inputs.trust_config,
        output_dir=inputs.output_dir,
        rekor_version=plan.rekor_version,
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


#: One unit of work in the batch: (what it does, for the error message; its file; the work).
_Job = tuple[str, Path, Callable[[], None]]


class _Batch:
    """Every signature of one run as one list of jobs over one thread pool.

    The files are hashed first (in parallel), so the provenance and the attestations need
    no second pass over them; then each bundle, attestation and the provenance is signed,
    written and (with ``verify``) handed to the checks (:mod:`release_actions.signing.checks`:
    the path ``verify`` uses, beside the signing). The first failure stops the rest. When
    a verification fails, everything this run wrote is removed again, so nothing
    unverified is uploaded.
    """

    def __init__(self, inputs: SignInputs, pool: SignerPool, *, checks: AfterSignChecks | None):
        self.inputs = inputs
        self.pool = pool
        self.checks = checks
        self.digests: dict[Path, str] = {}
        self.bundles: dict[Path, SignedFile] = {}
        self.attestations: dict[Path, Path] = {}
        self.provenance: SignedFile | None = None
        self._written: list[Path] = []
        self._build: BuildContext = inputs.build

    def run(self, identity: SigningIdentity) -> None:
        inputs = self.inputs
        self._build = inputs.build.completed(identity.claims)
        files = inputs.files
        workers = max(1, min(inputs.concurrency, len(files) * 2 + 1))
        with ThreadPoolExecutor(max_workers=workers) as executor:
            jobs: list[_Job] = [("hash", p, partial(self._hash, p)) for p in files]
            _run_all(executor, jobs)
            jobs = [("sign", p, partial(self._bundle, p)) for p in files]
            jobs += [("attest", p, partial(self._attestation, p)) for p in attested(inputs)]
            if inputs.provenance:
                name = provenance_name(files, label=inputs.provenance_label)
                target = inputs.output_dir / name
                jobs.append(("sign the provenance", target, partial(self._provenance, name)))
            try:
                try:
                    _run_all(executor, jobs)
                except BaseException:
                    if self.checks is not None:
                        self.checks.abandon()
                    raise
                if self.checks is not None:
                    self.checks.close()
            except VerificationFailed:
                for path in self._written:
                    with contextlib.suppress(OSError):
                        path.unlink()
                raise

    def _stopped(self) -> bool:
        """A check failed: sign nothing more (what was written is removed)."""
        return self.checks is not None and self.checks.failed.is_set()

    def _write(self, target: Path, data: bytes) -> None:
        atomic_write(target, data)
        self._written.append(target)

    def _hash(self, path: Path) -> None:
        self.digests[path] = sha256_file(path)

    def _bundle(self, path: Path) -> None:
        if self._stopped():
            return
        digest = self.digests[path]
        hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(digest))
        bundle = self.pool.run(
            lambda signer: signer.sign_artifact(hashed),
            what=f"signing {path.name}",
            certificate=_bundle_cert,
        )
        target = self.inputs.output_dir / f"{path.name}.sigstore.json"
        text = bundle.to_json()
        self._write(target, text.encode())
        if self.checks is not None:
            self.checks.file(path, target)
        index, when = log_entry(text)
        self.bundles[path] = SignedFile(path, digest, target, index, when)

    def _attestation(self, path: Path) -> None:
        if self._stopped():
            return
        digest = self.digests[path]
        dist = Distribution(name=path.name, digest=digest)

        def attest(signer: Signer) -> Attestation:
            try:
                return Attestation.sign(signer, dist)
            except AttestationError as exc:
                # pypi-attestations wraps expiry; unwrap it so the pool refreshes.
                if isinstance(exc.__context__, ExpiredCertificate | ExpiredIdentity):
                    raise exc.__context__ from None
                raise

        attestation = self.pool.run(
            attest,
            what=f"attesting {path.name}",
            certificate=_attestation_cert,
            lane="attestations",
        )
        target = self.inputs.output_dir / f"{path.name}.publish.attestation"
        self._write(target, attestation.model_dump_json().encode())
        if self.checks is not None:
            self.checks.attestation(target, path, digest)
        self.attestations[path] = target

    def _provenance(self, name: str) -> None:
        if self._stopped():
            return
        subjects = [(p.name, self.digests[p]) for p in self.inputs.files]
        statement = provenance_statement(subjects, self._build)
        payload = Statement(json.dumps(statement, separators=(",", ":")).encode())
        bundle = self.pool.run(
            lambda signer: signer.sign_dsse(payload),
            what=f"signing the provenance {name}",
            certificate=_bundle_cert,
        )
        target = self.inputs.output_dir / name
        text = bundle.to_json().replace("\n", "") + "\n"
        self._write(target, text.encode())
        if self.checks is not None:
            self.checks.provenance(target, [(p, self.digests[p]) for p in self.inputs.files])
        index, when = log_entry(text)
        self.provenance = SignedFile(target, sha256_file(target), target, index, when)


def _run_all(executor: ThreadPoolExecutor, jobs: list[_Job]) -> None:
    """Run ``jobs`` on ``executor``; the first failure cancels the ones not started and is
    raised (a ``ReleaseActionsError`` as it is, anything else naming its file)."""
    if not jobs:
        return
    futures: dict[Future[None], _Job] = {executor.submit(job[2]): job for job in jobs}
    done, _ = wait(futures, return_when=FIRST_EXCEPTION)
    failed = next((f for f in futures if f in done and f.exception() is not None), None)
    if failed is None:
        return
    for future in futures:
        future.cancel()
    wait(futures)  # the ones already running finish (their files are complete)
    what, path, _ = futures[failed]
    error = failed.exception() or RuntimeError("unknown failure")
    if isinstance(error, ReleaseActionsError):
        raise error
    raise _signing_failure(path, what, error) from error


def _signing_failure(path: Path, what: str, error: BaseException) -> SigningError:

    status = http_status(error)
    detail = f"HTTP {status}" if status else (str(error) or type(error).__name__)
    service = "Rekor" if "Rekor" in type(error).__name__ else "Sigstore"
    if isinstance(error, InvalidBundle):
        # sigstore logged the timestamp authority's failure as a warning and went on; a
        # Rekor v2 entry without a timestamp makes no bundle.
        service = "the timestamp authority"
        detail = "it gave no RFC 3161 timestamp, which a Rekor v2 entry needs"
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
    log = f"Rekor v{out.rekor_version}"
    if out.rekor_version == 2:
        log += ": no integrated times, the RFC 3161 timestamps give the signing time"
    rows = [
        "### ✅ sign",
        "",
        f"Signed **{len(out.files)}** file(s) as `{identity.san}` (issuer `{identity.issuer}`), "
        f"{verified}, with {out.certificates} certificate(s) in {out.seconds:.1f} s ({log}).",
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
