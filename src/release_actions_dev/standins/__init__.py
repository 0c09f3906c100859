"""Honest local stand-ins for GitHub and Sigstore, served on 127.0.0.1.

Models of the real services for the tests and the rehearsal, never of our own code: every
rule they model names its public source in ``FIDELITY.md`` beside them. They live in the
dev package, so neither the runtime wheel nor the image carries them or their servers.
"""
