"""The runner contract: how a step meets GitHub's runner (and the same as a command).

:mod:`~.inputs` declares and parses inputs (``INPUT_*``, flags, defaults),
:mod:`~.environment` reads the runner's variables once and resolves workspace paths,
:mod:`~.runner` writes outputs, the job summary and annotations, :mod:`~.step` is what each
step exports, and :mod:`~.action_yml` renders a step's ``action.yml``. Nothing here knows
any step.
"""

from release_actions.contract.environment import GitHubEnv, Workspace
from release_actions.contract.inputs import Inputs, InputSpec, OutputSpec
from release_actions.contract.runner import Runner
from release_actions.contract.step import Context, Step, StepResult, bool_output

__all__ = [
    "Context",
    "GitHubEnv",
    "InputSpec",
    "Inputs",
    "OutputSpec",
    "Runner",
    "Step",
    "StepResult",
    "Workspace",
    "bool_output",
]
