"""Every step's declaration: its name, inputs and outputs, and the module that runs it.

Input and output names are declared once, here, and used everywhere: the CLI's flags and
``--help``, the input checks before a step starts, the generated ``action.yml`` files, and
the chain's pass-through. Nothing here imports sigstore, PyGithub or twine, so all of that
costs no start-up; a step's module (``release_actions.actions.<step>``) is imported only
when the step runs (:meth:`release_actions.contract.Step.main`).

Example::

    from release_actions.actions.declarations import STEPS

    sign = STEPS["sign"]
    print([spec.name for spec in sign.inputs], sign.module)
"""

from __future__ import annotations

from release_actions.contract.inputs import InputSpec, OutputSpec
from release_actions.contract.step import Step
from release_actions.github.concurrency import DEFAULT_CONCURRENCY, MAX_CONCURRENCY
from release_actions.pypi.urls import PYPI_UPLOAD_URL
from release_actions.signing.issuers import GITHUB_OIDC_ISSUER

__all__ = [
    "ADD_WHEELS",
    "BUILD_DISTS",
    "CHAINED_INPUTS",
    "DRAFT_RELEASE",
    "IDENTITY_INPUTS",
    "PUBLISH_PYPI",
    "PUBLISH_RELEASE",
    "RELEASE",
    "RELEASE_SUB_STEPS",
    "SIGN",
    "STEPS",
    "VERIFY",
    "VERIFY_TAG",
]

# Inputs shared by the steps that work on a GitHub release.

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

VERIFY_TAG = Step(
    name="verify-tag",
    description="Check the tag names exactly the version that will be built.",
    module="release_actions.actions.verify_tag",
    inputs=(
        InputSpec(
            "tag", "The tag to verify. Default: the pushed tag (GITHUB_REF when it is refs/tags/*)."
        ),
        InputSpec(
            "tag-prefix",
            "Text before the version in the tag, e.g. `v` in `v1.2.3`; may be empty.",
            default="v",
        ),
        InputSpec(
            "project",
            "Folder holding the project's pyproject.toml, relative to the workspace.",
            default=".",
        ),
        InputSpec(
            "version-files",
            "Extra files (one per line, relative to the project) whose literal `__version__` must equal "
            "the tag. The package's `__init__.py`/`_version.py` are checked automatically when git tracks "
            "them and they hold a literal.",
            default="",
            kind="lines",
        ),
        InputSpec(
            "require-branch",
            "Branch the tag's commit must be reachable from. Default: the repository's default branch; "
            "an empty value skips the check.",
            action_default="${{ github.event.repository.default_branch }}",
        ),
        InputSpec(
            "allow-local",
            "Accept local versions (`1.0+abc`), which PyPI rejects.",
            default="false",
            kind="boolean",
        ),
        InputSpec(
            "require-canonical",
            "Require the tag's version in canonical PEP 440 form (`1.0.0rc1`, not `1.0.0-rc1`).",
            default="true",
            kind="boolean",
        ),
    ),
    outputs=(
        OutputSpec(
            "version",
            "The verified version: canonical PEP 440 form (with `require-canonical: false`, as "
            "the tag spells it).",
        ),
        OutputSpec("tag", "The verified tag."),
        OutputSpec("is-prerelease", "`true` for pre-releases and dev releases, else `false`."),
        OutputSpec("commit-sha", "The commit the tag points to (annotated tags dereferenced)."),
        OutputSpec(
            "source-date-epoch", "The tag commit's committer time, for reproducible builds."
        ),
    ),
)


