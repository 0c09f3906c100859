"""publish-pypi: upload a release's dists to PyPI (or TestPyPI, or any index), with their
PEP 740 attestations, by trusted publishing or an API token.

Example::

    out = run(
        PublishInputs(files=(Path("dist/demo-1.0.tar.gz"), Path("dist/demo-1.0-py3-none-any.whl"))),
        credentials=ApiToken("pypi-…"),
        log=print,
    )
    print([(f.filename, f.action) for f in out.files])

Everything is checked before the first upload, and a refusal uploads nothing: every dist
whole and truthfully named (the distribution model's checks, including PyPI's platform
tags); one project and one version; each file compared by sha256 with what the index
already lists under its name (Simple API) — the same bytes are skipped, other bytes refused
naming the file; with attestations, each dist's ``<dist>.publish.attestation`` present and
attesting that dist's sha256, signed by this job's workflow. Re-running after success
uploads nothing and exits 0.

Credentials: ``token`` (an API token, a secret), else trusted publishing — the job's OIDC
token (audience from the index) exchanged at ``/_/oidc/mint-token`` for a 15-minute upload
token, masked at once. The exchange is skipped when there is nothing to upload; a dry run
does it (it checks the trusted publisher) but uploads nothing. PyPI takes attestations only
from trusted publishing, so with an API token they are left out (an explicit
``attestations: true`` with a ``token`` is refused as contradictory).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from release_actions.contract import Context, StepResult
from release_actions.dists import DistFile, is_dist, one_release, require_intact
from release_actions.errors import DistCheckError, InputError
from release_actions.pypi.attestations import (
    SUFFIX,
    JobIdentity,
    attestation_for,
    check_attestation,
)
from release_actions.pypi.errors import TrustedPublishingError
from release_actions.pypi.index import IndexReader
from release_actions.pypi.publish import PlannedFile, plan_uploads, upload_planned
from release_actions.pypi.trusted import MintedToken, UploadTokens, workflow_file
from release_actions.pypi.upload import USERNAME
from release_actions.pypi.urls import PYPI_UPLOAD_URL, RepositoryUrl
from release_actions.signing.tokens import AmbientGitHubToken

FileAction = Literal["uploaded", "skipped", "would-upload", "would-skip"]


@dataclass(frozen=True)
class ApiToken:
    """An API token of the index (already masked by the caller)."""

    token: str

    def __repr__(self) -> str:
        return "ApiToken(***)"


@dataclass(frozen=True)
class TrustedPublishing:
    """The job's OIDC token for an audience, and where to register minted tokens as secrets."""

    oidc_token: Callable[[str], str]
    mask: Callable[[str], None]


Credentials = ApiToken | TrustedPublishing


@dataclass(frozen=True)
class PublishInputs:
    files: tuple[Path, ...]
    repository_url: str = PYPI_UPLOAD_URL
    index_url: str | None = None
    #: Folder of ``<dist>.publish.attestation``; None: upload without attestations.
    attestations_dir: Path | None = None
    skip_existing: bool = True
    dry_run: bool = False


