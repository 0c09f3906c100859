"""release-actions' development package: what only the tests and the rehearsal use.

The local stand-ins for GitHub and Sigstore (:mod:`~.standins`), an emulation of GitHub's
runner that runs a step in this process as a docker action is run (:mod:`~.runner`), and
the rehearsal of the whole chain (:mod:`~.rehearse`). The product (``release_actions``)
never imports this package; it is neither in the runtime wheel nor in the image, and its
dependencies are the ``dev`` dependency group's.

    python -m release_actions_dev rehearse      # scripts/rehearse
    python -m release_actions_dev standins      # both stand-ins, and the exports to use them
"""
