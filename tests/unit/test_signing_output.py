"""Output folder rules, atomic writes, provenance naming and the statement's shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from release_actions.errors import InputError
from release_actions.signing.output import atomic_write, check_files, check_output_dir
from release_actions.signing.provenance import BuildContext, provenance_name, provenance_statement


def test_output_dir_rules(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    wheel = dist / "a-1.0-py3-none-any.whl"
    wheel.write_text("w")
    check_output_dir(tmp_path / "signatures", [wheel])
    for bad in (dist, dist / "sig", tmp_path / "dist" / ".." / "dist"):
        with pytest.raises(InputError, match="twine upload"):
            check_output_dir(bad, [wheel])
    other = tmp_path / "wheelhouse"
    other.mkdir()
    (other / "b-1.0-py3-none-any.whl").write_text("w")
    with pytest.raises(InputError):  # a dist's own folder, whatever its name
        check_output_dir(other, [other / "b-1.0-py3-none-any.whl"])


def test_files_must_be_non_empty_and_distinct(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.txt").write_text("1")
    (tmp_path / "b" / "x.txt").write_text("2")
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(InputError, match="same name"):
        check_files([tmp_path / "a" / "x.txt", tmp_path / "b" / "x.txt"])
    with pytest.raises(InputError, match="0 bytes"):
        check_files([tmp_path / "empty.txt"])


def test_atomic_write_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out" / "f.sigstore.json"
    atomic_write(target, b"one")
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["f.sigstore.json"]


def test_provenance_name() -> None:
    files = [Path("dist/Example.Pkg-1.0.0.tar.gz"), Path("dist/example_pkg-1.0.0-py3-none-any.whl")]
    assert provenance_name(files) == "example_pkg-1.0.0.intoto.jsonl"
    assert provenance_name(files, label="cp313") == "example_pkg-1.0.0-cp313.intoto.jsonl"
    with pytest.raises(InputError, match="no"):
        provenance_name([Path("notes.txt")])
    with pytest.raises(InputError, match="more than one"):
        provenance_name([*files, Path("other-2.0.tar.gz")])
    with pytest.raises(InputError, match="label"):
        provenance_name(files, label="../x")


def test_statement_shape() -> None:
    build = BuildContext(
        repository="octo/example", sha="abc", ref="refs/tags/v1",
        workflow_ref="octo/example/.github/workflows/release.yml@refs/tags/v1",
        run_id="42", event_name="push",
    ).completed(claims={"runner_environment": "github-hosted", "sha": "not-this"})  # fmt: skip
    assert build.sha == "abc"  # the runner's variables win over the token's claims
    statement = provenance_statement([("a.whl", "00" * 32)], build)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["subject"] == [{"name": "a.whl", "digest": {"sha256": "00" * 32}}]
    predicate = statement["predicate"]
    assert (
        predicate["buildDefinition"]["externalParameters"]["workflow"]["path"]
        == ".github/workflows/release.yml"
    )
    assert (
        predicate["buildDefinition"]["internalParameters"]["github"]["runner_environment"]
        == "github-hosted"
    )
    assert predicate["buildDefinition"]["resolvedDependencies"] == [
        {"uri": "git+https://github.com/octo/example@refs/tags/v1", "digest": {"gitCommit": "abc"}}
    ]
    assert predicate["runDetails"]["metadata"]["invocationId"].endswith(
        "/actions/runs/42/attempts/1"
    )
