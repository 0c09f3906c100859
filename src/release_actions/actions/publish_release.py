"""publish-release: publish the tag's draft, after checking what it holds.

Example::

    target = GitHubTarget(api_url="https://api.github.com", repository="octo/demo", token="ghs_…")
    out = run(PublishReleaseInputs(tag="v1.2.3", expected=ExpectedIdentity.for_github(
        repository="octo/demo")), target=target, log=print)
    print(out.published, out.latest, out.immutable)

Before the one write (``PATCH draft=false``), everything is checked: the draft is found
among all releases (drafts never appear by tag); with ``verify`` (the default) every wheel
and sdist on it has a Sigstore bundle beside it that verifies, for the expected identity,
against the dist's exact bytes, and the release is consistent (every signature, attestation
and provenance on it describes the bytes there). "Latest" is decided in the publishing call
itself (GitHub does not remember it from the draft); a pre-release stays a pre-release and
is never latest. A release that is already published and consistent is left as it is: the
re-run after success changes nothing. Whether the repository's releases are immutable is
reported — then the published release takes no later wheels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from github.GithubException import GithubException
from github.GitRelease import GitRelease
from sigstore.models import ClientTrustConfig

from release_actions.actions.common import (
    expected_identity,
    github_target,
    version_of_tag,
)
from release_actions.consistency import Consistency, ReleaseFile, check_consistency
from release_actions.contract import Context, StepResult, bool_output
from release_actions.dists import is_dist
from release_actions.errors import InconsistentReleaseError, ReleaseStateError
from release_actions.github.client import GitHubTarget
from release_actions.github.plan import RemoteAsset
from release_actions.github.publishing import (
    MakeLatest,
    decide_latest,
    immutable_releases,
    publish,
)
from release_actions.github.releases import list_releases, releases_for_tag
from release_actions.github.session import ReleaseSession
from release_actions.signing.claims import BUNDLE_SUFFIXES
from release_actions.signing.errors import VerificationFailed
from release_actions.signing.policy import ExpectedIdentity
from release_actions.signing.trust import load_trust_config, make_verifier
from release_actions.signing.verification import parse_bundle, verify_digest


@dataclass(frozen=True)
class PublishReleaseInputs:
    tag: str
    expected: ExpectedIdentity | None
    tag_prefix: str = "v"
    make_latest: MakeLatest = "auto"
    trust_config: Path | None = None
    offline: bool = False
    discussion_category: str | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class PublishReleaseOutputs:
    tag: str
    release_id: int
    html_url: str
    prerelease: bool
    published: bool
    latest: bool
    immutable: bool | None
    consistency: Consistency | None
    verified: tuple[str, ...] = field(default=())
    dry_run: bool = False


def run(
    inputs: PublishReleaseInputs,
    *,
    target: GitHubTarget,
    log: Callable[[str], None] = lambda _: None,
    trust: ClientTrustConfig | None = None,
) -> PublishReleaseOutputs:
    """Check the draft, then publish it; see the module docstring."""
    version = version_of_tag(inputs.tag, inputs.tag_prefix)
    if inputs.expected is not None and trust is None:
        trust = load_trust_config(inputs.trust_config, offline=inputs.offline)
    doing = f"publishing release {inputs.tag}"
    with ReleaseSession(target, log=log, doing=doing) as session:
        releases = list_releases(session.repo, session.policy)
        found = releases_for_tag(releases, inputs.tag)
        if len(found.drafts) > 1:
            ids = ", ".join(str(d.id) for d in found.drafts)
            raise ReleaseStateError(
                f"{len(found.drafts)} draft releases exist for tag {inputs.tag} (ids {ids})",
                fix="delete the extra drafts on the releases page so one remains, then re-run",
            )
        release = found.published or (found.drafts[0] if found.drafts else None)
        if release is None:
            raise ReleaseStateError(
                f"there is no release (draft or published) for tag {inputs.tag}",
                fix="create the draft first with the draft-release action; publish-release "
                "only publishes an existing draft",
            )
        assets = session.assets(release)
        report = check_consistency([_release_file(session, a) for a in assets])
        if not report.ok:
            raise InconsistentReleaseError(
                f"release {inputs.tag} is inconsistent: {'; '.join(report.problems)}",
                fix=f"sign the dists again and replace {', '.join(report.stale)} on the "
                "release (add-wheels-to-release with `overwrite: true` on a draft), then re-run",
            )
        verified: tuple[str, ...] = ()
        if inputs.expected is not None and trust is not None:
            verified = _verify(session, assets, inputs.expected, trust, log=log)
        immutable = immutable_releases(session.repo, session.policy)
        if not release.draft:
            log(f"release {inputs.tag} is already published and consistent: nothing to do")
            return PublishReleaseOutputs(
                inputs.tag, release.id, release.html_url, release.prerelease, False,
                _is_latest(session, release), immutable, report, verified, inputs.dry_run,
            )  # fmt: skip
        if release.prerelease and version is not None and not version.is_prerelease:
            log(f"{inputs.tag} is a final version on a draft marked pre-release: it stays one")
        published_versions = [
            v
            for r in releases
            if not r.draft and (v := version_of_tag(r.tag_name, inputs.tag_prefix)) is not None
        ]
        effective = None if release.prerelease else version
        latest = decide_latest(inputs.make_latest, version=effective, published=published_versions)
        verb = "would publish" if inputs.dry_run else "publishing"
        log(f"{verb} draft {release.id} for {inputs.tag} (latest: {bool_output(latest)})")
        if not inputs.dry_run:
            release = publish(
                release,
                session.policy,
                make_latest=latest,
                discussion_category=inputs.discussion_category,
            )
        return PublishReleaseOutputs(
            inputs.tag, release.id, release.html_url, release.prerelease, not inputs.dry_run,
            latest, immutable, report, verified, inputs.dry_run,
        )  # fmt: skip


def _release_file(session: ReleaseSession, asset: RemoteAsset) -> ReleaseFile:
    digest = asset.digest.removeprefix("sha256:") if asset.digest else None
    return ReleaseFile(asset.name, digest, lambda: session.read(asset))


def _verify(
    session: ReleaseSession,
    assets: list[RemoteAsset],
    expected: ExpectedIdentity,
    trust: ClientTrustConfig,
    *,
    log: Callable[[str], None],
) -> tuple[str, ...]:
    """Every dist against the bundle beside it, for ``expected``; returns the verified names."""
    by_name = {a.name: a for a in assets}
    dists = [a for a in assets if is_dist(a.name)]
    if not dists:
        raise VerificationFailed(
            "the draft holds no wheel or sdist to verify",
            fix="upload the dists with draft-release first, or set `verify: false`",
        )
    verifier = make_verifier(trust)
    verified = []
    for dist in dists:
        bundle_asset = next(
            (by_name[n] for s in BUNDLE_SUFFIXES if (n := dist.name + s) in by_name), None
        )
        if bundle_asset is None:
            raise VerificationFailed(
                f"{dist.name} has no Sigstore bundle on the release "
                f"(looked for {dist.name}{BUNDLE_SUFFIXES[0]})",
                fix="sign the dists (sign step) and upload the bundles with draft-release or "
                "add-wheels-to-release, or set `verify: false`",
            )
        sha256 = (dist.digest or "").removeprefix("sha256:") or session.sha256(dist)
        bundle = parse_bundle(bundle_asset.name, session.read(bundle_asset).decode("utf-8"))
        verify_digest(dist.name, sha256, bundle, verifier=verifier, expected=expected)
        verified.append(dist.name)
    log(f"verified {len(verified)} dist(s) for {expected.describe()}")
    return tuple(verified)


def _is_latest(session: ReleaseSession, release: GitRelease) -> bool:
    """Whether ``release`` is the repository's latest now (``GET /releases/latest``)."""
    try:
        return session.policy.call(
            lambda: session.repo.get_latest_release().id == release.id,
            what="reading the latest release",
        )
    except GithubException as exc:
        if exc.status == 404:  # no latest release at all
            return False
        raise


