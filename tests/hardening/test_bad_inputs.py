"""The bad-input corpus: every step refuses malformed input with one clear annotation.

Each case runs one step through the runner contract and must end in exit 1, exactly one
``::error`` annotation naming the problem and carrying a ``Fix:``, the failure section in
the summary, no outputs, and no side effect: no write reached the GitHub stand-in (a
read-only token's refused write aside), no certificate or log entry was asked of Sigstore,
and nothing was written into the workspace's output folders.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dists import dist_bytes, sdist_bytes, wheel_bytes
from tests.hardening.corpus import (
    CP313,
    SDIST,
    WHEEL,
    Case,
    World,
    both,
    dir_symlink_out,
    draft_release,
    immutable_release,
    listing,
    outside_file,
    published_release,
    sparse_2gib,
    symlink_out,
    two_drafts,
    write,
)
from tests.harness import assert_failed, run_step

DR = "draft-release"
PR = "publish-release"
PP = "publish-pypi"
AW = "add-wheels-to-release"


def _brace_escape(ws: Path, world: World) -> None:
    outside_file(ws, "demo-1.2.3-cp311-cp311-win32.whl")


CASES: list[Case] = [
    # -- verify-tag: malformed tags and versions, booleans ------------------------------------
    Case("verify-tag", "tag-not-pep440", {"tag": "v1.2.x"}, ("'1.2.x' is not one",)),
    Case(
        "verify-tag",
        "tag-fullwidth-digits",
        {"tag": "v\uff11.\uff12.\uff13"},
        ("not name a PEP 440",),
    ),
    Case("verify-tag", "tag-non-canonical", {"tag": "v1.2.3-RC1"}, ("not in canonical PEP 440",)),
    Case(
        "verify-tag", "tag-local-version", {"tag": "v1.2.3+abc"}, ("local version", "allow-local")
    ),
    Case("verify-tag", "tag-wrong-prefix", {"tag": "1.2.3"}, ("does not start with the prefix",)),
    Case("verify-tag", "tag-full-ref", {"tag": "refs/tags/v1.2.3"}, ("is a full ref",)),
    Case(
        "verify-tag",
        "tag-v-with-empty-prefix",
        {"tag": "v1.2.3", "tag-prefix": ""},
        ("leading 'v'",),
    ),
    Case("verify-tag", "tag-absent-from-checkout", {"tag": "v9.9.9"}, ("not in the checkout",)),
    Case(
        "verify-tag",
        "no-tag-on-branch-push",
        {"tag": ""},
        ("no tag given", "refs/heads/main"),
        env={"GITHUB_REF": "refs/heads/main"},
    ),
    Case("verify-tag", "boolean-yes", {"allow-local": "yes"}, ("'yes', which is not a boolean",)),
    Case("verify-tag", "boolean-one", {"require-canonical": "1"}, ("'1', which is not a boolean",)),
    Case("verify-tag", "version-file-missing", {"version-files": "src/demo/nope.py"}, ("nope.py",)),
    # -- build-dists: refused before any build ----------------------------------------------------
    Case(
        "build-dists",
        "nothing-to-build",
        {"sdist": "false", "wheel": "false"},
        ("nothing to build",),
    ),
    Case("build-dists", "boolean-on", {"check": "on"}, ("'on', which is not a boolean",)),
    Case("build-dists", "expected-version-bad", {"expected-version": "1.2.x"}, ("not a PEP 440",)),
    Case(
        "build-dists",
        "epoch-not-a-number",
        {"source-date-epoch": "yesterday"},
        ("not a whole number",),
    ),
    Case("build-dists", "epoch-before-1980", {"source-date-epoch": "100"}, ("before 1980",)),
    Case(
        "build-dists",
        "config-settings-no-equals",
        {"config-settings": "novalue"},
        ("not `key=value`",),
    ),
    Case("build-dists", "outdir-is-a-file", {"outdir": "README.md"}, ("is not a folder",)),
    Case("build-dists", "project-missing", {"project": "nowhere"}, ("nowhere",)),
    Case(
        "build-dists",
        "pyproject-broken",
        {"project": "broken"},
        ("broken",),
        hook=write("broken/pyproject.toml", "[project\nname = "),
    ),
    # -- release (the root chain) ------------------------------------------------------------------
    Case("release", "chain-bad-tag", {"tag": "v1.2.3.x"}, ("not name a PEP 440",)),
    Case("release", "chain-bad-boolean", {"wheel": "ja"}, ("'ja', which is not a boolean",)),
    # -- sign: files, output folder, trust config, tuning -----------------------------------------
    Case("sign", "glob-dotdot", {"files": "../outside/*"}, ("climbs out of the workspace",)),
    Case("sign", "glob-absolute", {"files": "/etc/host*"}, ("absolute path",)),
    Case(
        "sign",
        "glob-brace-escape",
        {"files": "{../outside,dist}/*-win32.whl"},
        ("outside the workspace",),
        hook=_brace_escape,
    ),
    Case(
        "sign", "symlink-escape", {"files": "dist/*"}, ("outside the workspace",), hook=symlink_out
    ),
    Case(
        "sign",
        "dir-symlink-escape",
        {"files": "dist/more/*.whl"},
        ("outside the workspace",),
        hook=dir_symlink_out,
    ),
    Case("sign", "glob-matches-nothing", {"files": "wheelhouse/*.whl"}, ("matches no file",)),
    Case(
        "sign",
        "zero-byte-file",
        {"files": "dist/*"},
        ("empty (0 bytes)",),
        files={WHEEL: wheel_bytes(), SDIST: b""},
    ),
    Case(
        "sign",
        "output-dir-in-dist",
        {"files": "dist/*", "output-dir": "dist/sigs"},
        ("twine upload dist/*",),
    ),
    Case(
        "sign",
        "trust-config-bad-json",
        {"files": "dist/*", "trust-config": "trust.json"},
        ("not a valid ClientTrustConfig",),
        hook=write("trust.json", "{not json"),
    ),
    Case(
        "sign",
        "trust-config-wrong-shape",
        {"files": "dist/*", "trust-config": "trust.json"},
        ("not a valid ClientTrustConfig",),
        hook=write("trust.json", '{"mediaType": 1}'),
    ),
    Case(
        "sign",
        "trust-config-missing",
        {"files": "dist/*", "trust-config": "nope.json"},
        ("does not exist",),
    ),
    Case(
        "sign",
        "concurrency-word",
        {"files": "dist/*", "concurrency": "many"},
        ("not a whole number",),
    ),
    Case("sign", "concurrency-zero", {"files": "dist/*", "concurrency": "0"}, ("outside 1 to 64",)),
    Case(
        "sign",
        "provenance-label-slash",
        {"files": "dist/*", "provenance-label": "cp313/linux"},
        ("provenance-label",),
    ),
    Case("sign", "boolean-misspelled", {"files": "dist/*", "attestations": "ture"}, ("'ture'",)),
    Case(
        "sign",
        "identity-token-garbage",
        {"files": "dist/*", "identity-token": "not-a-jwt"},
        ("identity",),
    ),
    Case(
        "sign",
        "unicode-names-same-basename",
        {"files": "dist/**/*"},
        ("same name",),
        files={"a/é.txt": b"1", "b/é.txt": b"2"},
    ),
    # -- verify -------------------------------------------------------------------------------------
    Case("verify", "no-bundles", {"files": "dist/*"}, (".sigstore.json",)),
    Case(
        "verify",
        "repository-without-owner",
        {"files": "dist/*", "repository": "example"},
        ("example",),
    ),
    Case(
        "verify",
        "trust-config-bad-json",
        {"files": "dist/*", "trust-config": "t.json"},
        ("not a valid ClientTrustConfig",),
        hook=write("t.json", "[]"),
    ),
    Case(
        "verify",
        "offline-maybe",
        {"files": "dist/*", "offline": "maybe"},
        ("'maybe', which is not a boolean",),
    ),
    Case("verify", "glob-dotdot", {"files": "dist/../../*"}, ("climbs out",)),
    # -- draft-release ----------------------------------------------------------------------------
    Case(
        DR,
        "notes-unknown",
        {"files": "dist/*", "notes": "sometimes"},
        ("'sometimes', expected one of",),
    ),
    Case(DR, "prerelease-yes", {"files": "dist/*", "prerelease": "yes"}, ("expected one of auto",)),
    Case(DR, "concurrency-17", {"files": "dist/*", "concurrency": "17"}, ("outside 1 to 16",)),
    Case(
        DR, "concurrency-float", {"files": "dist/*", "concurrency": "2.5"}, ("not a whole number",)
    ),
    Case(
        DR,
        "overwrite-misspelled",
        {"files": "dist/*", "overwrite": "Yes"},
        ("'Yes', which is not a boolean",),
    ),
    Case(DR, "dry-run-misspelled", {"files": "dist/*", "dry-run": "tru"}, ("'tru'",)),
    Case(DR, "notes-file-missing", {"files": "dist/*", "notes-file": "NOTES.md"}, ("NOTES.md",)),
    Case(
        DR,
        "notes-file-and-notes",
        {"notes-file": "N.md", "notes": "generate"},
        ("both `notes-file`",),
        hook=write("N.md", "notes"),
    ),
    Case(DR, "changelog-missing", {"changelog": "HISTORY.md"}, ("HISTORY.md does not exist",)),
    Case(DR, "missing-token", {"files": "dist/*"}, ("no token",), token="none"),
    Case(DR, "bad-token-401", {"files": "dist/*"}, ("401", "token"), token="bogus"),
    Case(
        DR,
        "read-only-token-403",
        {"files": "dist/*"},
        ("403", "contents: write"),
        token="read",
        refused_writes=True,
    ),
    Case(
        DR,
        "repository-malformed",
        {"files": "dist/*"},
        ("owner/name",),
        env={"GITHUB_REPOSITORY": "demo"},
    ),
    Case(
        DR,
        "no-tag-on-branch",
        {"tag": "", "files": "dist/*"},
        ("no tag given",),
        env={"GITHUB_REF": "refs/heads/main"},
    ),
    Case(DR, "file-over-2gib", {"files": "dist/*"}, ("2 GiB",), hook=sparse_2gib),
    Case(DR, "zero-byte-wheel", {"files": "dist/*"}, ("empty (0 bytes)",), files={WHEEL: b""}),
    Case(
        DR,
        "dist-of-other-version",
        {"files": "dist/*"},
        ("demo-1.2.4.tar.gz (1.2.4)",),
        files={"demo-1.2.4.tar.gz": sdist_bytes(version="1.2.4")},
    ),
    Case(
        DR,
        "unicode-names-collide",
        {"files": "dist/*"},
        ("non-ASCII characters",),
        files={"notes-é.txt": b"1", "notes-è.txt": b"2"},
    ),
    Case(DR, "symlink-escape", {"files": "dist/*"}, ("outside the workspace",), hook=symlink_out),
    Case(DR, "glob-dotdot", {"files": "dist/../../outside/*"}, ("climbs out",)),
    Case(
        DR, "published-release", {"files": "dist/*"}, ("already published",), hook=published_release
    ),
    Case(DR, "two-drafts", {"files": "dist/*"}, ("2 draft releases",), hook=two_drafts),
    # -- add-wheels-to-release --------------------------------------------------------------------
    Case(AW, "no-release", {"files": "dist/*"}, ("no release",)),
    Case(AW, "files-empty", {"files": ""}, ("'files' is required",), hook=draft_release),
    Case(
        AW,
        "wheel-of-other-version",
        {"files": "dist/*"},
        ("is version 1.2.4",),
        files={"demo-1.2.4-py3-none-any.whl": wheel_bytes(version="1.2.4")},
        hook=draft_release,
    ),
    Case(
        AW,
        "wheel-of-other-project",
        {"files": "dist/*"},
        ("is project other",),
        files={"other-1.2.3-py3-none-any.whl": wheel_bytes("other")},
        hook=draft_release,
    ),
    Case(
        AW,
        "unicode-wheel-name",
        {"files": "dist/*"},
        ("non-ASCII characters",),
        files={"démo-1.2.3-py3-none-any.whl": wheel_bytes()},
        hook=draft_release,
    ),
    Case(
        AW,
        "dotdot-in-wheel-name",
        {"files": "dist/*"},
        ("..-1.2.3-py3-none-any.whl spells its name", "normalised"),
        files={"..-1.2.3-py3-none-any.whl": dist_bytes("..-1.2.3-py3-none-any.whl")},
        hook=draft_release,
    ),
    # -- publish-release --------------------------------------------------------------------------
    Case(PR, "no-release", {}, ("no release (draft or published)", "draft-release")),
    Case(PR, "make-latest-maybe", {"make-latest": "maybe"}, ("'make-latest' is 'maybe'",)),
    Case(PR, "verify-not-boolean", {"verify": "yes"}, ("'verify' is 'yes'", "not a boolean")),
    Case(PR, "two-drafts", {}, ("2 draft releases",), hook=two_drafts),
    Case(
        PR,
        "unsigned-draft",
        {"verify": "true"},
        ("has no Sigstore bundle on the release",),
        hook=draft_release,
        env={"GITHUB_REPOSITORY": "octo-org/demo"},
    ),
    Case(
        PR,
        "read-only-token",
        {},
        ("no release (draft or published)",),
        hook=draft_release,
        token="read",
    ),
    # -- publish-pypi -------------------------------------------------------------------------------
    Case(
        PP, "repository-url-ftp", {"repository-url": "ftp://example.org/"}, ("not an http(s) URL",)
    ),
    Case(
        PP,
        "repository-url-plain-http",
        {"repository-url": "http://pypi.example.org/legacy/"},
        ("plain HTTP", "clear text"),
    ),
    Case(
        PP,
        "credentials-in-url",
        {"repository-url": "https://user:pw@pypi.example.org/legacy/"},
        ("carries credentials",),
    ),
    Case(
        PP,
        "token-with-attestations",
        {"token": "pypi-fake", "attestations": "true"},
        ("only from trusted", "attestations: false"),
    ),
    Case(
        PP,
        "no-oidc-token",
        {},
        ("no OIDC token", "id-token: write"),
        env={"GITHUB_ACTIONS": "true"},
    ),
    Case(
        PP,
        "linux-wheel",
        {"token": "pypi-fake"},
        ("linux_x86_64, which PyPI refuses",),
        files={
            "demo-1.2.3-cp311-cp311-linux_x86_64.whl": wheel_bytes(
                tags=("cp311-cp311-linux_x86_64",)
            )
        },
    ),
    Case(
        PP,
        "mixed-versions",
        {"token": "pypi-fake"},
        ("2 projects or versions",),
        files={WHEEL: wheel_bytes(), "demo-1.2.4.tar.gz": sdist_bytes(version="1.2.4")},
    ),
    Case(
        PP,
        "files-match-nothing",
        {"files": "dist/*.whl", "token": "pypi-fake"},
        ("matches no file",),
        files={SDIST: sdist_bytes()},
    ),
    Case(
        AW,
        "stray-file-type",
        {"files": "dist/*"},
        ("notes.txt is not a wheel",),
        files={"notes.txt": b"hello"},
        hook=draft_release,
    ),
    Case(
        AW,
        "tag-not-a-version",
        {"files": "dist/*", "tag": "nightly"},
        ("nightly",),
        hook=draft_release,
    ),
    Case(
        AW,
        "file-over-2gib",
        {"files": "dist/*"},
        ("2 GiB",),
        files={},
        hook=both(draft_release, sparse_2gib),
    ),
    Case(
        AW,
        "immutable-release",
        {"files": "dist/*"},
        ("immutable",),
        files={CP313: dist_bytes(CP313)},
        hook=immutable_release,
    ),
    Case(
        AW,
        "read-only-token-403",
        {"files": "dist/*"},
        # GitHub lists drafts only to tokens that may push: the draft is not seen at all.
        ("no release (draft or published)", "may push", "contents: write"),
        files={CP313: dist_bytes(CP313)},
        hook=draft_release,
        token="read",
        refused_writes=True,
    ),
    Case(AW, "missing-token", {"files": "dist/*"}, ("no token",), token="none", hook=draft_release),
]

#: Corrupt or mislabelled distributions: sign, draft-release and add-wheels-to-release must
#: refuse them (distcheck.require_intact) before any request, naming the file and the problem.
CORRUPT: list[tuple[str, bytes, str, tuple[str, ...]]] = [
    ("truncated-wheel", wheel_bytes()[:200], WHEEL, ("not a readable archive",)),
    ("not-a-zip-wheel", b"this is not a zip archive\n", WHEEL, ("not a readable archive",)),
    ("truncated-sdist", sdist_bytes()[:60], SDIST, ("not a readable archive",)),
    (
        "wheel-metadata-disagrees",
        wheel_bytes(metadata_version="1.2.4"),
        WHEEL,
        ("METADATA says demo 1.2.4, not demo 1.2.3",),
    ),
    (
        "sdist-metadata-disagrees",
        sdist_bytes(metadata_version="9.9"),
        SDIST,
        ("PKG-INFO says demo 9.9, not demo 1.2.3",),
    ),
]
for _step, _action in (("sign", "sign"), (DR, "upload"), (AW, "upload")):
    for _id, _data, _name, _fragments in CORRUPT:
        CASES.append(
            Case(
                _step,
                f"{_id}",
                {"files": "dist/*"},
                (
                    _name,
                    f"refusing to {_action} 1 broken or mislabelled distribution(s)",
                    *_fragments,
                ),
                files={_name: _data},
                hook=draft_release if _step == AW and _name != SDIST else None,
            )
        )


def _params() -> list[object]:
    return [pytest.param(c, id=f"{c.step}:{c.id}") for c in CASES]


@pytest.mark.parametrize("case", _params())
def test_bad_input_is_refused_without_side_effects(
    case: Case, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    world = World(
        tmp_path,
        github=request.getfixturevalue("github_standin") if case.needs_github else None,
        sigstore=request.getfixturevalue("sigstore_standin") if case.needs_sigstore else None,
    )
    prepared = case.prepare(world)
    ws = prepared.workspace
    outputs = {d: listing(ws / d) for d in ("dist", "signatures", "out")}
    releases = (
        [(r.id, r.draft, sorted(a.name for a in r.assets)) for r in world.gh.releases()]
        if world.github
        else []
    )
    before = dict(world.sigstore.request_counts) if world.sigstore else {}

    result = run_step(
        case.step,
        prepared.inputs,
        workspace=ws,
        tmp=tmp_path / "runs",
        event=prepared.event,
        extra_env=prepared.env,
    )

    annotation = assert_failed(result, *case.expect)
    assert "Fix: " in annotation, annotation
    assert "crashed" not in annotation, result.stdout
    for folder, was in outputs.items():
        assert listing(ws / folder) == was, f"{folder}/ changed"
    if world.github is not None:
        gh = world.github
        wrote = [
            r
            for r in gh.mutating_requests()
            if not case.refused_writes or (r.status is not None and r.status < 400)
        ]
        assert wrote == [], [(r.method, r.path, r.status) for r in wrote]
        after = [(r.id, r.draft, sorted(a.name for a in r.assets)) for r in gh.releases()]
        assert after == releases
    if world.sigstore is not None:
        counts = world.sigstore.request_counts
        for service in ("fulcio", "rekor"):
            assert counts.get(service, 0) == before.get(service, 0), (service, counts)


def test_corpus_is_large_and_covers_every_step() -> None:
    from release_actions.registry import STEPS  # noqa: PLC0415

    assert len(CASES) >= 40
    assert {c.step for c in CASES} == set(STEPS)
