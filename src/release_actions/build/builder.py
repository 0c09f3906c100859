"""Build an sdist, then a wheel from that sdist, byte for byte reproducibly.

    >>> from pathlib import Path
    >>> built = build_dists(
    ...     Path("examples/example-pkg"), Path("dist"), sdist=True, wheel=True,
    ...     source_date_epoch=1704164645, config_settings={}, log=print,
    ... )  # doctest: +SKIP
    >>> [path.name for path in built.files]  # doctest: +SKIP
    ['example_pkg-1.2.3.tar.gz', 'example_pkg-1.2.3-py3-none-any.whl']

How: ``build``'s PEP 517 API in isolated environments (uv as installer when available,
pip otherwise), ``SOURCE_DATE_EPOCH`` and a git ``safe.directory`` in the backend's
environment only. The sdist is re-packed deterministically (:func:`normalize_sdist`:
sorted members, fixed mtimes, owners and modes, fixed gzip header; contents untouched),
then unpacked into a fixed directory (``/tmp/release-actions-build/<name>-<version>``,
locked against concurrent use) from which the wheel is built: compilers record that
path in debug info, so a random one would make C-extension wheels differ. Results are
staged and moved into ``outdir`` only once everything has been built.
"""

from __future__ import annotations

import collections
import contextlib
import filecmp
import gzip
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PathDistribution
from pathlib import Path
from typing import Literal

import build
import build.env
import pyproject_hooks

from release_actions.build.failures import read_failure
from release_actions.build.git import safe_directory_env, tree_as_found
from release_actions.build.project import Project
from release_actions.errors import BuildError, ProjectError

__all__ = [
    "BuildError",
    "BuiltDists",
    "ProjectError",
    "build_dists",
    "default_build_root",
    "normalize_sdist",
]

Distribution = Literal["sdist", "wheel"]
#: What one isolated backend run produces: a distribution, or the wheel's metadata folder.
Product = Literal["sdist", "wheel", "metadata"]
Installer = Literal["uv", "pip"]

#: How many trailing lines of backend output a :class:`BuildError` carries.
TAIL_LINES = 30


@dataclass(frozen=True)
class BuiltDists:
    """What :func:`build_dists` put into ``outdir``; wheels sorted by file name."""

    sdist: Path | None
    wheels: tuple[Path, ...]

    @property
    def files(self) -> tuple[Path, ...]:
        """Every built file: the sdist first, then the wheels."""
        return ((self.sdist,) if self.sdist is not None else ()) + self.wheels


def default_build_root() -> Path:
    """The fixed parent of the directories the wheel is built in.

    A fixed path (not ``$TMPDIR``, which differs between machines and users) so that paths
    recorded in compiled extensions are the same on every rebuild.
    """
    if sys.platform == "win32":
        return Path(tempfile.gettempdir()) / "release-actions-build"
    return Path("/tmp/release-actions-build")  # noqa: S108 -- see _private_dir for the checks


# --------------------------------------------------------------------------- entry point


