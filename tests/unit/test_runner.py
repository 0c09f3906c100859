"""The runner contract: inputs, outputs, summary, annotations, masking."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from release_actions.contract import Inputs, InputSpec, Runner
from release_actions.errors import InputError, VersionMismatchError
from tests.harness import parse_outputs

SPECS = (
    InputSpec("tag-prefix", "prefix", default="v"),
    InputSpec("dry-run", "dry", default="false", kind="boolean"),
    InputSpec("files", "globs", kind="lines"),
    InputSpec("concurrency", "n", default="4", kind="integer", minimum=1, maximum=64),
    InputSpec("notes", "notes", default="auto", choices=("auto", "none")),
    InputSpec("token", "token", required=True, secret=True),
)


def resolve(cli: dict[str, str | None] | None = None, /, **env: str) -> Inputs:
    return Inputs.resolve(SPECS, cli=cli or {}, environ=env)


def test_flag_beats_env_beats_default() -> None:
    assert resolve().string("tag-prefix") == "v"
    assert resolve(**{"INPUT_TAG-PREFIX": "release-"}).string("tag-prefix") == "release-"
    inputs = resolve({"tag-prefix": "x"}, **{"INPUT_TAG-PREFIX": "release-"})
    assert inputs.string("tag-prefix") == "x"
    assert "tag-prefix" in inputs.given


def test_hyphens_are_kept_in_env_names() -> None:
    assert resolve(**{"INPUT_TAG_PREFIX": "wrong"}).string("tag-prefix") == "v"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("false", False),
        ("False", False),
        ("FALSE", False),
        ("", False),
    ],
)
def test_yaml_core_booleans(text: str, value: bool) -> None:
    assert resolve(**{"INPUT_DRY-RUN": text}).boolean("dry-run") is value


@pytest.mark.parametrize("text", ["yes", "no", "1", "on", "tRue", "y"])
def test_other_boolean_spellings_are_errors(text: str) -> None:
    with pytest.raises(InputError, match="not a boolean") as info:
        resolve(**{"INPUT_DRY-RUN": text}).boolean("dry-run")
    assert info.value.fix is not None
    assert "dry-run: true" in info.value.fix


def test_lines_skip_blanks_and_comments() -> None:
    inputs = resolve(INPUT_FILES="dist/*\n\n  # a comment\n  signatures/*.json  \n")
    assert inputs.lines("files") == ("dist/*", "signatures/*.json")


def test_integer_bounds_and_choices() -> None:
    assert resolve().integer("concurrency") == 4
    with pytest.raises(InputError, match="not a whole number"):
        resolve(INPUT_CONCURRENCY="four").integer("concurrency")
    with pytest.raises(InputError, match="outside 1 to 64"):
        resolve(INPUT_CONCURRENCY="0").integer("concurrency")
    with pytest.raises(InputError, match="expected one of auto, none"):
        resolve(INPUT_NOTES="sometimes").string("notes")


def test_required_input() -> None:
    with pytest.raises(InputError, match="'token' is required"):
        resolve().string("token")


def runner(tmp_path: Path, *, actions: bool = True) -> tuple[Runner, io.StringIO]:
    (tmp_path / "out").touch()
    (tmp_path / "summary").touch()
    stream = io.StringIO()
    return (
        Runner(
            actions=actions,
            output_file=str(tmp_path / "out"),
            summary_file=str(tmp_path / "summary"),
            stream=stream,
            workspace=tmp_path,
        ),
        stream,
    )


def test_outputs_use_heredoc_with_random_delimiter(tmp_path: Path) -> None:
    r, _ = runner(tmp_path)
    r.set_outputs({"dists": "dist/a.whl\ndist/a.tar.gz", "version": "1.0"})
    text = (tmp_path / "out").read_text()
    assert "ghadelimiter_" in text
    assert parse_outputs(text) == {"dists": "dist/a.whl\ndist/a.tar.gz", "version": "1.0"}


def test_secrets_are_masked_and_redacted_everywhere(tmp_path: Path) -> None:
    r, stream = runner(tmp_path)
    secret = "ghs_SECRETSECRETSECRET123"
    r.mask(secret)
    r.info(f"using {secret}")
    r.set_outputs({"leak": secret})
    r.summary(f"token {secret}")
    r.fail("draft-release", InputError(f"bad token {secret}", fix=f"not {secret}"))
    log = stream.getvalue()
    assert log.splitlines()[0] == f"::add-mask::{secret}"
    rest = (
        log.split("\n", 1)[1] + (tmp_path / "out").read_text() + (tmp_path / "summary").read_text()
    )
    assert secret not in rest
    assert "***" in rest


def test_error_annotation_relative_path_and_escaping(tmp_path: Path) -> None:
    r, stream = runner(tmp_path)
    code = r.fail(
        "verify-tag",
        VersionMismatchError(
            "line one\nline two: 100%", fix="bump it", file=str(tmp_path / "src" / "a.py"), line=3
        ),
    )
    assert code == 1
    line = stream.getvalue().strip()
    assert line.startswith("::error file=src/a.py,line=3,title=version mismatch::")
    assert "line one%0Aline two: 100%25" in line
    summary = (tmp_path / "summary").read_text()
    assert "### ❌ verify-tag failed" in summary
    assert "`src/a.py:3`" in summary
    assert "**Fix:** bump it" in summary


def test_plain_text_outside_actions(tmp_path: Path) -> None:
    r, stream = runner(tmp_path, actions=False)
    r.mask("s3cr3t-value")
    with r.group("phase"):
        r.warning("careful", file="pyproject.toml", line=2)
    text = stream.getvalue()
    assert "::" not in text
    assert "warning: careful (pyproject.toml:2)" in text


def test_crash_keeps_traceback(tmp_path: Path) -> None:
    r, stream = runner(tmp_path)
    try:
        1 / 0  # noqa: B018
    except ZeroDivisionError as exc:
        code = r.crash("sign", exc)
    assert code == 1
    assert "Traceback" in stream.getvalue()
    assert (
        "::error title=sign crashed::unexpected error: ZeroDivisionError: division by zero"
        in stream.getvalue()
    )