@dataclass(frozen=True)
class FileReport:
    path: Path
    sha256: str
    action: FileAction
    attestation: Path | None

    @property
    def filename(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class PublishOutputs:
    files: tuple[FileReport, ...]
    project: str
    version: str
    repository_url: str
    index_url: str
    url: str
    trusted: bool
    dry_run: bool
    #: Who the trusted-publishing token was minted for (repository, workflow, environment).
    publisher: str | None = None

    def named(self, *actions: FileAction) -> list[str]:
        return [f.filename for f in self.files if f.action in actions]

    def files_json(self) -> str:
        return json.dumps(
            [
                {
                    "file": f.filename,
                    "sha256": f.sha256,
                    "action": f.action,
                    "attestation": f.attestation is not None,
                }
                for f in self.files
            ]
        )


def dists_to_publish(files: Sequence[Path]) -> list[DistFile]:
    """The intact dists among ``files`` (attestations of them tolerated), of one release."""
    names = {p.name for p in files}
    others = [
        p
        for p in files
        if not is_dist(p) and not (p.name.endswith(SUFFIX) and p.name.removesuffix(SUFFIX) in names)
    ]
    if others:
        raise InputError(
            f"`files` matches {len(others)} file(s) that are not wheels or sdists: "
            + ", ".join(p.name for p in others[:10]),
            fix="narrow `files` to the dists (e.g. `dist/*.whl` and `dist/*.tar.gz`), or keep "
            "other files out of the dist folder (the sign step writes to `signatures/`)",
            file=str(others[0]),
        )
    dists = require_intact([p for p in files if is_dist(p)], action="upload")
    if not dists:
        raise InputError("`files` matches no wheel or sdist", fix="build the dists first")
    one_release(dists)
    return dists


def run(
    inputs: PublishInputs,
    *,
    credentials: Credentials,
    log: Callable[[str], None] = lambda _: None,
) -> PublishOutputs:
    """Check everything, then upload what the index lacks (nothing in a dry run)."""
    repository = RepositoryUrl.parse(inputs.repository_url)
    index_url = repository.index_url(inputs.index_url)
    dists = dists_to_publish(inputs.files)
    release = one_release(dists)
    if release is None:  # pragma: no cover - dists_to_publish refuses no dists
        raise DistCheckError("no dists")
    project, version = release
    trusted = isinstance(credentials, TrustedPublishing)
    folder = inputs.attestations_dir if trusted else None
    # The index's read API gets the credentials only on the upload URL's own origin.
    read_auth = (
        (USERNAME, credentials.token)
        if isinstance(credentials, ApiToken) and repository.same_host(index_url)
        else None
    )
    with IndexReader(index_url, auth=read_auth, log=log) as reader:
        held = reader.files(project)
        log(f"{index_url}: {project} has {len(held.files)} file(s) on the index")
        plan = plan_uploads(
            dists,
            held,
            skip_existing=inputs.skip_existing,
            attestations=(lambda d: attestation_for(d, folder)) if folder else lambda _: None,
        )
        to_upload = [p for p in plan if p.action == "upload"]
        for item in to_upload:
            if item.attestation is not None:
                check_attestation(item.attestation, item.dist)
        password: str | UploadTokens = ""
        publisher: str | None = None
        if isinstance(credentials, ApiToken):
            password = credentials.token
        elif to_upload:
            tokens = UploadTokens(
                repository.oidc_base,
                oidc_token=credentials.oidc_token,
                on_mint=lambda minted: credentials.mask(minted.token),
                project=project,
                log=log,
            )
            minted = tokens.current()
            password, publisher = tokens, publisher_of(minted)
            log(f"trusted publishing: minted an upload token for {publisher}")
            job = JobIdentity.from_claims(minted.claims)
            for item in to_upload:
                if item.attestation is not None:
                    check_attestation(item.attestation, item.dist, job=job)
        if inputs.dry_run:
            reports = [
                _report(p, "would-upload" if p.action == "upload" else "would-skip") for p in plan
            ]
        else:
            results = upload_planned(
                plan,
                repository_url=repository.url,
                password=password,
                reader=reader,
                trusted=trusted,
                log=log,
            )
            reports = [
                FileReport(r.dist.path, r.dist.sha256, r.action, r.attestation) for r in results
            ]
    page = repository.project_page(project, str(version)) or f"{index_url}{project}/"
    return PublishOutputs(
        files=tuple(reports),
        project=project,
        version=str(version),
        repository_url=repository.url,
        index_url=index_url,
        url=page,
        trusted=trusted,
        dry_run=inputs.dry_run,
        publisher=publisher,
    )


def _report(item: PlannedFile, action: FileAction) -> FileReport:
    attestation = item.attestation if item.action == "upload" else None
    return FileReport(item.dist.path, item.dist.sha256, action, attestation)


def publisher_of(minted: MintedToken) -> str:
    """``octo/example, workflow release.yml, environment pypi`` from the token's claims."""
    claims = minted.claims
    parts = [str(claims.get("repository") or "?"), f"workflow {workflow_file(claims) or '?'}"]
    if claims.get("environment"):
        parts.append(f"environment {claims['environment']}")
    return ", ".join(parts)


def credentials_of(ctx: Context, token: str | None) -> Credentials:
    """``token`` (masked by the runner contract), else the runner's OIDC endpoint, checked."""
    if token:
        return ApiToken(token)
    env = ctx.github
    if not env.actions:
        raise TrustedPublishingError(
            "no `token`, and this is not GitHub Actions, so there is no OIDC token for "
            "trusted publishing",
            fix="pass an API token of the index in the variable INPUT_TOKEN (a `--token` flag "
            "is visible to other users of the machine), or publish from GitHub Actions with "
            "`permissions: id-token: write` and a trusted publisher for the workflow",
        )
    if not env.id_token_request_url or not env.id_token_request_token:
        raise TrustedPublishingError(
            "no `token`, and GitHub gave this job no OIDC token for trusted publishing "
            "(ACTIONS_ID_TOKEN_REQUEST_URL is not set): the job lacks the `id-token: write` "
            "permission (pull requests from forks never get it)",
            fix="add `permissions: id-token: write` to the publishing job (only that job) and "
            "register this workflow as a trusted publisher on the index; or pass an API "
            "token in `token`",
        )
    ctx.runner.mask(env.id_token_request_token)
    url, request_token = env.id_token_request_url, env.id_token_request_token

    def oidc_token(audience: str) -> str:
        source = AmbientGitHubToken(
            url=url, request_token=request_token, mask=ctx.runner.mask, audience=audience
        )
        return source.fetch()

    return TrustedPublishing(oidc_token=oidc_token, mask=ctx.runner.mask)


def main(ctx: Context) -> StepResult:
    inputs = ctx.inputs
    token = inputs.optional("token")
    attestations = inputs.boolean("attestations")
    if token and attestations and "attestations" in inputs.given:
        raise InputError(
            "`attestations: true` with a `token`: indexes take attestations only from trusted "
            "publishing (PyPI: 'Attestations are only supported when using Trusted Publishing')",
            fix="leave `token` empty to publish by trusted publishing (and keep the "
            "attestations), or set `attestations: false`",
        )
    parsed = PublishInputs(
        files=ctx.files(),
        repository_url=inputs.string("repository-url"),
        index_url=inputs.optional("index-url"),
        attestations_dir=ctx.path("attestations-dir", "signatures") if attestations else None,
        skip_existing=inputs.boolean("skip-existing"),
        dry_run=inputs.boolean("dry-run"),
    )
    # Every input is checked before the job's credentials are looked at.
    RepositoryUrl.parse(parsed.repository_url).index_url(parsed.index_url)
    dists_to_publish(parsed.files)
    credentials = credentials_of(ctx, token)
    if token and attestations:
        ctx.runner.info(
            "attestations are not uploaded with an API token (indexes take them only from "
            "trusted publishing); leave `token` empty to publish them"
        )
    title = f"publish-pypi to {parsed.repository_url}{' (dry run)' if parsed.dry_run else ''}"
    with ctx.runner.group(title):
        out = run(parsed, credentials=credentials, log=ctx.runner.info)
    return StepResult(
        {
            "uploaded": json.dumps(out.named("uploaded", "would-upload")),
            "skipped": json.dumps(out.named("skipped", "would-skip")),
            "files": out.files_json(),
            "index-url": out.index_url,
            "project": out.project,
            "version": out.version,
            "url": out.url,
        },
        summary(out),
    )


def summary(out: PublishOutputs) -> str:
    uploaded = out.named("uploaded", "would-upload")
    skipped = out.named("skipped", "would-skip")
    how = (
        f"trusted publishing ({out.publisher})"
        if out.publisher
        else "trusted publishing"
        if out.trusted
        else "an API token"
    )
    if out.dry_run:
        icon, head = (
            "🔍",
            f"**Dry run**: would upload **{len(uploaded)}** file(s) of {out.project} "
            f"{out.version} to `{out.repository_url}` with {how}; {len(skipped)} already "
            "there. Nothing was uploaded.",
        )
    else:
        icon, head = (
            "✅",
            f"[{out.project} {out.version}]({out.url}): **{len(uploaded)}** uploaded to "
            f"`{out.repository_url}` with {how}, {len(skipped)} already there (same sha256).",
        )
    rows = [
        f"### {icon} publish-pypi",
        "",
        head,
        "",
        f"Index read: `{out.index_url}`.",
        "",
    ]
    table = ["| file | action | sha256 | attestation |", "| --- | --- | --- | --- |"]
    for f in out.files:
        attested = f"`{f.attestation.name}`" if f.attestation else "—"
        table.append(f"| `{f.filename}` | {f.action} | `{f.sha256[:16]}…` | {attested} |")
    if len(out.files) > 20:
        rows += ["<details><summary>Files</summary>", "", *table, "", "</details>"]
    else:
        rows += table
    return "\n".join(rows)