BUILD_DISTS = Step(
    name="build-dists",
    description="Build a reproducible sdist, the wheel from it, and check both.",
    module="release_actions.actions.build_dists",
    inputs=(
        InputSpec("project", "Folder holding the project's pyproject.toml.", default="."),
        InputSpec("outdir", "Where to put the built files (created if missing).", default="dist"),
        InputSpec("sdist", "Build the source distribution.", default="true", kind="boolean"),
        InputSpec("wheel", "Build the wheel (from the sdist).", default="true", kind="boolean"),
        InputSpec(
            "expected-version",
            "Fail unless the built version is exactly this (e.g. verify-tag's `version` output).",
            default="",
        ),
        InputSpec(
            "source-date-epoch",
            "Timestamp for reproducible builds (verify-tag's `source-date-epoch`). Default: HEAD's committer time.",
            default="",
        ),
        InputSpec(
            "config-settings",
            "PEP 517 config settings, one `key=value` per line; a repeated key gives a list.",
            default="",
            kind="lines",
        ),
        InputSpec(
            "check",
            "Check metadata, README rendering, filenames and RECORD.",
            default="true",
            kind="boolean",
        ),
        InputSpec(
            "allow-dirty",
            "Build even when tracked files are modified or untracked files would be packed "
            "(the dists are then not the tagged commit's).",
            default="false",
            kind="boolean",
        ),
        InputSpec(
            "clean-outdir",
            "Remove the wheels and sdists already in `outdir` (leftovers of earlier builds) when "
            "the new ones are put there.",
            default="false",
            kind="boolean",
        ),
    ),
    outputs=(
        OutputSpec("dists", "Every built file, one path per line."),
        OutputSpec("sdist", "The sdist's path (empty when not built)."),
        OutputSpec("wheels", "The wheels' paths, one per line."),
        OutputSpec("sha256sums", "`sha256sum`-style lines: `<hex>  <file name>`."),
        OutputSpec(
            "hashes", "base64 of `sha256sums` (the SLSA generic generator's subjects format)."
        ),
        OutputSpec("name", "The project's name as in its metadata."),
        OutputSpec("version", "The built version."),
    ),
)


SIGN = Step(
    name="sign",
    description="Sign files with Sigstore: bundles, SLSA provenance, PEP 740 attestations, verified.",
    module="release_actions.actions.sign",
    inputs=(
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
    ),
    outputs=(
        OutputSpec("bundles", "The Sigstore bundles written, one path per line."),
        OutputSpec("provenance", "The provenance file's path (empty when not made)."),
        OutputSpec("attestations", "The PEP 740 attestation files, one path per line."),
        OutputSpec("identity", "The signing certificate's identity (SAN), e.g. the workflow URL."),
        OutputSpec(
            "log-entries",
            "JSON list of `{file, bundle, logIndex, integratedTime}`, one per signed file.",
        ),
    ),
)


VERIFY = Step(
    name="verify",
    description="Verify files against their Sigstore bundles and provenance for a repository.",
    module="release_actions.actions.verify",
    inputs=(
        InputSpec(
            "files",
            "Files to verify: globs relative to the workspace, one per line (`!` excludes).",
            required=True,
            kind="lines",
        ),
        InputSpec(
            "bundle-dir",
            "Folder holding `<file>.sigstore.json` for each file.",
            default="signatures",
        ),
        InputSpec(
            "repository",
            "The repository (`owner/repo`) whose workflow must have signed the files.",
            required=True,
            action_default="${{ github.repository }}",
        ),
        *IDENTITY_INPUTS,
        InputSpec(
            "provenance",
            "A `.intoto.jsonl` provenance to check too: it must verify and list every file's sha256.",
            default="",
        ),
    ),
    outputs=(
        OutputSpec("verified", "The verified files, one path per line."),
        OutputSpec("identity", "The signing identity (SAN) the certificates carry."),
    ),
)


DRAFT_RELEASE = Step(
    name="draft-release",
    description="Find or create the tag's draft GitHub release and upload files to it.",
    module="release_actions.actions.draft_release",
    inputs=(
        TOKEN_INPUT,
        TAG_INPUT,
        TAG_PREFIX_INPUT,
        InputSpec("name", "The release's title. Default: the tag."),
        InputSpec(
            "files",
            "Files to attach: globs relative to the workspace, one per line (`!` excludes). "
            "A line matching nothing is an error; empty drafts the release without files.",
            default="",
            kind="lines",
        ),
        InputSpec(
            "notes",
            "Release notes: `changelog` (the version's section of the changelog), `generate` "
            "(GitHub's generated notes), `auto` (changelog, else generated) or `none`.",
            default="auto",
            choices=("auto", "changelog", "generate", "none"),
        ),
        InputSpec(
            "notes-file", "A file whose whole text is the release notes (instead of `notes`)."
        ),
        InputSpec(
            "changelog",
            "The changelog to take notes from. Default: the first of CHANGELOG.md, CHANGES.rst, "
            "CHANGES.md, HISTORY.rst (then CHANGELOG.rst, HISTORY.md, NEWS.md, NEWS.rst).",
        ),
        InputSpec(
            "prerelease",
            "Mark as pre-release: `auto` (when the tag's version is a pre- or dev release), `true`, `false`.",
            default="auto",
            choices=("auto", "true", "false"),
        ),
        InputSpec(
            "target-commitish",
            "Commit (or branch) the release's tag points at if GitHub must create it. "
            "Default: the tag's commit (from the checkout, else from GitHub).",
        ),
        OVERWRITE_INPUT,
        CONCURRENCY_INPUT,
        DRY_RUN_INPUT,
    ),
    outputs=(
        OutputSpec(
            "release-id", "The draft release's id (empty in a dry run that would create it)."
        ),
        OutputSpec("html-url", "The draft release's page."),
        OutputSpec("upload-url", "The release's upload URL template (for other tools)."),
        OutputSpec(
            "assets",
            "JSON list, one object per file: name, size, digest, state, url, action "
            "(uploaded|skipped|replaced|repaired, or would-… in a dry run).",
        ),
    ),
)