def build_dists(
    project: Path,
    outdir: Path,
    *,
    sdist: bool,
    wheel: bool,
    source_date_epoch: int,
    config_settings: Mapping[str, str | list[str]],
    log: Callable[[str], None],
    build_root: Path | None = None,
    select: Callable[[Sequence[Path]], Sequence[Path]] | None = None,
) -> BuiltDists:
    """Build the requested dists of ``project`` into ``outdir``.

    The wheel is always built from the (normalized) sdist, also when only the wheel is
    requested, unless the backend declares it cannot build an sdist. Everything is built in
    a staging folder; ``select`` sees the staged files and raises to refuse them or returns
    those to publish; only then are they moved into ``outdir`` all at once. Files already
    in ``outdir`` under the same names are replaced (identical ones are left alone); no
    other file there is touched. Whatever the backend leaves in the project's tree
    (``*.egg-info``, ``build/``) is removed again: ``git status --ignored`` is as it was.
    ``build_root`` overrides :func:`default_build_root`.

    Raises :class:`ProjectError` for a missing or malformed project and
    :class:`BuildError` when a backend or the installation of its requirements fails.
    """
    if not sdist and not wheel:
        raise ProjectError(
            "Nothing to build: both sdist and wheel are disabled",
            fix="Enable at least one of the `sdist` and `wheel` inputs",
            title="Nothing to build",
        )
    if source_date_epoch < 0:
        raise ProjectError(
            f"SOURCE_DATE_EPOCH must be a non-negative Unix time, got {source_date_epoch}",
            fix="Pass the tag commit's committer time (`git log -1 --format=%ct`)",
            title="Invalid source-date-epoch",
        )
    project = _check_project(project)
    settings: dict[str, str | list[str]] = dict(config_settings)
    installer = _installer()
    log(f"Build environments are created with {installer}.")
    runner = _Runner(
        {"SOURCE_DATE_EPOCH": str(source_date_epoch), **safe_directory_env(project)},
        log,
    )

    with (
        tree_as_found(project, keep=(outdir,)),
        tempfile.TemporaryDirectory(prefix="release-actions-dists-") as tmp,
    ):
        staging = Path(tmp)
        built_sdist: Path | None = None
        built_wheel: Path | None = None
        try:
            raw_sdist = _build_one(
                project,
                "sdist",
                staging / "raw",
                installer=installer,
                runner=runner,
                config_settings=settings,
            )
        except _SdistUnsupportedError:
            if sdist:
                raise BuildError(
                    "The build backend cannot build an sdist for this project",
                    fix="Set `sdist: false` to build only the wheel, or fix the backend setup",
                    title="No sdist",
                ) from None
            log("The backend cannot build an sdist; building the wheel from the project.")
            built_wheel = _build_one(
                project,
                "wheel",
                staging / "wheel",
                installer=installer,
                runner=runner,
                config_settings=settings,
            )
        else:
            built_sdist = staging / "sdist" / raw_sdist.name
            built_sdist.parent.mkdir()
            normalize_sdist(raw_sdist, built_sdist, source_date_epoch=source_date_epoch)
            log(f"Built {built_sdist.name} (normalized).")
            if wheel:
                built_wheel = _build_wheel_from_sdist(
                    built_sdist,
                    staging / "wheel",
                    installer=installer,
                    runner=runner,
                    config_settings=settings,
                    build_root=build_root or default_build_root(),
                )
        if built_wheel is not None:
            log(f"Built {built_wheel.name}.")

        files = [p for p in (built_sdist if sdist else None, built_wheel) if p is not None]
        if select is not None:
            files = list(select(files))
        published = _publish(files, outdir, log)

    sdist_path = next((p for p in published if p.name.endswith(".tar.gz")), None)
    wheels = tuple(sorted((p for p in published if p.suffix == ".whl"), key=lambda p: p.name))
    return BuiltDists(sdist=sdist_path, wheels=wheels)


# --------------------------------------------------------------------------- project checks


def _check_project(project: Path) -> Path:
    Project.load(project)
    return project.resolve()


def name_and_version(project: Project, *, log: Callable[[str], None]) -> tuple[str, str]:
    """(name, version) from the project's real metadata: static when pyproject.toml says
    both, else from the build backend (:func:`project_metadata`)."""
    name, version = project.static_name, project.static_version
    if name and version:
        return name, version
    log("version is dynamic: asking the build backend for the project's metadata")
    return project_metadata(project.root, log=log)


def project_metadata(project: Path, *, log: Callable[[str], None]) -> tuple[str, str]:
    """(name, version) from the backend's ``prepare_metadata_for_build_wheel`` hook.

    Same isolated environment, installer, git ``safe.directory`` and error reporting as a
    build, so dynamic versions (setuptools-scm, hatch-vcs, flit) come out as they will in
    the built files.
    """
    runner = _Runner(safe_directory_env(project), log)
    with (
        tree_as_found(project),
        tempfile.TemporaryDirectory(prefix="release-actions-metadata-") as tmp,
    ):
        path = _build_one(
            project,
            "metadata",
            Path(tmp),
            installer=_installer(),
            runner=runner,
            config_settings={},
        )
        meta = PathDistribution(path).metadata
        return str(meta["Name"]), str(meta["Version"])


def _installer() -> Installer:
    try:
        import uv  # noqa: PLC0415 -- optional

        uv.find_uv_bin()
    except (ImportError, FileNotFoundError):
        return "uv" if shutil.which(os.environ.get("UV") or "uv") else "pip"
    return "uv"


# --------------------------------------------------------------------------- running backends


