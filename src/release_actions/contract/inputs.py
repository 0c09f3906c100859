"""Inputs and outputs of a step, declared once for action.yml and the CLI.

Inputs come from CLI flags (``--tag-prefix v``), else from the runner's ``INPUT_<NAME>``
variables (upper-cased, hyphens kept: ``INPUT_TAG-PREFIX``), else from the declared
default — one :class:`InputSpec` serves the action and the CLI.

Example::

    spec = InputSpec("tag-prefix", "Prefix before the version in the tag.", default="v")
    inputs = Inputs.resolve((spec,), cli={}, environ={"INPUT_TAG-PREFIX": "release-"})
    assert inputs.string("tag-prefix") == "release-"
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from release_actions.errors import InputError

InputKind = Literal["string", "boolean", "lines", "integer"]

_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})


@dataclass(frozen=True)
class InputSpec:
    """One input of one step, declared once for action.yml and the CLI."""

    name: str
    description: str
    default: str | None = None
    kind: InputKind = "string"
    required: bool = False
    secret: bool = False
    choices: tuple[str, ...] = ()
    #: The default as action.yml writes it when the runner computes it
    #: (``${{ github.token }}``); the CLI falls back to :attr:`default`.
    action_default: str | None = None
    #: Bounds of an integer input.
    minimum: int | None = None
    maximum: int | None = None

    @property
    def env_name(self) -> str:
        return "INPUT_" + self.name.replace(" ", "_").upper()

    @property
    def flag(self) -> str:
        return "--" + self.name


@dataclass(frozen=True)
class OutputSpec:
    """One output of one step."""

    name: str
    description: str


@dataclass(frozen=True)
class Inputs:
    """Raw input values, resolved once, with strict typed accessors."""

    specs: Mapping[str, InputSpec]
    raw: Mapping[str, str]
    #: Names whose value the user gave (CLI flag or ``INPUT_*``), not the default.
    given: frozenset[str] = frozenset()

    @classmethod
    def resolve(
        cls,
        specs: Sequence[InputSpec],
        *,
        cli: Mapping[str, str | None],
        environ: Mapping[str, str],
    ) -> Inputs:
        raw: dict[str, str] = {}
        given: set[str] = set()
        for spec in specs:
            value = cli.get(spec.name)
            if value is None:
                value = environ.get(spec.env_name)
            if value is not None:
                given.add(spec.name)
            else:
                value = spec.default if spec.default is not None else ""
            raw[spec.name] = value
        return cls({s.name: s for s in specs}, raw, frozenset(given))

    def _spec(self, name: str) -> InputSpec:
        try:
            return self.specs[name]
        except KeyError:
            raise KeyError(f"step declares no input {name!r}") from None

    def string(self, name: str) -> str:
        spec = self._spec(name)
        value = self.raw[name].strip()
        if spec.required and not value:
            raise InputError(
                f"input '{name}' is required but empty",
                fix=f"set `with: {name}: …` in the workflow (or pass {spec.flag})",
            )
        if spec.choices and value not in spec.choices:
            raise InputError(
                f"input '{name}' is {value!r}, expected one of {', '.join(spec.choices)}",
                fix=f"set `{name}` to one of: {', '.join(spec.choices)}",
            )
        return value

    def check_all(self, *, skip: frozenset[str] = frozenset()) -> None:
        """Parse every input (but ``skip``) by its kind, so a bad one fails before any work."""
        for spec in self.specs.values():
            if spec.name in skip:
                continue
            if spec.kind == "boolean":
                self.boolean(spec.name)
            elif spec.kind == "integer":
                if self.raw[spec.name].strip() or spec.required:
                    self.integer(spec.name)
            elif spec.kind == "lines":
                self.lines(spec.name)
            else:
                self.string(spec.name)

    def optional(self, name: str) -> str | None:
        """The trimmed value, or None when empty."""
        return self.string(name) or None

    def boolean(self, name: str) -> bool:
        """YAML 1.2 core-schema booleans only; an empty value takes the default."""
        spec = self._spec(name)
        value = self.raw[name].strip()
        if not value and spec.default is not None:
            value = spec.default
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise InputError(
            f"input '{name}' is {value!r}, which is not a boolean",
            fix=f"write `{name}: true` or `{name}: false` (YAML 1.2: true|True|TRUE|false|False|FALSE)",
        )

    def lines(self, name: str) -> tuple[str, ...]:
        """Non-empty, trimmed lines; ``#`` starts a comment line."""
        out = []
        for line in self.raw[name].splitlines():
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                out.append(stripped)
        spec = self._spec(name)
        if spec.required and not out:
            raise InputError(
                f"input '{name}' is required but empty",
                fix=f"set `with: {name}: …` in the workflow (or pass {spec.flag})",
            )
        return tuple(out)

    def integer(self, name: str) -> int:
        """A whole number within the declared bounds."""
        spec = self._spec(name)
        minimum, maximum = spec.minimum, spec.maximum
        text = self.string(name)
        try:
            value = int(text, 10)
        except ValueError:
            raise InputError(
                f"input '{name}' is {text!r}, which is not a whole number",
                fix=f"write a whole number for `{name}`",
            ) from None
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            bounds = f"{minimum if minimum is not None else '…'} to {maximum if maximum is not None else '…'}"
            raise InputError(
                f"input '{name}' is {value}, outside {bounds}",
                fix=f"choose `{name}` from {bounds}",
            )
        return value