ADD_WHEELS = Step(
    name="add-wheels-to-release",
    description="Add wheels (and their signatures) to an existing GitHub release; never creates one.",
    module="release_actions.actions.add_wheels",
    inputs=(
        TOKEN_INPUT,
        TAG_INPUT,
        TAG_PREFIX_INPUT,
        InputSpec(
            "files",
            "Files to add: globs relative to the workspace, one per line (`!` excludes); wheels, "
            "sdists, their `.sigstore.json`/`.publish.attestation`, and `*.intoto.jsonl` provenance.",
            kind="lines",
            required=True,
        ),
        OVERWRITE_INPUT,
        InputSpec(
            "overwrite-published",
            "Allow `overwrite` to replace assets of a release that is already published (anyone "
            "may have downloaded them); each replaced dist's signature files must come along.",
            default="false",
            kind="boolean",
        ),
        CONCURRENCY_INPUT,
        DRY_RUN_INPUT,
    ),
    outputs=(
        OutputSpec("release-id", "The release's id."),
        OutputSpec("uploaded", "How many files were uploaded (new, replaced or repaired)."),
        OutputSpec("skipped", "How many files were already there, identical."),
        OutputSpec(
            "assets",
            "JSON list, one object per file: name, size, digest, state, url, action "
            "(uploaded|skipped|replaced|repaired, or would-… in a dry run).",
        ),
    ),
)


PUBLISH_RELEASE = Step(
    name="publish-release",
    description="Publish the tag's draft GitHub release after verifying what it holds.",
    module="release_actions.actions.publish_release",
    inputs=(
        TOKEN_INPUT,
        TAG_INPUT,
        TAG_PREFIX_INPUT,
        InputSpec(
            "make-latest",
            "Mark the release as the repository's latest: `auto` (only a final release whose version "
            "is higher, by PEP 440, than every published release's), `true`, `false`. A pre-release "
            "is never latest.",
            default="auto",
            choices=("auto", "true", "false"),
        ),
        InputSpec(
            "verify",
            "Before publishing, verify every wheel and sdist on the draft against its Sigstore "
            "bundle for the expected identity, and check the release is consistent.",
            default="true",
            kind="boolean",
        ),
        InputSpec(
            "repository",
            "The repository (`owner/repo`) whose workflow must have signed the dists.",
            default="",
            action_default="${{ github.repository }}",
        ),
        *IDENTITY_INPUTS,
        InputSpec(
            "discussion-category",
            "Start a discussion in this category of the repository's Discussions when publishing.",
            default="",
        ),
        DRY_RUN_INPUT,
    ),
    outputs=(
        OutputSpec("release-id", "The release's id."),
        OutputSpec("html-url", "The release's page."),
        OutputSpec(
            "published", "`true` when this run published the draft (`false`: it already was)."
        ),
        OutputSpec("latest", "`true` when the release was made the repository's latest."),
        OutputSpec(
            "immutable",
            "`true` when the repository's releases are immutable once published, `false` when not, "
            "empty when the token may not tell.",
        ),
    ),
)