class _SdistUnsupportedError(Exception):
    """The backend raised PEP 517's UnsupportedOperation from build_sdist."""


#: What every backend process gets, whoever runs the build: unbuffered output (so a
#: failure's stderr line is not overtaken by buffered stdout) and the same umask (files a
#: backend writes, and the permission bits a wheel records, do not depend on the user's).
BACKEND_ENVIRON = {"PYTHONUNBUFFERED": "1"}
BACKEND_UMASK = 0o022


class _Runner:
    """Runs backend hooks with our extra environment, streaming output to ``log``.

    Keeps the last :data:`TAIL_LINES` lines for the error message.
    """

    def __init__(self, environ: Mapping[str, str], log: Callable[[str], None]) -> None:
        self._environ = dict(environ)
        self._log = log
        self.tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)

    def __call__(
        self,
        cmd: Sequence[str],
        cwd: str | None = None,
        extra_environ: Mapping[str, str] | None = None,
    ) -> None:
        env = {**os.environ, **self._environ, **(extra_environ or {}), **BACKEND_ENVIRON}
        self.tail.clear()
        with subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            umask=BACKEND_UMASK,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
        ) as process:
            assert process.stdout is not None  # noqa: S101 -- PIPE guarantees it
            for line in process.stdout:
                line = line.rstrip("\n")  # noqa: PLW2901
                self.tail.append(line)
                self._log(line)
            code = process.wait()
        if code:
            raise subprocess.CalledProcessError(code, list(cmd))


def _backend_error(
    what: str,
    lines: Sequence[str],
    *,
    source: Path,
    from_sdist: Path | None,
    generic_fix: str,
    title: str,
    pointer: tuple[str, str] | None = None,
) -> BuildError:
    """The cause line first, the pyproject.toml line it names, a specific fix; the last
    :data:`TAIL_LINES` lines of output as details (fenced in the summary)."""
    project = None if from_sdist is not None else _quiet_project(source)
    failure = read_failure(lines, project=project, generic_fix=generic_fix)
    line = failure.line
    if line is None and pointer is not None and project is not None:
        line = project.pyproject_line(*pointer)
    kept = list(lines)[-TAIL_LINES:]
    return BuildError(
        f"{what}: {failure.cause}",
        fix=failure.fix,
        file=str(source / "pyproject.toml") if project is not None and line is not None else None,
        line=line,
        title=title,
        details=f"Last {len(kept)} lines of output:\n" + ("\n".join(kept) or "(no output)"),
    )


def _quiet_project(source: Path) -> Project | None:
    try:
        return Project.load(source)
    except ProjectError:
        return None


def _output_lines(exc: subprocess.CalledProcessError) -> list[str]:
    lines: list[str] = []
    for stream in (exc.stdout, exc.stderr):
        if isinstance(stream, bytes):
            stream = stream.decode("utf-8", "replace")  # noqa: PLW2901
        if stream:
            lines.extend(stream.splitlines())
    return lines


