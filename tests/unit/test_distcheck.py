"""distcheck on small hand-made wheels and sdists: every check fires, good dists pass."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pytest

from release_actions.build.checks import check_dists
from release_actions.dists import (
    DistFile,
    InvalidDistName,
    Problem,
    pypi_accepts_platform,
    sha256_file,
)
from tests.dists import dist_bytes, sdist_bytes, wheel_bytes


def check_integrity(path: Path) -> Problem | None:
    """What sign and upload refuse: a malformed dist name, or the model's integrity problem."""
    try:
        dist = DistFile.parse(path)
    except InvalidDistName as exc:
        return Problem(path, exc.message, exc.fix or "")
    assert dist is not None
    return dist.integrity_problem()


NAME = "example_pkg"
VERSION = "1.2.3"
WHEEL_NAME = f"{NAME}-{VERSION}-py3-none-any.whl"
SDIST_NAME = f"{NAME}-{VERSION}.tar.gz"


def metadata(
    *,
    name: str = "example-pkg",
    version: str = VERSION,
    content_type: str | None = "text/markdown",
    body: str = "# Example\n\nA package.\n",
    extra: str = "",
) -> str:
    text = f"Metadata-Version: 2.4\nName: {name}\nVersion: {version}\nSummary: An example\n"
    if content_type is not None:
        text += f"Description-Content-Type: {content_type}\n"
    return text + extra + "\n" + body


def record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}\n"


def make_wheel(
    directory: Path,
    filename: str = WHEEL_NAME,
    *,
    meta: str | None = None,
    files: Mapping[str, bytes] | None = None,
    dist_info: str = f"{NAME}-{VERSION}.dist-info",
    record: str | None = None,
    unlisted: Mapping[str, bytes] | None = None,
    tampered: Mapping[str, bytes] | None = None,
) -> Path:
    """A wheel whose RECORD matches its files, unless told otherwise.

    ``record`` replaces RECORD entirely; ``unlisted`` files are added without RECORD rows;
    ``tampered`` replaces a file's content after RECORD was computed.
    """
    contents: dict[str, bytes] = {
        f"{NAME}/__init__.py": b'"""Example."""\n',
        f"{NAME}/core.py": b"def f() -> int:\n    return 1\n",
        **(files or {}),
        f"{dist_info}/METADATA": (meta if meta is not None else metadata()).encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    if record is None:
        record = "".join(record_line(p, d) for p, d in contents.items())
        record += f"{dist_info}/RECORD,,\n"
    contents.update(tampered or {})
    contents[f"{dist_info}/RECORD"] = record.encode()
    contents.update(unlisted or {})
    path = directory / filename
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    return path


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    archive.addfile(info, io.BytesIO(data))


def make_sdist(
    directory: Path,
    filename: str = SDIST_NAME,
    *,
    top: str = f"{NAME}-{VERSION}",
    meta: str | None = None,
    files: Mapping[str, bytes] | None = None,
    pkg_info: bool = True,
    pyproject: bool = True,
    extra_members: list[tarfile.TarInfo] | None = None,
) -> Path:
    """A well-formed sdist; ``files`` are relative to the archive root (not to ``top``)."""
    contents: dict[str, bytes] = {f"{top}/src/{NAME}/__init__.py": b'"""Example."""\n'}
    if pyproject:
        contents[f"{top}/pyproject.toml"] = b'[project]\nname = "example-pkg"\n'
    if pkg_info:
        contents[f"{top}/PKG-INFO"] = (meta if meta is not None else metadata()).encode()
    contents.update(files or {})
    path = directory / filename
    with tarfile.open(path, "w:gz") as archive:
        for name, data in contents.items():
            _add(archive, name, data)
        for member in extra_members or []:
            archive.addfile(member)
    return path


def only(problems: list[Problem], *fragments: str) -> Problem:
    """Exactly one problem, whose message holds every fragment (case-insensitive)."""
    assert len(problems) == 1, problems
    problem = problems[0]
    for fragment in fragments:
        assert fragment.lower() in problem.message.lower(), problem
    assert problem.fix
    return problem


def any_problem(problems: list[Problem], *fragments: str) -> Problem:
    for problem in problems:
        if all(f.lower() in problem.message.lower() for f in fragments):
            assert problem.fix
            return problem
    raise AssertionError(f"no problem holds {fragments}: {problems}")


# --------------------------------------------------------------------------- good dists


def test_good_sdist_and_wheel_pass(tmp_path: Path) -> None:
    dists = [make_sdist(tmp_path), make_wheel(tmp_path)]
    assert check_dists(dists, expected_version=None) == []
    assert check_dists(dists, expected_version="1.2.3") == []


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (None, "Example\n=======\n\nValid *reStructuredText*.\n"),
        ("text/x-rst", "Example\n=======\n\nValid *reStructuredText*.\n"),
        ("text/markdown; charset=UTF-8; variant=GFM", "# Example\n\n*unclosed markdown\n"),
        ("text/markdown; variant=CommonMark", "# Example\n"),
        ("text/plain", "anything *goes* here\n"),
    ],
)
def test_readmes_that_render_pass(tmp_path: Path, content_type: str | None, body: str) -> None:
    wheel = make_wheel(tmp_path, meta=metadata(content_type=content_type, body=body))
    assert check_dists([wheel], expected_version=None) == []


