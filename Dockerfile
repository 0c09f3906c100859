# One image serves every action: `ENTRYPOINT ["release-actions"]`, the step name (action.yml
# `args:`) as the first argument. The same command runs on laptops: `release-actions <step>`.
#
# BASE_IMAGE is a build argument so CI can build this very file on a locally made base
# (scripts/container). Its default is the official multi-arch image index of
# python:3.12.12-slim-bookworm, pinned by digest (the index digest, so amd64 and arm64 both
# resolve). Refresh it deliberately: `docker buildx imagetools inspect python:3.12-slim-bookworm`
# prints the current index digest.
#
# What the image holds on top of the base (scripts/container build prints each layer):
# * git from Debian (the steps run rev-parse, log, merge-base, ls-files, check-ignore,
#   symbolic-ref; build backends such as setuptools-scm run describe, status, archive),
#   without perl (only perl scripts no step runs need it) and without the network and server
#   helpers (http, daemon, imap-send, shell, scalar); no apt lists or caches;
# * one virtual environment holding exactly what uv.lock pins (runtime dependencies only,
#   hashes checked; all but uv, see below) and this package's wheel, no pip of its own (it
#   sees the base's, which build-dists uses to fill its build environments), every module
#   compiled ahead of time to unchecked-hash bytecode (reproducible, and no step compiles
#   anything at start).
#
# Reproducible: the same inputs give the same files (the wheel and the bytecode carry no
# build time; SOURCE_DATE_EPOCH fixes what honours it). Builders that also clamp layer
# timestamps (`podman build --timestamp`, BuildKit's rewrite-timestamp) give the same layers.
ARG BASE_IMAGE=python:3.12.12-slim-bookworm@sha256:593bd06efe90efa80dc4eee3948be7c0fde4134606dd40d8dd8dbcade98e669c

# --- build: the locked environment, compiled ---------------------------------------------
FROM ${BASE_IMAGE} AS build
# The uv that scripts/install uses; it installs the lock here and never reaches the image.
ARG UV_VERSION=0.13.9
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/release-actions
RUN python3 -m pip install --quiet --no-compile --target /opt/uv "uv==${UV_VERSION}"
WORKDIR /src
# Dependencies first (their layer survives edits of the sources): --locked fails when uv.lock
# is out of date with pyproject.toml instead of resolving anew; every file's hash is checked.
# Not uv itself (build's `uv` extra): 38 MB, a third of the image. The environment sees the
# base's site-packages instead (only pip on python:slim), so `build` fills each build
# environment with that pip from outside (`pip --python`): 3.4 s for the example project,
# against 4.5 s with uv and 20 s when each environment gets a pip of its own.
# Bytecode for everything: unchecked-hash .pyc files hold no timestamp (reproducible), and
# the interpreter trusts them without reading the source, so no step compiles at start.
COPY pyproject.toml uv.lock ./
RUN python3 -m venv --system-site-packages --without-pip /opt/release-actions \
 && /opt/uv/bin/uv sync --locked --no-dev --no-install-project --no-install-package uv \
      --python /opt/release-actions/bin/python --quiet \
 && /opt/release-actions/bin/python -m compileall -q -j0 --invalidation-mode unchecked-hash \
      /opt/release-actions/lib
COPY README.md ./
COPY src ./src
# Declared here, not above, so a new commit time leaves the dependency layers cached.
ARG SOURCE_DATE_EPOCH
# Then this package, as a wheel, compiled the same way. The base's pip installs it: uv
# would record the wheel file's change time in the installed metadata (uv_cache.json).
RUN /opt/uv/bin/uv build --wheel --out-dir /tmp/wheel --python python3 --quiet \
 && python3 -m pip --python /opt/release-actions/bin/python install --quiet --no-deps \
      --no-compile /tmp/wheel/*.whl \
 && /opt/release-actions/bin/python -m compileall -q -j0 --invalidation-mode unchecked-hash \
      /opt/release-actions/lib/python3*/site-packages/release_actions \
 && /opt/release-actions/bin/release-actions --version

# --- the action image ------------------------------------------------------------------------
FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="release-actions" \
      org.opencontainers.image.description="From a pushed tag to a signed, drafted GitHub release." \
      org.opencontainers.image.licenses="MIT"
ENV PYTHONUNBUFFERED=1

# git from Debian, so dpkg (and image scanners) know its version. perl and its modules go
# (git-add--interactive, the only perl script installed, is git's fallback no step uses);
# so do the helpers no step runs; apt's lists and caches never reach the layer.
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -qq --yes --no-install-recommends git \
      >/dev/null \
 && dpkg --purge --force-depends $(dpkg-query --show --showformat '${Package}\n' \
      perl 'perl-modules-*' 'libperl5*' liberror-perl) >/dev/null \
 && cd /usr/lib/git-core \
 && rm -rf git-add--interactive git-daemon git-http-backend git-http-fetch git-http-push \
      git-imap-send git-instaweb git-remote-ftp git-remote-ftps git-remote-http \
      git-remote-https git-shell git-web--browse mergetools scalar \
      /usr/bin/git-shell /usr/bin/scalar /usr/share/perl5/Git /usr/share/perl5/Git.pm \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb \
      /var/log/apt /var/log/dpkg.log /var/cache/ldconfig/aux-cache /var/cache/debconf/*-old \
      /var/lib/dpkg/*-old \
 && git --version

COPY --from=build /opt/release-actions /opt/release-actions
ENV PATH=/opt/release-actions/bin:$PATH

WORKDIR /github/workspace
ENTRYPOINT ["release-actions"]
