"""Real PEP 517 builds of real projects: every backend, failures, byte-identical rebuilds."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest

from release_actions.build.builder import BuildError, ProjectError, build_dists, normalize_sdist
from release_actions.build.checks import check_dists
from tests.projects import DEFAULT_EPOCH, Backend, make_project

SDIST = "example_pkg-1.2.3.tar.gz"
WHEEL = "example_pkg-1.2.3-py3-none-any.whl"


def build(project: Path, outdir: Path, *, sdist: bool = True, wheel: bool = True) -> list[str]:
    """Build with the defaults the action uses; return the log lines."""
    lines: list[str] = []
    build_dists(
        project,
        outdir,
        sdist=sdist,
        wheel=wheel,
        source_date_epoch=DEFAULT_EPOCH,
        config_settings={},
        log=lines.append,
    )
    return lines


def set_mtimes(project: Path, when: int) -> None:
    for path in project.rglob("*"):
        if ".git" not in path.relative_to(project).parts:
            os.utime(path, (when, when))


# --------------------------------------------------------------------------- real builds


CERTIFICATE_VARIABLES = {"SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "PIP_CERT"}


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["setuptools", "hatchling", "flit"])
def test_rebuild_by_someone_else_is_byte_identical(tmp_path: Path, backend: Backend) -> None:
    """One commit built here, and by someone else: another clone path, files with other
    mtimes, umask 002 (many distributions' default), another time zone, locale, HOME and
    TMPDIR, through the command line in a process of its own. Same bytes."""
    first = make_project(tmp_path / "one", backend)
    second = tmp_path / "elsewhere" / "checkout"
    subprocess.run(["git", "clone", "--quiet", str(first), str(second)], check=True)
    set_mtimes(first, DEFAULT_EPOCH + 86_400)
    set_mtimes(second, 1_000_000_000)
    out_one, out_two = tmp_path / "dist-one", second / "dist"
    build(first, out_one)
    for folder in ("home", "tmp"):
        (tmp_path / "someone" / folder).mkdir(parents=True)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path / "someone" / "home"),
        "TMPDIR": str(tmp_path / "someone" / "tmp"),
        "TZ": "Pacific/Kiritimati",
        "LC_ALL": "C",
        "LANG": "C",
        "SOURCE_DATE_EPOCH": str(DEFAULT_EPOCH),
        # What a newcomer's machine has too: how to reach the package index through TLS.
        **{k: v for k, v in os.environ.items() if k in CERTIFICATE_VARIABLES},
    }
    cli = Path(sys.executable).with_name("release-actions")
    proc = subprocess.run(
        ["sh", "-c", 'umask 002 && exec "$@"', "sh", str(cli), "build-dists",
         "--project", str(second), "--outdir", str(out_two)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in (SDIST, WHEEL):
        assert (out_one / name).read_bytes() == (out_two / name).read_bytes(), name
    assert check_dists([out_one / SDIST, out_one / WHEEL], expected_version="1.2.3") == []


def test_publishing_keeps_unrelated_files(tmp_path: Path) -> None:
    outdir = tmp_path / "dist"
    outdir.mkdir()
    (outdir / "unrelated.txt").write_text("keep me")
    project = make_project(tmp_path / "one", "hatchling")
    build(project, outdir)
    assert sorted(p.name for p in outdir.iterdir()) == [WHEEL, SDIST, "unrelated.txt"]
    assert (outdir / "unrelated.txt").read_text() == "keep me"


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["setuptools-scm", "hatch-vcs"])
def test_version_from_tag(tmp_path: Path, backend: Backend) -> None:
    project = make_project(tmp_path, backend, version="0.0.0", tag="v1.2.3")
    outdir = tmp_path / "dist"
    build(project, outdir)
    dists = sorted(outdir.iterdir())
    assert [p.name for p in dists] == [WHEEL, SDIST]
    assert check_dists(dists, expected_version="1.2.3") == []


@pytest.mark.slow
def test_wheel_only_is_still_built_from_the_sdist(tmp_path: Path) -> None:
    project = make_project(tmp_path, "flit", version="2.0.1")
    outdir = tmp_path / "dist"
    lines = build(project, outdir, sdist=False)
    assert [p.name for p in outdir.iterdir()] == ["example_pkg-2.0.1-py3-none-any.whl"]
    assert any("normalized" in line for line in lines)  # the sdist was built on the way
    assert check_dists(list(outdir.iterdir()), expected_version="2.0.1") == []


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
def test_workspace_owned_by_another_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The container case: git refuses the checkout ("dubious ownership") unless told it is
    safe; setuptools-scm must still find the tag, without any git config being edited."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    project = make_project(tmp_path, "setuptools-scm", tag="v1.2.3")
    for path in [project, *project.rglob("*")]:
        os.lchown(path, 4242, 4242)
    refused = subprocess.run(
        ["git", "-C", str(project), "describe"], capture_output=True, text=True, check=False
    )
    assert "dubious ownership" in refused.stderr

    outdir = tmp_path / "dist"
    build(project, outdir)
    assert sorted(p.name for p in outdir.iterdir()) == [WHEEL, SDIST]


# --------------------------------------------------------------------------- failures

FAILING_BACKEND = textwrap.dedent(
    """\
    import sys

    def build_sdist(sdist_directory, config_settings=None):
        for number in range(45):
            print(f"backend output line {number}")
        print("error: the compiler exploded", file=sys.stderr)
        raise SystemExit(1)
    """
)

SDIST_WITHOUT_DATA_BACKEND = textwrap.dedent(
    """\
    import io, os, tarfile
    from pathlib import Path

    BASE = "fragile-1.0"
    PKG_INFO = b"Metadata-Version: 2.1\\nName: fragile\\nVersion: 1.0\\n"

    def build_sdist(sdist_directory, config_settings=None):
        with tarfile.open(os.path.join(sdist_directory, BASE + ".tar.gz"), "w:gz") as tar:
            for name in ("pyproject.toml", "backend.py"):  # data.txt is forgotten
                tar.add(name, arcname=f"{BASE}/{name}")
            info = tarfile.TarInfo(f"{BASE}/PKG-INFO")
            info.size = len(PKG_INFO)
            tar.addfile(info, io.BytesIO(PKG_INFO))
        return BASE + ".tar.gz"

    def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
        Path("data.txt").read_text()  # FileNotFoundError when built from the sdist
        raise AssertionError("unreachable in this test")
    """
)


def in_tree_backend_project(root: Path, backend_source: str, **files: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n'
    )
    (root / "backend.py").write_text(backend_source)
    for name, content in files.items():
        (root / name).write_text(content)
    return root


@pytest.mark.slow
def test_failing_backend_reports_output_tail(tmp_path: Path) -> None:
    project = in_tree_backend_project(tmp_path / "project", FAILING_BACKEND)
    outdir = tmp_path / "dist"
    with pytest.raises(BuildError) as raised:
        build(project, outdir)
    error = raised.value
    # The cause leads the message (stderr's line, not overtaken by buffered stdout: the
    # backend runs unbuffered whatever PYTHONUNBUFFERED the caller has); the output's
    # tail is the details, fenced in the summary.
    assert error.message.endswith("failed while building the sdist from "
                                  f"{project}: error: the compiler exploded")  # fmt: skip
    assert error.details is not None
    assert "backend output line 44" in error.details
    assert "backend output line 10" not in error.details  # only the tail
    assert error.details.rstrip().endswith("error: the compiler exploded")
    assert error.fix
    assert "python -m build" in error.fix
    assert not outdir.exists() or list(outdir.iterdir()) == []


@pytest.mark.slow
def test_file_missing_from_sdist_fails_the_wheel(tmp_path: Path) -> None:
    project = in_tree_backend_project(
        tmp_path / "project", SDIST_WITHOUT_DATA_BACKEND, **{"data.txt": "needed"}
    )
    outdir = tmp_path / "dist"
    with pytest.raises(BuildError) as raised:
        build(project, outdir)
    assert "building the wheel from the sdist fragile-1.0.tar.gz" in raised.value.message
    assert "FileNotFoundError" in raised.value.message.splitlines()[0]
    assert raised.value.fix
    assert "missing from the sdist" in raised.value.fix
    assert not outdir.exists() or list(outdir.iterdir()) == []  # not even the sdist


def test_broken_pyproject_names_file_and_line(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "x"\nversion = 1.2.3\n')
    with pytest.raises(ProjectError) as raised:
        build(project, tmp_path / "dist")
    assert raised.value.file == str(project / "pyproject.toml")
    assert raised.value.line == 3
    assert "not valid TOML" in raised.value.message


def test_missing_project(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="does not exist"):
        build(tmp_path / "nowhere", tmp_path / "dist")


def test_directory_without_python_project(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("not a project")
    with pytest.raises(ProjectError, match=r"neither pyproject\.toml nor setup\.py") as raised:
        build(tmp_path, tmp_path / "dist")
    assert raised.value.fix


def test_nothing_requested(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hatchling", git=False)
    with pytest.raises(ProjectError, match="Nothing to build"):
        build(project, tmp_path / "dist", sdist=False, wheel=False)


# --------------------------------------------------------------------------- normalize_sdist


def _messy_sdist(path: Path, *, mtime: int, reverse: bool) -> dict[str, bytes]:
    """An sdist as setuptools writes one: checkout mtimes, owners, odd modes, any order."""
    files = {
        "pkg-1.0/PKG-INFO": b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n",
        "pkg-1.0/pyproject.toml": b"[project]\n",
        "pkg-1.0/bin/tool": b"#!/bin/sh\necho hi\n",
        "pkg-1.0/src/pkg/__init__.py": b"",
    }
    entries = sorted(files.items(), reverse=reverse)
    with (
        path.open("wb") as raw,
        gzip.GzipFile(filename="messy.tar", mode="wb", fileobj=raw, mtime=mtime) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.GNU_FORMAT) as tar,
    ):
        directory = tarfile.TarInfo("pkg-1.0")
        directory.type = tarfile.DIRTYPE
        directory.mode = 0o775
        directory.mtime = mtime
        tar.addfile(directory)
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = mtime + len(name)
            info.uid, info.gid, info.uname, info.gname = 1000, 1000, "dev", "staff"
            info.mode = 0o775 if name.endswith("tool") else 0o664
            tar.addfile(info, io.BytesIO(data))
    return files


def test_normalize_sdist_is_deterministic_and_keeps_contents(tmp_path: Path) -> None:
    one, two = tmp_path / "one.tar.gz", tmp_path / "two.tar.gz"
    files = _messy_sdist(one, mtime=1_700_000_000, reverse=False)
    _messy_sdist(two, mtime=1_000_000_000, reverse=True)
    out_one, out_two = tmp_path / "out-one.tar.gz", tmp_path / "out-two.tar.gz"
    normalize_sdist(one, out_one, source_date_epoch=DEFAULT_EPOCH)
    normalize_sdist(two, out_two, source_date_epoch=DEFAULT_EPOCH)
    assert out_one.read_bytes() == out_two.read_bytes()

    header = out_one.read_bytes()[:10]
    assert header[3] & 0x08 == 0  # no FNAME: the gzip header holds no file name
    assert int.from_bytes(header[4:8], "little") == DEFAULT_EPOCH
    with tarfile.open(out_one) as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == sorted(m.name for m in members)
        for member in members:
            assert (member.mtime, member.uid, member.gid) == (DEFAULT_EPOCH, 0, 0)
            assert (member.uname, member.gname) == ("", "")
            if member.isfile():
                handle = tar.extractfile(member)
                assert handle is not None
                assert handle.read() == files[member.name]
        modes = {m.name: m.mode for m in members}
    assert modes == {
        "pkg-1.0": 0o755,
        "pkg-1.0/PKG-INFO": 0o644,
        "pkg-1.0/bin/tool": 0o755,
        "pkg-1.0/pyproject.toml": 0o644,
        "pkg-1.0/src/pkg/__init__.py": 0o644,
    }


def test_normalize_sdist_refuses_hard_links(tmp_path: Path) -> None:
    source = tmp_path / "pkg-1.0.tar.gz"
    with tarfile.open(source, "w:gz") as tar:
        link = tarfile.TarInfo("pkg-1.0/link")
        link.type = tarfile.LNKTYPE
        link.linkname = "pkg-1.0/PKG-INFO"
        tar.addfile(link)
    with pytest.raises(BuildError, match="neither a file, a directory nor a symlink"):
        normalize_sdist(source, tmp_path / "out.tar.gz", source_date_epoch=DEFAULT_EPOCH)
