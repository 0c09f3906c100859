"""The steps: one module each, with its declarations, a thin ``main(ctx)`` entry point and a
pure ``run()`` on typed inputs. They use the engines (:mod:`release_actions.build`,
:mod:`release_actions.github`, :mod:`release_actions.signing`) and never each other; the
registry (:mod:`release_actions.registry`) loads them by name.
"""
