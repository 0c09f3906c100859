"""Declarations and helpers shared by the steps that work on a GitHub release (not a step).

Example::

    INPUTS = (TOKEN_INPUT, TAG_INPUT, TAG_PREFIX_INPUT, OVERWRITE_INPUT, DRY_RUN_INPUT)
    target = github_target(ctx)            # token masked, repository checked
    version = version_of_tag("v1.2.3", "v")
"""

from __future__ import annotations

from collections.abc import Sequence

from packaging.version import InvalidVersion, Version

from release_actions.consistency import Consistency
from release_actions.contract import Context, InputSpec
from release_actions.github.client import GitHubTarget
from release_actions.github.plan import DEFAULT_CONCURRENCY, MAX_CONCURRENCY, AssetResult
from release_actions.signing.policy import ExpectedIdentity
from release_actions.signing.tokens import GITHUB_OIDC_ISSUER

TOKEN_INPUT = InputSpec(
    "token",
    "Token that may write releases (`permissions: contents: write`). The CLI reads GITHUB_TOKEN.",
    default="",
    secret=True,
    action_default="${{ github.token }}",
)
TAG_INPUT = InputSpec(
    "tag", "The release's tag. Default: the pushed tag (GITHUB_REF when it is refs/tags/*)."
)
TAG_PREFIX_INPUT = InputSpec(
    "tag-prefix", "Text before the version in the tag (`v` in `v1.2.3`); may be empty.", default="v"
)
OVERWRITE_INPUT = InputSpec(
    "overwrite",
    "Replace assets of the same name whose content differs (default: fail, listing them).",
    default="false",
    kind="boolean",
)
CONCURRENCY_INPUT = InputSpec(
    "concurrency",
    f"Most files uploaded at the same time (1-{MAX_CONCURRENCY}); the uploader starts lower "
    "and adapts (more after successes, fewer when GitHub struggles).",
    default=str(DEFAULT_CONCURRENCY),
    kind="integer",
    minimum=1,
    maximum=MAX_CONCURRENCY,
)
DRY_RUN_INPUT = InputSpec(
    "dry-run",
    "Validate everything and print the plan; change nothing on GitHub.",
    default="false",
    kind="boolean",
)


#: Who must have signed: the options of `verify`, which publish-release applies too.
IDENTITY_INPUTS = (
    InputSpec(
        "workflow",
        "The signing workflow's path, e.g. `.github/workflows/release.yml` (or "
        "`owner/repo/.github/workflows/x.yml` for a reusable workflow elsewhere). "
        "Empty: any workflow of `repository`.",
        default="",
    ),
    InputSpec(
        "ref",
        "The ref the workflow ran for, e.g. `refs/tags/v1.2.3`. Empty: any ref.",
        default="",
    ),
    InputSpec("issuer", "The OIDC issuer of the signing identity.", default=GITHUB_OIDC_ISSUER),
    InputSpec(
        "trust-config",
        "Path of a Sigstore ClientTrustConfig JSON. Empty: the public-good production instance.",
        default="",
    ),
    InputSpec(
        "offline",
        "Use the trust root on disk (sigstore ships the production one) without a TUF refresh.",
        default="false",
        kind="boolean",
    ),
)


def expected_identity(ctx: Context, repository: str) -> ExpectedIdentity:
    """The identity the IDENTITY_INPUTS (and ``repository``) describe."""
    inputs = ctx.inputs
    return ExpectedIdentity.for_github(
        repository=repository,
        workflow=inputs.optional("workflow"),
        ref=inputs.optional("ref"),
        issuer=inputs.string("issuer") or GITHUB_OIDC_ISSUER,
    )


def github_target(ctx: Context) -> GitHubTarget:
    """Server, repository and token from the runner's variables (token masked at once)."""
    return GitHubTarget(
        api_url=ctx.github.api_url, repository=ctx.github.repository, token=ctx.github_token()
    )


def version_of_tag(tag: str, prefix: str = "v") -> Version | None:
    """The PEP 440 version a tag names (``v1.2.3`` → 1.2.3), or None."""
    text = tag[len(prefix) :] if prefix and tag.startswith(prefix) else tag
    try:
        return Version(text)
    except InvalidVersion:
        return None


def assets_table(assets: Sequence[AssetResult]) -> list[str]:
    """The summary's table of a release's files and what happened to each."""
    if not assets:
        return ["No files."]
    rows = ["| file | size | sha256 | action |", "| --- | ---: | --- | --- |"]
    for asset in assets:
        digest = (asset.digest or "").removeprefix("sha256:")
        name = f"[`{asset.name}`]({asset.url})" if asset.url else f"`{asset.name}`"
        rows.append(f"| {name} | {asset.size:,} | `{digest[:16]}…` | {asset.action} |")
    if len(assets) > 20:
        return [
            f"<details><summary>{len(assets)} files</summary>",
            "",
            *rows,
            "",
            "</details>",
        ]
    return rows


def consistency_section(report: Consistency | None, *, dry_run: bool) -> list[str]:
    """The summary's headline: the release-consistency post-condition, and each dist's
    coverage (folded away beyond 20 dists)."""
    if report is None:
        return []
    when = "as the plan would leave it" if dry_run else "the release as GitHub holds it now"
    table = report.table()
    if len(report.dists) > 20:
        table = ["<details><summary>Coverage of each dist</summary>", "", *table, "", "</details>"]
    return (
        [f"{report.headline()} — {when}.", "", *table, ""]
        if table
        else [f"{report.headline()}.", ""]
    )