def _build_one(
    source: Path,
    distribution: Product,
    outdir: Path,
    *,
    installer: Installer,
    runner: _Runner,
    config_settings: dict[str, str | list[str]],
    from_sdist: Path | None = None,
) -> Path:
    """One PEP 517 build of ``distribution`` from ``source`` in a fresh isolated env."""
    where = f"from the sdist {from_sdist.name}" if from_sdist else f"from {source}"
    settings = config_settings or None
    try:
        with build.env.DefaultIsolatedEnv(installer=installer) as env:
            builder = build.ProjectBuilder.from_isolated_env(env, source, runner=runner)
            env.install(builder.build_system_requires)
            if distribution == "metadata":
                env.install(builder.get_requires_for_build("wheel", settings))
                return Path(builder.metadata_path(outdir))
            env.install(builder.get_requires_for_build(distribution, settings))
            return Path(builder.build(distribution, outdir, settings))
    except build.BuildBackendException as exc:
        if distribution == "sdist" and isinstance(
            exc.exception, pyproject_hooks.UnsupportedOperation
        ):
            raise _SdistUnsupportedError from None
        if isinstance(exc.exception, pyproject_hooks.BackendUnavailable):
            raise _backend_error(
                f"The build backend is not available while building the {distribution} {where}",
                exc.exception.traceback.splitlines(),
                source=source,
                from_sdist=from_sdist,
                generic_fix="check `build-backend` (and `backend-path`) in [build-system] of "
                "pyproject.toml and that `requires` lists the package providing it",
                pointer=("build-backend", "build-system"),
                title=f"Build backend unavailable ({distribution})",
            ) from None
        fix = "reproduce with `python -m build` in the project; the backend's output is below"
        if from_sdist is not None:
            fix += (
                "; the wheel is built from the unpacked sdist, so a file missing from the sdist "
                "fails here: include it in the sdist (MANIFEST.in, or the backend's sdist "
                "include setting)"
            )
        raise _backend_error(
            f"The build backend failed while building the {distribution} {where}",
            list(runner.tail),
            source=source,
            from_sdist=from_sdist,
            generic_fix=fix,
            title=f"Build failed ({distribution})",
        ) from None
    except subprocess.CalledProcessError as exc:
        # Creating the isolated environment or installing build requirements failed.
        raise _backend_error(
            f"Installing the build requirements for the {distribution} failed ({installer})",
            _output_lines(exc),
            source=source,
            from_sdist=from_sdist,
            generic_fix="check `requires` in [build-system] of pyproject.toml (names, versions, "
            "markers) and that the package index is reachable",
            pointer=("requires", "build-system"),
            title=f"Build requirements failed ({distribution})",
        ) from None
    except build.FailedProcessError as exc:
        raise _backend_error(
            f"Creating the build environment for the {distribution} failed",
            _output_lines(exc.exception),
            source=source,
            from_sdist=from_sdist,
            generic_fix="check that the Python running release-actions can create virtual "
            "environments",
            title=f"Build environment failed ({distribution})",
        ) from None
    except build.BuildException as exc:
        raise ProjectError(
            f"Cannot build {source}: {exc}",
            fix="Fix the [build-system] table of pyproject.toml (see "
            "https://packaging.python.org/en/latest/specifications/pyproject-toml/)",
            file=str(source / "pyproject.toml") if from_sdist is None else None,
            title="Invalid build configuration",
        ) from None


def _build_wheel_from_sdist(
    sdist: Path,
    outdir: Path,
    *,
    installer: Installer,
    runner: _Runner,
    config_settings: dict[str, str | list[str]],
    build_root: Path,
) -> Path:
    stem = sdist.name.removesuffix(".tar.gz")
    with _stable_directory(build_root, stem) as workdir:
        source = _unpack_sdist(sdist, workdir)
        return _build_one(
            source,
            "wheel",
            outdir,
            installer=installer,
            runner=runner,
            config_settings=config_settings,
            from_sdist=sdist,
        )


# --------------------------------------------------------------------------- stable directory


