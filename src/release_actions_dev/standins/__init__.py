"""Honest local stand-ins for GitHub and Sigstore, served on 127.0.0.1.

They are part of the product: the test-suite uses them, and so does
``release-actions rehearse``, which runs a project through the whole chain offline.
Their server dependencies come with the ``standins`` extra::

    pip install 'release-actions[standins]'
"""