PUBLISH_PYPI = Step(
    name="publish-pypi",
    description="Upload dists to PyPI (or any index) with their PEP 740 attestations, by "
    "trusted publishing or an API token; identical files skipped, conflicts refused.",
    module="release_actions.actions.publish_pypi",
    inputs=(
        InputSpec(
            "files",
            "Dists to upload: globs relative to the workspace, one per line (`!` excludes). "
            "Wheels and sdists of one project and version.",
            default="dist/*",
            kind="lines",
        ),
        InputSpec(
            "repository-url",
            "The index's upload URL (legacy upload API). TestPyPI: https://test.pypi.org/legacy/.",
            default=PYPI_UPLOAD_URL,
        ),
        InputSpec(
            "index-url",
            "The index's Simple API, read for what it already holds. Empty: derived from "
            "`repository-url` (PyPI: https://pypi.org/simple/; a trailing `legacy/` becomes "
            "`simple/`, else `simple/` is appended).",
            default="",
        ),
        InputSpec(
            "token",
            "An API token of the index (a secret). Empty: trusted publishing — the job's OIDC "
            "token is exchanged for a short-lived upload token (needs `permissions: id-token: "
            "write` and a trusted publisher for this workflow on the index).",
            default="",
            secret=True,
        ),
        InputSpec(
            "attestations",
            "Upload each dist with its PEP 740 attestation `<dist>.publish.attestation` from "
            "`attestations-dir` (the sign step's). Trusted publishing only: with a `token` they "
            "are left out.",
            default="true",
            kind="boolean",
        ),
        InputSpec(
            "attestations-dir",
            "Folder holding the `<dist>.publish.attestation` files (the sign step's `output-dir`).",
            default="signatures",
        ),
        InputSpec(
            "skip-existing",
            "Skip files the index already holds byte for byte (a re-run converges). False: "
            "refuse when the index holds any of the files, before uploading anything. Other "
            "bytes under a held file name are always refused.",
            default="true",
            kind="boolean",
        ),
        InputSpec(
            "dry-run",
            "Check everything (the trusted-publishing exchange included) and print the plan; "
            "upload nothing.",
            default="false",
            kind="boolean",
        ),
    ),
    outputs=(
        OutputSpec("uploaded", "JSON list of the file names uploaded (would be, in a dry run)."),
        OutputSpec("skipped", "JSON list of the file names the index already held, identical."),
        OutputSpec(
            "files",
            "JSON list, one object per dist: file, sha256, action "
            "(uploaded|skipped|would-upload|would-skip), attestation (true|false).",
        ),
        OutputSpec("index-url", "The Simple API that was read."),
        OutputSpec("project", "The project's normalised name."),
        OutputSpec("version", "The version uploaded."),
        OutputSpec("url", "The release's page (PyPI, TestPyPI) or its Simple API page."),
    ),
)


# The whole chain in one step (the root action.yml): its inputs are the sub-steps' inputs
# except those the chain fills from earlier outputs; its outputs are all of theirs.

#: The chain's steps, in order (:mod:`release_actions.chain` runs them).
RELEASE_SUB_STEPS = (VERIFY_TAG, BUILD_DISTS, SIGN, DRAFT_RELEASE)

#: For each sub-step, the inputs the chain fills from earlier steps' outputs.
CHAINED_INPUTS: dict[str, frozenset[str]] = {
    "verify-tag": frozenset(),
    "build-dists": frozenset({"expected-version", "source-date-epoch"}),
    "sign": frozenset({"files"}),
    "draft-release": frozenset({"tag", "files"}),
}


def _pass_through() -> tuple[InputSpec, ...]:
    seen: dict[str, InputSpec] = {}
    for step in RELEASE_SUB_STEPS:
        for spec in step.inputs:
            if spec.name not in CHAINED_INPUTS[step.name]:
                seen.setdefault(spec.name, spec)
    return tuple(seen.values())


def _all_outputs() -> tuple[OutputSpec, ...]:
    seen: dict[str, OutputSpec] = {}
    for step in RELEASE_SUB_STEPS:
        for out in step.outputs:
            seen.setdefault(out.name, out)
    return tuple(seen.values())


RELEASE = Step(
    name="release",
    description=(
        "The whole chain in one step: verify the tag, build reproducible dists, sign them "
        "with Sigstore, and draft the GitHub release with everything attached."
    ),
    module="release_actions.chain",
    inputs=_pass_through(),
    outputs=_all_outputs(),
)

#: Step name → declaration, in the order the CLI lists them.
STEPS: dict[str, Step] = {
    step.name: step
    for step in (
        VERIFY_TAG,
        BUILD_DISTS,
        SIGN,
        VERIFY,
        DRAFT_RELEASE,
        ADD_WHEELS,
        PUBLISH_RELEASE,
        PUBLISH_PYPI,
        RELEASE,
    )
}
