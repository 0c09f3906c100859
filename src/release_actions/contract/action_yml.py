"""Render each step's ``action.yml`` from its declarations, so the two cannot drift.

``python -m release_actions.registry`` writes every step's file with :func:`render`
(``--check`` reports drift; a test compares both directions through the parsed YAML too).

Two forms, one source:

* On ``main`` each action is a **docker action** whose ``image`` is the repository's
  ``Dockerfile`` (``../../Dockerfile``), so every commit's actions run the image built from
  that very commit and our CI tests the real Dockerfile.
* For a release, ``scripts/pin-images`` renders them with ``image=docker://…@sha256:…``:
  each becomes a **composite action** whose first step stops a non-Linux runner with an
  error naming the CLI alternative (GitHub's own refusal, "Container action is only
  supported on Linux", names none), then runs the prebuilt multi-arch image by digest
  (``uses: docker://…``; composite steps cannot build a Dockerfile of the action's own
  repository, which is why ``main`` keeps the docker form). Inputs reach the container
  through ``with:`` (the runner turns them into ``INPUT_*``), never through a script.

Example::

    from release_actions.registry import load_step
    print(render(load_step("verify-tag")))
"""

from __future__ import annotations

import json
import re

from release_actions.contract.inputs import InputSpec
from release_actions.contract.step import Step

BRANDING = {"icon": "package", "color": "blue"}
IMAGE = "../../Dockerfile"
#: A prebuilt image pinned by digest, as scripts/pin-images writes it.
PINNED_IMAGE = re.compile(r"docker://[a-z0-9.-]+(?::\d+)?/[a-z0-9._/-]+@sha256:[0-9a-f]{64}")


def _scalar(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _default(spec: InputSpec) -> str | None:
    if spec.action_default is not None:
        return spec.action_default
    return spec.default


def _header(step: Step) -> list[str]:
    lines = [
        "# Generated from the step's declarations by `python -m release_actions.registry`.",
        f"name: {_scalar('release-actions ' + step.name)}",
        f"description: {_scalar(step.description)}",
        "author: release-actions",
        "branding:",
        *(f"  {k}: {v}" for k, v in BRANDING.items()),
        "inputs:",
    ]
    for spec in step.inputs:
        lines.append(f"  {spec.name}:")
        lines.append(f"    description: {_scalar(spec.description)}")
        lines.append(f"    required: {'true' if spec.required else 'false'}")
        default = _default(spec)
        if default is not None:
            lines.append(f"    default: {_scalar(default)}")
    return lines


def _linux_only(step: Step) -> str:
    """The error a non-Linux runner gets, before anything else runs."""
    return (
        f"release-actions {step.name} runs in a Linux container, and this job runs on "
        "$RUNNER_OS. Use a Linux runner (runs-on: ubuntu-latest), or run the same step as a "
        f"command: pipx run release-actions {step.name} --help (every input is a flag)."
    )


def render(step: Step, *, image: str = IMAGE) -> str:
    """The action.yml text: a docker action on a Dockerfile, or, for an image pinned by
    digest (``docker://…@sha256:…``), a composite action guarding against non-Linux runners.
    """
    if image.startswith("docker://"):
        if not PINNED_IMAGE.fullmatch(image):
            raise ValueError(f"{image!r} is not a docker://<registry>/<name>@sha256:<64 hex> image")
        return _render_pinned(step, image)
    lines = _header(step)
    lines.append("outputs:")
    for out in step.outputs:
        lines.append(f"  {out.name}:")
        lines.append(f"    description: {_scalar(out.description)}")
    lines += [
        "runs:",
        "  using: docker",
        f"  image: {_scalar(image)}",
        "  args:",
        f"    - {step.name}",
        "",
    ]
    return "\n".join(lines)


def _render_pinned(step: Step, image: str) -> str:
    lines = _header(step)
    lines.append("outputs:")
    for out in step.outputs:
        lines.append(f"  {out.name}:")
        lines.append(f"    description: {_scalar(out.description)}")
        lines.append(f"    value: {_scalar('${{ steps.run.outputs.' + out.name + ' }}')}")
    message = _linux_only(step)
    lines += [
        "runs:",
        "  using: composite",
        "  steps:",
        "    - name: Linux runners only",
        "      if: runner.os != 'Linux'",
        "      shell: bash",
        "      run: |",
        f'        echo "::error title=release-actions {step.name} needs a Linux runner::{message}"',
        f'        echo "### ❌ {step.name}: {message}" >> "$GITHUB_STEP_SUMMARY"',
        "        exit 1",
        f"    - name: {_scalar('release-actions ' + step.name)}",
        "      id: run",
        f"      uses: {image}",
        "      with:",
        f"        args: {step.name}",
        *(
            f"        {spec.name}: {_scalar('${{ inputs.' + spec.name + ' }}')}"
            for spec in step.inputs
        ),
        "",
    ]
    return "\n".join(lines)
