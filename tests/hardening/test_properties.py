"""Property tests: tag parsing, file resolution, boolean inputs, the outputs file round trip.

(Asset-name prediction has its properties in ``tests/unit/test_assetnames.py``.)
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from packaging.version import InvalidVersion, Version

from release_actions.actions.verify_tag import parse_tag
from release_actions.contract import Inputs, InputSpec, Runner
from release_actions.contract.files import resolve_files
from release_actions.errors import InputError, TagError
from tests.harness import parse_outputs

PREFIXES = st.sampled_from(["v", "", "release-", "pkg@", "V"])
SMALL = st.integers(min_value=0, max_value=2000)


@st.composite
def versions(draw: st.DrawFn, *, local: bool = False) -> Version:
    """Any public PEP 440 version (and, with ``local``, a local label)."""
    text = ""
    if draw(st.booleans()):
        text += f"{draw(SMALL)}!"
    text += ".".join(str(n) for n in draw(st.lists(SMALL, min_size=1, max_size=4)))
    if draw(st.booleans()):
        text += f"{draw(st.sampled_from(['a', 'b', 'rc']))}{draw(SMALL)}"
    if draw(st.booleans()):
        text += f".post{draw(SMALL)}"
    if draw(st.booleans()):
        text += f".dev{draw(SMALL)}"
    if local:
        label = draw(st.from_regex(r"[a-z0-9]{1,6}(\.[a-z0-9]{1,6}){0,2}", fullmatch=True))
        text += f"+{label}"
    return Version(text)


@given(versions(), PREFIXES)
def test_every_valid_version_round_trips(version: Version, prefix: str) -> None:
    parsed = parse_tag(prefix + str(version), prefix, allow_local=False, require_canonical=True)
    assert parsed == version
    assert str(parsed) == str(version)
    assert (
        parse_tag(prefix + str(parsed), prefix, allow_local=False, require_canonical=True) == parsed
    )


@st.composite
def respellings(draw: st.DrawFn) -> str:
    """Another spelling of a version: case, separators, zero padding, implicit numbers."""
    text = str(draw(versions()))
    pick = draw(st.integers(min_value=0, max_value=5))
    if pick == 0:
        text = text.upper()
    elif pick == 1:
        text = text.replace(".post", "-post").replace(".dev", "_dev")
    elif pick == 2:
        text = "0" + text if text[0].isdigit() and "!" not in text else text + ".post"
    elif pick == 3:
        text = text.replace("rc", "c").replace("a", "alpha").replace("b", "beta")
    elif pick == 4:
        text = text.replace(".", ".0", 1) if "." in text else text + "-1"
    else:
        text = text + ".DEV"
    return text


@given(respellings(), PREFIXES)
def test_non_canonical_spellings_are_refused_only_when_required(text: str, prefix: str) -> None:
    try:
        version = Version(text)
    except InvalidVersion:
        assume(False)
        raise
    assume(str(version) != text)
    assume(not (prefix == "" and text.lower().startswith("v")))
    with pytest.raises(TagError, match="canonical"):
        parse_tag(prefix + text, prefix, allow_local=False, require_canonical=True)
    lenient = parse_tag(prefix + text, prefix, allow_local=False, require_canonical=False)
    assert lenient == version


@given(versions(local=True), PREFIXES)
def test_local_versions_need_allow_local(version: Version, prefix: str) -> None:
    tag = prefix + str(version)
    with pytest.raises(TagError, match="local version"):
        parse_tag(tag, prefix, allow_local=False, require_canonical=True)
    assert parse_tag(tag, prefix, allow_local=True, require_canonical=True) == version


@given(st.text(), st.text(max_size=4), st.booleans(), st.booleans())
def test_arbitrary_text_only_ever_raises_tag_error(
    tag: str, prefix: str, allow_local: bool, canonical: bool
) -> None:
    try:
        parsed = parse_tag(tag, prefix, allow_local=allow_local, require_canonical=canonical)
    except TagError as error:
        refusal: TagError | None = error
    else:
        refusal = None
    if refusal is not None:
        assert refusal.fix, refusal  # every refusal says how to fix it
        return
    assert tag.startswith(prefix)
    assert parsed == Version(tag[len(prefix) :])
    assert allow_local or parsed.local is None


# -- resolve_files ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with files, folders, links inside and links escaping it."""
    base = tmp_path_factory.mktemp("tree")
    outside = base / "outside"
    outside.mkdir()
    (outside / "secret.whl").write_text("secret")
    root = base / "ws"
    for rel in (
        "dist/a.whl",
        "dist/b.tar.gz",
        "dist/sub/c.whl",
        "sig/a.whl.sigstore.json",
        "x.txt",
    ):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel)
    (root / "dist" / "inside-link.whl").symlink_to(root / "x.txt")
    (root / "dist" / "escape.whl").symlink_to(outside / "secret.whl")
    (root / "dist" / "escape-dir").symlink_to(outside, target_is_directory=True)
    (root / "dist" / "dangling.whl").symlink_to(base / "nowhere")
    return root