def _private_dir(path: Path) -> None:
    """Create ``path`` (mode 0o755) or accept it if it is a real directory we own."""
    try:
        path.mkdir(mode=0o755, parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(
            f"Cannot create the build directory {path}: {exc}",
            fix="Make the directory writable or choose another build root",
            title="Build directory unusable",
        ) from None
    info = path.lstat()
    if path.is_symlink() or not path.is_dir():
        raise BuildError(
            f"The build directory {path} is not a plain directory",
            fix=f"Remove {path} (a symlink or file there is not ours)",
            title="Build directory unusable",
        )
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        raise BuildError(
            f"The build directory {path} belongs to another user (uid {info.st_uid})",
            fix=f"Remove {path} or choose another build root",
            title="Build directory unusable",
        )


@contextlib.contextmanager
def _stable_directory(build_root: Path, stem: str) -> Iterator[Path]:
    """An empty ``build_root/stem``, exclusively ours until the block ends, then removed."""
    _private_dir(build_root)
    workdir = build_root / stem
    with _lock(build_root / f"{stem}.lock"):
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir()
        try:
            yield workdir
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock (POSIX); a no-op where ``fcntl`` does not exist."""
    if sys.platform == "win32":
        yield
        return
    import fcntl  # noqa: PLC0415 -- POSIX only: no top-level import on Windows

    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _unpack_sdist(sdist: Path, workdir: Path) -> Path:
    """Extract ``sdist`` into ``workdir``; return its single top-level directory."""
    stem = sdist.name.removesuffix(".tar.gz")
    with tarfile.open(sdist, "r:gz") as archive:
        for member in archive.getmembers():
            parts = Path(member.name).parts
            if not parts or parts[0] != stem or ".." in parts or member.name.startswith("/"):
                raise BuildError(
                    f"The sdist {sdist.name} holds {member.name!r}, outside its top-level "
                    f"directory {stem}/",
                    fix="Every sdist member must live under <name>-<version>/ (PEP 625)",
                    title="Malformed sdist",
                )
        if hasattr(tarfile, "data_filter"):
            archive.extractall(workdir, filter="data")
        else:  # Python < 3.11.4 (Debian 12's 3.11.2): members were checked above
            archive.extractall(workdir)  # noqa: S202
    return workdir / stem


# --------------------------------------------------------------------------- normalization


def normalize_sdist(source: Path, target: Path, *, source_date_epoch: int) -> None:
    """Re-pack the ``.tar.gz`` ``source`` deterministically into ``target``.

    Members sorted by name; every mtime set to ``source_date_epoch`` (not merely clamped:
    files older than it would otherwise keep checkout-dependent times); uid/gid 0, empty
    owner names; mode 0o755 for directories and executables, 0o644 otherwise (0o777 for
    symlinks); PAX format with no extra headers; gzip header mtime ``source_date_epoch``
    and no file name. Member contents and names are unchanged. Hard links and special
    files are refused (sdists hold files, directories and at most symlinks).
    """
    with tarfile.open(source, "r:gz") as archive:
        members = archive.getmembers()
        names = [m.name for m in members]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise BuildError(
                f"The sdist {source.name} holds duplicate members: {', '.join(duplicates)}",
                fix="Report this to the build backend; an sdist must not repeat a path",
                title="Malformed sdist",
            )
        with (
            target.open("wb") as raw,
            gzip.GzipFile(
                filename="", mode="wb", fileobj=raw, mtime=source_date_epoch, compresslevel=9
            ) as compressed,
            tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as out,
        ):
            for member in sorted(members, key=lambda m: m.name):
                info = tarfile.TarInfo(member.name)
                info.mtime = source_date_epoch
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                if member.isdir():
                    info.type = tarfile.DIRTYPE
                    info.mode = 0o755
                    out.addfile(info)
                elif member.issym():
                    info.type = tarfile.SYMTYPE
                    info.linkname = member.linkname
                    info.mode = 0o777
                    out.addfile(info)
                elif member.isreg():
                    info.type = tarfile.REGTYPE
                    info.size = member.size
                    info.mode = 0o755 if member.mode & 0o111 else 0o644
                    out.addfile(info, archive.extractfile(member))
                else:
                    raise BuildError(
                        f"The sdist {source.name} holds {member.name!r}, which is neither a "
                        "file, a directory nor a symlink",
                        fix="Keep hard links and special files out of the sdist",
                        title="Malformed sdist",
                    )


# --------------------------------------------------------------------------- publishing


def _publish(files: Sequence[Path], outdir: Path, log: Callable[[str], None]) -> list[Path]:
    """Move ``files`` into ``outdir`` all at the end: copy each to a hidden temporary name
    first, then rename them in one go. Identical existing files stay untouched."""
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise BuildError(
            f"The output directory {outdir} exists and is not a directory",
            fix="Set `outdir` to a directory path",
            title="Output directory unusable",
        ) from None
    staged: list[tuple[Path, Path]] = []
    targets = [outdir / file.name for file in files]
    for file, target in zip(files, targets, strict=True):
        if target.is_dir():
            raise BuildError(
                f"{target} is a directory, so the built {file.name} cannot be written",
                fix=f"Remove the directory {target}",
                title="Output directory unusable",
            )
    try:
        for file, target in zip(files, targets, strict=True):
            if target.is_file() and filecmp.cmp(file, target, shallow=False):
                log(f"{target} is already there with identical content.")
                continue
            handle, name = tempfile.mkstemp(dir=outdir, prefix=f".{file.name}.", suffix=".part")
            with os.fdopen(handle, "wb") as out, file.open("rb") as src:
                shutil.copyfileobj(src, out)
            temporary = Path(name)
            temporary.chmod(0o644)
            staged.append((temporary, target))
        for temporary, target in staged:
            if target.exists():
                log(f"Replacing {target}, whose content differs from the new build.")
            temporary.replace(target)
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    return targets
