"""One SLSA v1 provenance statement (in-toto Statement v1) over every signed file.

Example::

    statement = provenance_statement(
        [("example-1.0.tar.gz", "9f86d0…"), ("example-1.0-py3-none-any.whl", "2c26b4…")],
        BuildContext(repository="octo/example", ref="refs/tags/v1.0").completed(claims={}),
    )
    provenance_name([Path("dist/example-1.0.tar.gz")], label="cp313")
    # 'example-1.0-cp313.intoto.jsonl'

``buildType`` is GitHub's workflow build type
(``https://actions.github.io/buildtypes/workflow/v1``): external parameters name the
workflow (repository URL, path, ref), internal ones the trigger and runner; the source
commit is the resolved dependency; ``runDetails.builder.id`` is the workflow that signs
(``https://github.com/<job_workflow_ref>``, the identity in the certificate) and
``metadata.invocationId`` the run attempt's URL. Values come from the runner's
``GITHUB_*`` variables (as the runner contract read them), falling back to the token's
claims.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypedDict

from release_actions.dists import dists_of
from release_actions.errors import InputError

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "https://actions.github.io/buildtypes/workflow/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._]*$")


class Subject(TypedDict):
    name: str
    digest: dict[str, str]


class Statement(TypedDict):
    _type: str
    subject: list[Subject]
    predicateType: str
    predicate: dict[str, Any]


#: Fields a GitHub Actions OIDC token also carries, as claims of the same name.
_FROM_CLAIMS = (
    "repository",
    "workflow_ref",
    "ref",
    "sha",
    "event_name",
    "run_id",
    "run_attempt",
    "repository_id",
    "repository_owner_id",
    "runner_environment",
)


@dataclass(frozen=True)
class BuildContext:
    """What the provenance says about the run; empty strings where unknown."""

    server_url: str = "https://github.com"
    repository: str = ""
    workflow_ref: str = ""
    job_workflow_ref: str = ""
    ref: str = ""
    sha: str = ""
    event_name: str = ""
    run_id: str = ""
    run_attempt: str = ""
    repository_id: str = ""
    repository_owner_id: str = ""
    runner_environment: str = ""

    def completed(self, claims: Mapping[str, Any]) -> BuildContext:
        """Empty fields filled from the identity token's claims (same names, lower case)."""
        values = {name: getattr(self, name) or str(claims.get(name) or "") for name in _FROM_CLAIMS}
        job_workflow_ref = str(claims.get("job_workflow_ref") or values["workflow_ref"])
        return replace(
            self,
            server_url=self.server_url or "https://github.com",
            job_workflow_ref=job_workflow_ref,
            **values,
        )

    @property
    def workflow_path(self) -> str:
        """``.github/workflows/release.yml`` from ``owner/repo/.github/workflows/release.yml@ref``."""
        path = self.workflow_ref.split("@", 1)[0]
        prefix = f"{self.repository}/"
        return path.removeprefix(prefix) if self.repository else path


def provenance_statement(files: Sequence[tuple[str, str]], build: BuildContext) -> Statement:
    """The statement: subjects are ``(name, sha256 hex)``; the predicate describes the run."""
    repository_url = f"{build.server_url}/{build.repository}" if build.repository else ""
    workflow: dict[str, str] = {
        "ref": build.ref,
        "repository": repository_url,
        "path": build.workflow_path,
    }
    github: dict[str, str] = {
        key: value
        for key, value in (
            ("event_name", build.event_name),
            ("repository_id", build.repository_id),
            ("repository_owner_id", build.repository_owner_id),
            ("runner_environment", build.runner_environment),
        )
        if value
    }
    dependencies: list[dict[str, Any]] = []
    if repository_url and build.sha:
        source = f"git+{repository_url}@{build.ref}" if build.ref else f"git+{repository_url}"
        dependencies.append({"uri": source, "digest": {"gitCommit": build.sha}})
    run_details: dict[str, Any] = {
        "builder": {
            "id": f"{build.server_url}/{build.job_workflow_ref}" if build.job_workflow_ref else ""
        }
    }
    if repository_url and build.run_id:
        attempt = build.run_attempt or "1"
        run_details["metadata"] = {
            "invocationId": f"{repository_url}/actions/runs/{build.run_id}/attempts/{attempt}"
        }
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": name, "digest": {"sha256": digest}} for name, digest in files],
        "predicateType": SLSA_PROVENANCE_V1,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {"workflow": workflow},
                "internalParameters": {"github": github},
                "resolvedDependencies": dependencies,
            },
            "runDetails": run_details,
        },
    }


def provenance_name(files: Sequence[Path], *, label: str | None = None) -> str:
    """``<name>-<version>[-<label>].intoto.jsonl`` from the dists among ``files``."""
    if label is not None and not _LABEL.match(label):
        raise InputError(
            f"provenance-label {label!r} is not a simple tag",
            fix="use letters, digits, dots and underscores, e.g. `cp313`",
        )
    found = {(str(d.project), str(d.version)) for d in dists_of(files)}
    if not found:
        raise InputError(
            "`provenance: true` needs a wheel or sdist among `files` to name the provenance "
            "file <name>-<version>.intoto.jsonl, and there is none",
            fix="include the dists in `files`, or set `provenance: false`",
        )
    if len(found) > 1:
        listed = ", ".join(f"{n} {v}" for n, v in sorted(found))
        raise InputError(
            f"the dists are of more than one project or version ({listed}), so one provenance "
            "file cannot be named for them",
            fix="leftovers of an earlier build are the usual cause: empty the output folder "
            "before building (build-dists' `clean-outdir: true`) or narrow `files` to one "
            "release's dists; for a monorepo, sign each project's dists in its own step",
        )
    name, version = found.pop()
    stem = f"{name.replace('-', '_')}-{version}"
    return f"{stem}-{label}.intoto.jsonl" if label else f"{stem}.intoto.jsonl"
