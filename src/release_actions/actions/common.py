"""Helpers shared by the steps that work on a GitHub release (not a step; the inputs they
share are declared in :mod:`release_actions.actions.declarations`).

Example::

    target = github_target(ctx)            # token masked, repository checked
    version = version_of_tag("v1.2.3", "v")
"""

from __future__ import annotations

from collections.abc import Sequence

from packaging.version import InvalidVersion, Version

from release_actions.consistency import Consistency
from release_actions.contract import Context
from release_actions.github.client import GitHubTarget
from release_actions.github.plan import AssetResult
from release_actions.signing.issuers import GITHUB_OIDC_ISSUER
from release_actions.signing.policy import ExpectedIdentity


def expected_identity(ctx: Context, repository: str) -> ExpectedIdentity:
    """The identity the declarations' IDENTITY_INPUTS (and ``repository``) describe."""
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