def main(ctx: Context) -> StepResult:
    inputs = ctx.inputs
    target = github_target(ctx)
    tag = ctx.tag()
    expected = None
    if inputs.boolean("verify"):
        expected = expected_identity(ctx, inputs.optional("repository") or ctx.github.repository)
    parsed = PublishReleaseInputs(
        tag=tag,
        expected=expected,
        tag_prefix=inputs.raw["tag-prefix"].strip(),
        make_latest=cast(MakeLatest, inputs.string("make-latest")),
        trust_config=ctx.optional_path("trust-config"),
        offline=inputs.boolean("offline"),
        discussion_category=inputs.optional("discussion-category"),
        dry_run=inputs.boolean("dry-run"),
    )
    trust = load_trust_config(parsed.trust_config, offline=parsed.offline) if expected else None
    with ctx.runner.group(f"publish-release {tag}{' (dry run)' if parsed.dry_run else ''}"):
        out = run(parsed, target=target, log=ctx.runner.info, trust=trust)
    if out.immutable and (out.published or out.dry_run):
        ctx.runner.notice(
            f"the repository's releases are immutable: once published, {tag} takes no more "
            "assets; add later wheels (new CPython, new platform) before publishing, or ship "
            "them in a new release"
        )
    return StepResult(
        {
            "release-id": str(out.release_id),
            "html-url": out.html_url,
            "published": bool_output(out.published),
            "latest": bool_output(out.latest),
            "immutable": "" if out.immutable is None else bool_output(out.immutable),
        },
        summary(out),
    )


def summary(out: PublishReleaseOutputs) -> str:
    kind = "pre-release" if out.prerelease else "release"
    if out.dry_run:
        head = f"**Dry run**: would publish [{out.tag}]({out.html_url}) as a {kind}; nothing was changed on GitHub."
    elif out.published:
        head = f"Published [{out.tag}]({out.html_url}) as a {kind} (id {out.release_id})."
    else:
        head = f"[{out.tag}]({out.html_url}) was already published: nothing changed."
    latest = "made the repository's **latest** release" if out.latest else "not the latest release"
    immutable = {
        True: "Immutable releases are **on**: the published release's assets and tag are frozen; "
        "later wheels need a new release.",
        False: "Immutable releases are off: assets can still be added after publishing.",
        None: "Whether releases are immutable could not be read with this token.",
    }[out.immutable]
    rows = ["### ✅ publish-release", "", head, f"It is {latest}. {immutable}", ""]
    if out.verified:
        rows += [f"Verified {len(out.verified)} dist(s) against their Sigstore bundles.", ""]
    if out.consistency is not None:
        rows += [out.consistency.headline(), "", *out.consistency.table()]
    return "\n".join(rows)