SEGMENTS = st.sampled_from(
    ["dist", "sub", "sig", "..", ".", "*", "**", "*.whl", "escape-dir", "escape.whl", "outside",
     "{..,dist}", "{../outside,dist}", "[ab].whl", "?.whl", "x.txt", "", "~", "/"]
)  # fmt: skip
PATTERNS = st.builds(
    lambda neg, parts: ("!" if neg else "") + "/".join(parts),
    st.booleans(),
    st.lists(SEGMENTS, min_size=1, max_size=4),
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=300)
@given(st.lists(PATTERNS, min_size=1, max_size=3))
def test_resolve_files_never_leaves_the_root(tree: Path, patterns: list[str]) -> None:
    try:
        found = resolve_files(patterns, root=tree)
    except InputError as error:
        refusal: InputError | None = error
    else:
        refusal = None
    if refusal is not None:
        assert refusal.fix, refusal
        return
    root = tree.resolve()
    assert found, patterns
    for path in found:
        assert path.resolve().is_relative_to(root), (patterns, path)
        assert path.resolve().is_file()
    assert found == sorted(set(found), key=lambda p: p.relative_to(root).as_posix())


# -- booleans and outputs ------------------------------------------------------------------------
TRUE = {"true", "True", "TRUE"}
FALSE = {"false", "False", "FALSE"}


@given(
    st.one_of(st.text(max_size=8), st.sampled_from(sorted(TRUE | FALSE))),
    st.sampled_from(["", " ", "\n", "\t "]),
    st.sampled_from(["true", "false"]),
)
def test_boolean_inputs_accept_only_yaml_core_forms(value: str, pad: str, default: str) -> None:
    spec = InputSpec("flag", "a flag", default=default, kind="boolean")
    inputs = Inputs.resolve((spec,), cli={}, environ={"INPUT_FLAG": pad + value + pad})
    stripped = value.strip()
    if not stripped:
        assert inputs.boolean("flag") is (default == "true")
    elif stripped in TRUE:
        assert inputs.boolean("flag") is True
    elif stripped in FALSE:
        assert inputs.boolean("flag") is False
    else:
        with pytest.raises(InputError, match="not a boolean"):
            inputs.boolean("flag")


NAMES = st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(NAMES, st.text(), max_size=5))
def test_set_outputs_round_trips_through_parse_outputs(
    tmp_path: Path, outputs: dict[str, str]
) -> None:
    target = tmp_path / f"github_output-{os.urandom(6).hex()}"
    target.touch()
    runner = Runner(actions=True, output_file=str(target), summary_file=None, stream=io.StringIO())
    runner.set_outputs(outputs)
    assert parse_outputs(target.read_bytes().decode("utf-8")) == outputs
