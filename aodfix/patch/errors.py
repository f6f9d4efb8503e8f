"""Errors of the patch protocol: a block or a slice that cannot be turned into a patch."""

from __future__ import annotations


class PatchProtocolError(Exception):
    """The agent's output could not be turned into a trustworthy patch."""


class PatchIntegrityError(PatchProtocolError):
    """An encoded payload failed its length or checksum, or does not decode to the patch."""


class SliceRetrievalError(PatchProtocolError):
    """Sliced retrieval gave up: slices kept arriving damaged, or the saved payload changed."""


class PatchFormatError(PatchProtocolError):
    """Patch bytes that are not a plain ``git diff`` aodfix can account for line by line."""