def test_missing_readme_is_allowed(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, meta=metadata(content_type=None, body=""))
    assert check_dists([wheel], expected_version=None) == []


def test_nested_tests_package_is_not_stray(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, files={f"{NAME}/tests/__init__.py": b""})
    assert check_dists([wheel], expected_version=None) == []


def test_wheel_with_build_tag_and_data_dir_passes(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path,
        f"{NAME}-{VERSION}-1-py3-none-any.whl",
        files={f"{NAME}-{VERSION}.data/scripts/tool": b"#!python\n"},
    )
    assert check_dists([wheel], expected_version=None) == []


def test_sha256_file_streams_the_same_digest(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    data = b"x" * (3 * 1024 * 1024 + 7)
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- filenames


def test_invalid_wheel_filename(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, f"{NAME}-{VERSION}.whl")
    problem = only(check_dists([wheel], expected_version=None), "invalid wheel filename")
    assert problem.file == wheel


def test_wheel_name_not_normalized(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, f"Example_Pkg-{VERSION}-py3-none-any.whl")
    only(check_dists([wheel], expected_version=None), "'Example_Pkg'", "'example_pkg'")


def test_wheel_version_not_normalized(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, f"{NAME}-1.02.3-py3-none-any.whl")
    only(check_dists([wheel], expected_version=None), "'1.02.3'", "1.2.3")


def test_sdist_name_not_normalized_pep_625(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, f"Example-Pkg-{VERSION}.tar.gz", top=f"Example-Pkg-{VERSION}")
    only(check_dists([sdist], expected_version=None), "PEP 625", "'example_pkg'")


@pytest.mark.parametrize("suffix", [".zip", ".tar.bz2", ".egg"])
def test_other_sdist_formats_refused(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"{NAME}-{VERSION}{suffix}"
    path.write_bytes(b"irrelevant")
    only(check_dists([path], expected_version=None), "not an accepted distribution format")


def test_not_a_distribution(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hi")
    only(check_dists([path], expected_version=None), "neither an sdist")


def test_unreadable_archives(tmp_path: Path) -> None:
    wheel = tmp_path / WHEEL_NAME
    wheel.write_bytes(b"not a zip")
    sdist = tmp_path / SDIST_NAME
    sdist.write_bytes(b"not a gzip")
    problems = check_dists([sdist, wheel], expected_version=None)
    assert {p.file for p in problems} == {sdist, wheel}
    any_problem(problems, "not a readable zip")
    any_problem(problems, "not a readable .tar.gz")


# --------------------------------------------------------------------------- metadata


def test_invalid_metadata_reported(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, meta=metadata(extra="Requires-Dist: foo >>> 1\n"))
    only(check_dists([wheel], expected_version=None), "invalid metadata", "requires-dist")


def test_sdist_pkg_info_validated(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, meta=metadata(extra="Requires-Python: >=3.x\n"))
    only(check_dists([sdist], expected_version=None), "PKG-INFO", "requires-python")


def test_metadata_name_differs_from_filename(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, meta=metadata(name="other-pkg"))
    only(check_dists([wheel], expected_version=None), "'other-pkg'", "filename")


def test_metadata_version_differs_from_filename(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, meta=metadata(version="1.2.4"))
    only(check_dists([sdist], expected_version=None), "version 1.2.4", "filename says 1.2.3")


def test_expected_version_mismatch(tmp_path: Path) -> None:
    dists = [make_sdist(tmp_path), make_wheel(tmp_path)]
    problems = check_dists(dists, expected_version="1.2.4")
    assert len(problems) == 2
    assert {p.file for p in problems} == set(dists)
    for problem in problems:
        assert "expected 1.2.4" in problem.message


def test_expected_version_compared_as_string_too(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    only(check_dists([wheel], expected_version="1.2.3.0"), "spelled '1.2.3'", "'1.2.3.0'")


def test_invalid_expected_version_raises(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not-a-version"):
        check_dists([make_wheel(tmp_path)], expected_version="not-a-version")


def test_versions_disagree_across_dists(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path)
    wheel = make_wheel(
        tmp_path,
        f"{NAME}-1.2.4-py3-none-any.whl",
        meta=metadata(version="1.2.4"),
        dist_info=f"{NAME}-1.2.4.dist-info",
    )
    problem = only(check_dists([sdist, wheel], expected_version=None), "1.2.4 differs from 1.2.3")
    assert problem.file == wheel


def test_names_disagree_across_dists(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path)
    wheel = make_wheel(
        tmp_path,
        f"other-{VERSION}-py3-none-any.whl",
        meta=metadata(name="other"),
        dist_info=f"other-{VERSION}.dist-info",
        files={"other/__init__.py": b""},
    )
    only(check_dists([sdist, wheel], expected_version=None), "'other' differs")


def test_two_sdists(tmp_path: Path) -> None:
    first = make_sdist(tmp_path)
    (tmp_path / "b").mkdir()
    second = make_sdist(tmp_path / "b")
    only(check_dists([first, second], expected_version=None), "more than one sdist")


# --------------------------------------------------------------------------- README


def test_broken_rst_readme_reports_renderer_warnings(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, meta=metadata(content_type="text/x-rst", body="*unclosed\n"))
    only(
        check_dists([wheel], expected_version=None),
        "does not render",
        "Inline emphasis start-string without end-string",
    )


def test_rst_is_the_default_content_type(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, meta=metadata(content_type=None, body="``unclosed\n"))
    only(check_dists([wheel], expected_version=None), "reStructuredText", "inline literal")


def test_unknown_readme_content_type(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, meta=metadata(content_type="text/html", body="<p>x</p>"))
    any_problem(check_dists([wheel], expected_version=None), "'text/html'", "PyPI")


def test_unknown_markdown_variant(tmp_path: Path) -> None:
    meta = metadata(content_type="text/markdown; variant=Fancy")
    any_problem(check_dists([make_wheel(tmp_path, meta=meta)], expected_version=None), "Fancy")


# --------------------------------------------------------------------------- RECORD


def test_record_hash_mismatch(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, tampered={f"{NAME}/core.py": b"def f() -> int:\n    return 2\n"})
    only(check_dists([wheel], expected_version=None), "do not match their hash", "core.py")


def test_record_size_mismatch_and_unlisted_and_missing(tmp_path: Path) -> None:
    dist_info = f"{NAME}-{VERSION}.dist-info"
    init = b'"""Example."""\n'
    record = (
        record_line(f"{NAME}/__init__.py", init).replace(f",{len(init)}\n", ",999\n")
        + record_line(f"{NAME}/gone.py", b"x")
        + f"{dist_info}/RECORD,,\n"
    )
    # core.py, METADATA and WHEEL have no rows in this RECORD.
    wheel = make_wheel(tmp_path, record=record)
    problems = check_dists([wheel], expected_version=None)
    assert len(problems) == 3, problems
    any_problem(problems, "do not match their size", "__init__.py")
    any_problem(problems, "3 file(s) are in the wheel but not in record", "core.py", "METADATA")
    any_problem(problems, "in RECORD but not in the wheel", "gone.py")


def test_unlisted_extra_file(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, unlisted={f"{NAME}/sneaky.py": b"x = 1\n"})
    only(check_dists([wheel], expected_version=None), "not in RECORD", "sneaky.py")


def test_record_signature_files_may_be_unlisted(tmp_path: Path) -> None:
    dist_info = f"{NAME}-{VERSION}.dist-info"
    wheel = make_wheel(tmp_path, unlisted={f"{dist_info}/RECORD.jws": b"{}"})
    assert check_dists([wheel], expected_version=None) == []


def test_record_listing_itself_with_hash(tmp_path: Path) -> None:
    dist_info = f"{NAME}-{VERSION}.dist-info"
    good = make_wheel(tmp_path)
    with zipfile.ZipFile(good) as archive:
        record = archive.read(f"{dist_info}/RECORD").decode()
    (tmp_path / "bad").mkdir()
    bad = make_wheel(
        tmp_path / "bad",
        record=record.replace(f"{dist_info}/RECORD,,", f"{dist_info}/RECORD,sha256=abc,12"),
    )
    only(check_dists([bad], expected_version=None), "lists itself with a hash")


def test_record_not_listing_itself(tmp_path: Path) -> None:
    dist_info = f"{NAME}-{VERSION}.dist-info"
    good = make_wheel(tmp_path)
    with zipfile.ZipFile(good) as archive:
        record = archive.read(f"{dist_info}/RECORD").decode()
    (tmp_path / "bad").mkdir()
    bad = make_wheel(tmp_path / "bad", record=record.replace(f"{dist_info}/RECORD,,\n", ""))
    only(check_dists([bad], expected_version=None), "does not list itself")


def test_record_weak_hash(tmp_path: Path) -> None:
    dist_info = f"{NAME}-{VERSION}.dist-info"
    good = make_wheel(tmp_path)
    with zipfile.ZipFile(good) as archive:
        record = archive.read(f"{dist_info}/RECORD").decode()
    lines = record.splitlines(keepends=True)
    path = lines[0].split(",")[0]
    lines[0] = f"{path},md5=abc,1\n"
    (tmp_path / "bad").mkdir()
    bad = make_wheel(tmp_path / "bad", record="".join(lines))
    only(check_dists([bad], expected_version=None), "sha256 (or stronger)", "(md5)")


def test_missing_record(tmp_path: Path) -> None:
    wheel = tmp_path / WHEEL_NAME
    dist_info = f"{NAME}-{VERSION}.dist-info"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(f"{NAME}/__init__.py", b"")
        archive.writestr(f"{dist_info}/METADATA", metadata().encode())
        archive.writestr(f"{dist_info}/WHEEL", b"Wheel-Version: 1.0\n")
    only(check_dists([wheel], expected_version=None), f"lacks {dist_info}/RECORD")


def test_two_dist_info_directories(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, files={"old-0.1.dist-info/METADATA": b""})
    only(check_dists([wheel], expected_version=None), "exactly one .dist-info", "found 2")


# --------------------------------------------------------------------------- stray packages


@pytest.mark.parametrize(
    "stray", ["tests/__init__.py", "docs/conf.py", "examples/demo.py", "build/lib/x.py", "src/a.py"]
)
def test_stray_top_level_packages(tmp_path: Path, stray: str) -> None:
    wheel = make_wheel(tmp_path, files={stray: b""})
    only(
        check_dists([wheel], expected_version=None),
        "stray top-level",
        stray.split("/", maxsplit=1)[0],
    )


def test_stray_top_level_module(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, files={"conftest.py": b"", "setup.py": b""})
    only(check_dists([wheel], expected_version=None), "conftest.py, setup.py")


# --------------------------------------------------------------------------- sdist layout


def test_sdist_without_pkg_info(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, pkg_info=False)
    only(check_dists([sdist], expected_version=None), "lacks", "PKG-INFO")


def test_sdist_without_build_configuration(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, pyproject=False)
    only(check_dists([sdist], expected_version=None), "neither", "pyproject.toml", "setup.py")


def test_sdist_with_setup_py_only_passes(tmp_path: Path) -> None:
    sdist = make_sdist(
        tmp_path, pyproject=False, files={f"{NAME}-{VERSION}/setup.py": b"setup()\n"}
    )
    assert check_dists([sdist], expected_version=None) == []


def test_sdist_with_second_top_level_directory(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, files={"stray/file.txt": b"x"})
    only(check_dists([sdist], expected_version=None), "single top-level directory", "stray")


def test_sdist_top_level_directory_must_match_filename(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, top="example-pkg-1.2.3")
    only(check_dists([sdist], expected_version=None), f"{NAME}-{VERSION}/", "example-pkg-1.2.3")


@pytest.mark.parametrize("member", ["/etc/passwd", f"{NAME}-{VERSION}/../../evil.py"])
def test_sdist_unsafe_paths(tmp_path: Path, member: str) -> None:
    sdist = make_sdist(tmp_path, files={member: b"x"})
    any_problem(check_dists([sdist], expected_version=None), "unsafe paths")


def test_sdist_symlink_leaving_the_archive(tmp_path: Path) -> None:
    link = tarfile.TarInfo(f"{NAME}-{VERSION}/escape")
    link.type = tarfile.SYMTYPE
    link.linkname = "../../etc/passwd"
    inside = tarfile.TarInfo(f"{NAME}-{VERSION}/docs/readme")
    inside.type = tarfile.SYMTYPE
    inside.linkname = "../README.md"
    sdist = make_sdist(tmp_path, extra_members=[link, inside])
    problem = only(check_dists([sdist], expected_version=None), "links leaving the archive")
    assert "escape" in problem.message
    assert "docs/readme" not in problem.message


# --------------------------------------------------------------------------- check_integrity
# The light gate sign, draft-release and add-wheels-to-release run: a whole archive whose
# metadata names what the filename names; nothing else (README, RECORD, layout) is judged.

DEMO_WHEEL = "demo-1.2.3-py3-none-any.whl"
DEMO_SDIST = "demo-1.2.3.tar.gz"


def write_dist(directory: Path, filename: str, data: bytes) -> Path:
    path = directory / filename
    path.write_bytes(data)
    return path


def broken(path: Path, *fragments: str) -> Problem:
    """check_integrity's one problem for ``path``: names the file, holds every fragment."""
    problem = check_integrity(path)
    assert problem is not None, path
    assert problem.file == path
    assert problem.message.startswith(path.name), problem
    for fragment in fragments:
        assert fragment in problem.message, problem
    assert problem.fix
    return problem


@pytest.mark.parametrize(
    "filename",
    [
        DEMO_WHEEL,
        DEMO_SDIST,
        "demo-1.2.3-cp313-cp313-manylinux_2_28_x86_64.whl",
        "demo-1.2.3+local-py3-none-any.whl",
        "example_pkg-1.0.0.tar.gz",
        "demo-2.0.0rc1.tar.gz",
    ],
)
def test_integrity_good_dists_pass(tmp_path: Path, filename: str) -> None:
    assert check_integrity(write_dist(tmp_path, filename, dist_bytes(filename))) is None


def test_integrity_ignores_what_only_check_dists_judges(tmp_path: Path) -> None:
    """A RECORD that lies or a README that does not render is not the gate's business."""
    wheel = make_wheel(tmp_path, tampered={f"{NAME}/core.py": b"changed\n"})
    sdist = make_sdist(tmp_path, meta=metadata(content_type="text/x-rst", body="`broken\n"))
    assert check_dists([wheel, sdist], expected_version=None) != []
    assert (check_integrity(wheel), check_integrity(sdist)) == (None, None)


def test_integrity_metadata_compared_canonically(tmp_path: Path) -> None:
    """Name canonicalized and version PEP 440-equal: Example.Pkg 1.0 is example_pkg 1.0.0."""
    wheel = wheel_bytes("example_pkg", "1.0.0", metadata_name="Example.Pkg", metadata_version="1.0")
    sdist = sdist_bytes("example_pkg", "1.0.0", metadata_name="EXAMPLE-pkg", metadata_version="1.0")
    assert (
        check_integrity(write_dist(tmp_path, "example_pkg-1.0.0-py3-none-any.whl", wheel)) is None
    )
    assert check_integrity(write_dist(tmp_path, "example_pkg-1.0.0.tar.gz", sdist)) is None


def test_integrity_truncated_sdist(tmp_path: Path) -> None:
    data = sdist_bytes(payload=b"x = 1\n" * 500)
    sdist = write_dist(tmp_path, DEMO_SDIST, data[: len(data) // 2])
    broken(sdist, "is not a readable archive", "ended before the end-of-stream marker")


@pytest.mark.parametrize("keep", [0.5, -1], ids=["half", "last-byte"])
def test_integrity_truncated_wheel(tmp_path: Path, keep: float) -> None:
    data = wheel_bytes()
    cut = int(len(data) * keep) if keep > 0 else len(data) - 1
    wheel = write_dist(tmp_path, DEMO_WHEEL, data[:cut])
    broken(wheel, "is not a readable archive", "not a zip file")


def test_integrity_not_a_zip_wheel(tmp_path: Path) -> None:
    wheel = write_dist(tmp_path, DEMO_WHEEL, b"wheel " * 100)
    broken(wheel, "is not a readable archive", "not a zip file")


def test_integrity_not_a_gzip_sdist(tmp_path: Path) -> None:
    sdist = write_dist(tmp_path, DEMO_SDIST, b"sdist " * 50)
    broken(sdist, "is not a readable archive", "not a gzip file")


def test_integrity_wheel_member_corrupt(tmp_path: Path) -> None:
    """The zip directory is intact but a member's bytes are not (testzip's CRC check)."""
    data = bytearray(wheel_bytes(payload=b"payload = 1\n" * 50))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("demo/__init__.py")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF
    wheel = write_dist(tmp_path, DEMO_WHEEL, bytes(data))
    broken(wheel, "is not a readable archive", "demo/__init__.py")


def test_integrity_wheel_metadata_of_another_version(tmp_path: Path) -> None:
    wheel = write_dist(tmp_path, DEMO_WHEEL, wheel_bytes(metadata_version="1.2.4"))
    problem = broken(wheel, "METADATA says demo 1.2.4, not demo 1.2.3")
    assert "rebuild" in problem.fix


def test_integrity_sdist_pkg_info_of_another_name(tmp_path: Path) -> None:
    sdist = write_dist(tmp_path, DEMO_SDIST, sdist_bytes(metadata_name="other"))
    problem = broken(sdist, "PKG-INFO says other 1.2.3, not demo 1.2.3")
    assert "rebuild" in problem.fix


def test_integrity_renamed_wheel(tmp_path: Path) -> None:
    """A good wheel of demo 1.2.3 given another version's file name."""
    wheel = write_dist(tmp_path, "demo-1.2.4-py3-none-any.whl", wheel_bytes())
    broken(wheel, "METADATA says demo 1.2.3, not demo 1.2.4")


def test_integrity_wheel_without_metadata(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("demo/__init__.py", b"")
        archive.writestr("demo-1.2.3.dist-info/WHEEL", b"Wheel-Version: 1.0\n")
        archive.writestr("demo-1.2.3.dist-info/RECORD", b"")
    wheel = write_dist(tmp_path, DEMO_WHEEL, buffer.getvalue())
    broken(wheel, "holds no METADATA")


def test_integrity_sdist_without_pkg_info(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, "demo-1.2.3.tar.gz", top="demo-1.2.3", pkg_info=False)
    broken(sdist, "holds no PKG-INFO")


def test_integrity_metadata_without_a_version(tmp_path: Path) -> None:
    meta = "Metadata-Version: 2.1\nName: example-pkg\n"
    wheel = make_wheel(tmp_path, meta=meta)
    broken(wheel, "METADATA says example-pkg None, not example-pkg 1.2.3")


def test_integrity_invalid_file_name(tmp_path: Path) -> None:
    wheel = write_dist(tmp_path, "demo_bad-name.whl", wheel_bytes())
    broken(wheel, "is not a valid distribution file name")


def test_integrity_catches_a_cut_gzip_trailer_and_corrupt_deflate(tmp_path: Path) -> None:
    from tests.dists import sdist_bytes, wheel_bytes  # noqa: PLC0415

    sdist = tmp_path / "demo-1.2.3.tar.gz"
    sdist.write_bytes(sdist_bytes()[:-4])  # tar is whole; the gzip CRC/size trailer is not
    problem = check_integrity(sdist)
    assert problem is not None
    assert "not a readable archive" in problem.message
    data = bytearray(wheel_bytes(payload=b"x = 1\n" * 400))
    wheel = tmp_path / "demo-1.2.3-py3-none-any.whl"
    found = 0
    for offset in range(60, 200, 7):  # inside the first (compressed) member
        broken = bytearray(data)
        broken[offset] ^= 0xFF
        wheel.write_bytes(bytes(broken))
        result = check_integrity(wheel)  # never raises, whatever the damage
        found += result is not None
    assert found > 0


@pytest.mark.parametrize(
    ("platform", "accepted"),
    [
        ("any", True),
        ("linux_x86_64", False),
        ("linux_armv7l", True),
        ("manylinux_2_28_x86_64", True),
        ("manylinux_2_28_ppc64", True),
        ("musllinux_1_2_ppc64", False),
        ("manylinux_2_17_sparc", False),
        ("macosx_10_9_x86_64", True),
        ("macosx_11_0_arm64", True),
        ("macosx_11_2_arm64", False),
        ("macosx_16_0_arm64", False),
        ("win_amd64", True),
        ("ios_13_0_arm64_iphoneos", True),
        ("android_21_arm64_v8a", True),
        ("pyemscripten_2024_0_wasm32", True),
        ("pyemscripten_2025_0_wasm32x", False),
        ("emscripten_3_1_58_wasm32", False),
    ],
)
def test_platform_tags_as_pypi_decides(platform: str, accepted: bool) -> None:
    """warehouse/utils/wheel.py `is_valid_platform_tag`, case by case."""
    assert pypi_accepts_platform(platform) is accepted


def _split_gzip(data: bytes) -> bytes:
    """The same tar as two gzip members one after the other (gzip allows it)."""
    import gzip  # noqa: PLC0415

    raw = gzip.decompress(data)
    half = len(raw) // 2
    return gzip.compress(raw[:half], mtime=0) + gzip.compress(raw[half:], mtime=0)


@pytest.mark.parametrize(
    ("shape", "problem"),
    [
        ("two members", None),
        ("zero padding after the last member", None),
        ("a bad CRC", "not a readable archive"),
        ("bytes after the last member", "not a readable archive"),
    ],
)
def test_integrity_reads_sdists_as_gzip_does_and_hashes_every_byte(
    tmp_path: Path, shape: str, problem: str | None
) -> None:
    data = sdist_bytes(payload=b"x = 1\n" * 500)
    if shape == "two members":
        data = _split_gzip(data)
    elif shape == "zero padding after the last member":
        data += b"\0" * 1024
    elif shape == "a bad CRC":
        data = data[:-8] + bytes(b ^ 0xFF for b in data[-8:-4]) + data[-4:]
    else:
        data += b"not gzip"
    sdist = write_dist(tmp_path, DEMO_SDIST, data)
    found = check_integrity(sdist)
    if problem is None:
        assert found is None
        dist = DistFile.parse(sdist)
        assert dist is not None
        dist.integrity_problem()
        assert dist.sha256 == hashlib.sha256(data).hexdigest()
    else:
        assert found is not None
        assert problem in found.message
