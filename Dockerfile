# One image serves every action: `ENTRYPOINT ["release-actions"]`, the step name (action.yml
# `args:`) as the first argument. The same command runs on laptops: `release-actions <step>`.
#
# BASE_IMAGE is a build argument so CI can build this very file on a locally made base
# (scripts/container). Its default is the official multi-arch image index of
# python:3.12.12-slim-bookworm, pinned by digest (the index digest, so amd64 and arm64 both
# resolve). Refresh it deliberately: `docker buildx imagetools inspect python:3.12-slim-bookworm`
# prints the current index digest.
#
# The image holds exactly what uv.lock pins (runtime dependencies only, every file's sha256
# checked by pip --require-hashes), then this package's wheel with --no-deps; no compiler, no
# pip or uv caches, no bytecode files, no pip in the virtual environment.
ARG BASE_IMAGE=python:3.12.12-slim-bookworm@sha256:593bd06efe90efa80dc4eee3948be7c0fde4134606dd40d8dd8dbcade98e669c

# --- build: the locked requirements and our wheel ------------------------------------------
FROM ${BASE_IMAGE} AS build
# The uv that scripts/install uses; it only exports the lock and builds the wheel here.
ARG UV_VERSION=0.13.9
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never
RUN python3 -m venv /opt/uv && /opt/uv/bin/pip install --quiet "uv==${UV_VERSION}"
WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
# --locked: fail when uv.lock is out of date with pyproject.toml instead of resolving anew.
RUN /opt/uv/bin/uv export --locked --no-dev --no-emit-project --format requirements-txt \
      --output-file /dist/requirements.txt --quiet
COPY src ./src
RUN /opt/uv/bin/uv build --wheel --out-dir /dist --quiet .

# --- the action image ------------------------------------------------------------------------
FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="release-actions" \
      org.opencontainers.image.description="From a pushed tag to a signed, drafted GitHub release." \
      org.opencontainers.image.licenses="MIT"
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The steps run git (tags, history, safe.directory per call). Bases that already carry it
# (the CI base) skip apt entirely.
RUN if ! command -v git >/dev/null; then \
      apt-get update \
      && apt-get install --yes --no-install-recommends git \
      && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /var/log/apt /var/log/dpkg.log; \
    fi

COPY --from=build /dist /tmp/dist
# A venv without pip, filled by the base's own pip (`--python`): the hashed requirements, then
# our wheel. Nothing is compiled to bytecode, so no __pycache__ ships.
RUN python3 -m venv --without-pip /opt/release-actions \
 && python3 -m pip --python /opt/release-actions/bin/python install --quiet --no-compile \
      --require-hashes --no-deps --only-binary :all: -r /tmp/dist/requirements.txt \
 && python3 -m pip --python /opt/release-actions/bin/python install --quiet --no-compile \
      --no-deps /tmp/dist/*.whl \
 && find /opt/release-actions -name __pycache__ -type d -prune -exec rm -rf {} + \
 && rm -rf /tmp/dist /root/.cache \
 && /opt/release-actions/bin/release-actions --version
ENV PATH=/opt/release-actions/bin:$PATH

WORKDIR /github/workspace
ENTRYPOINT ["release-actions"]
