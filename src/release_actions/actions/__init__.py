"""The steps: their declarations in one module (:mod:`~.declarations`, light to import), and
one module per step with a thin ``main(ctx)`` entry point and a pure ``run()`` on typed
inputs, imported only when the step runs. They use the engines (:mod:`release_actions.build`,
:mod:`release_actions.github`, :mod:`release_actions.signing`) and never each other; the
registry (:mod:`release_actions.registry`) loads them by name.
"""
