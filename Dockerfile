# One image serves every action: the step name is the first argument.
# The base is a build argument so CI can build this file on a locally made base image.
ARG BASE_IMAGE=python:3.12-slim-bookworm
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
 && apt-get install --yes --no-install-recommends git \
 && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml uv.lock README.md /src/
COPY src /src/src
RUN python -m pip install --no-compile /src && rm -rf /src

WORKDIR /github/workspace
ENTRYPOINT ["release-actions"]
