"""Planning the retrieval of a damaged payload in slices over follow-up turns.

Pure state: the session layer asks ``next_request()``, sends ``slice_instructions`` for it,
extracts the slice from the turn's stdout and hands it to ``accept()``. Runtimes shorten
long output at limits aodfix cannot know, so a damaged or missing slice halves the slice
size until slices fit, down to a floor below which retrieval gives up.
"""

from __future__ import annotations

from aodfix.patch.errors import SliceRetrievalError
from aodfix.patch.extract import PatchDamaged, SliceDamaged, SliceFound, SliceRequest
from aodfix.patch.payload import HARD_MAX_PATCH_BYTES, decode_payload

DEFAULT_START_SIZE = 24_000  # under Claude Code's default 30 000-character output limit
DEFAULT_MIN_SIZE = 256


class SliceAssembler:
    """Collects the encoded payload slice by slice and decodes it once complete (at most
    ``max_bytes`` of it: PatchTooLarge past that)."""

    def __init__(
        self,
        encoded_sha256: str,
        encoded_length: int,
        *,
        patch_sha256: str | None = None,
        start_size: int = DEFAULT_START_SIZE,
        min_size: int = DEFAULT_MIN_SIZE,
        max_bytes: int = HARD_MAX_PATCH_BYTES,
    ) -> None:
        if encoded_length < 0 or min_size < 1 or start_size < min_size:
            raise ValueError("need encoded_length >= 0 and start_size >= min_size >= 1")
        self.encoded_sha256 = encoded_sha256
        self.encoded_length = encoded_length
        self.patch_sha256 = patch_sha256
        self.min_size = min_size
        self.max_bytes = max_bytes
        self._size = start_size
        self._pieces: list[str] = []
        self._received = 0
        self._pending: SliceRequest | None = None
        self._patch: bytes | None = None
        if encoded_length == 0:
            self._finish()

    @classmethod
    def for_damaged(
        cls,
        damaged: PatchDamaged,
        *,
        start_size: int = DEFAULT_START_SIZE,
        min_size: int = DEFAULT_MIN_SIZE,
        max_bytes: int = HARD_MAX_PATCH_BYTES,
    ) -> SliceAssembler:
        """An assembler for the payload a damaged collect block announced."""
        return cls(
            damaged.encoded_sha256,
            damaged.encoded_length,
            patch_sha256=damaged.patch_sha256,
            start_size=start_size,
            min_size=min_size,
            max_bytes=max_bytes,
        )

    @property
    def patch(self) -> bytes | None:
        """The verified patch once every slice has arrived, else None."""
        return self._patch

    def next_request(self) -> SliceRequest | None:
        """The slice to ask for next, or None when the patch is complete."""
        if self._patch is not None:
            return None
        if self._pending is None:
            length = min(self._size, self.encoded_length - self._received)
            self._pending = SliceRequest(self._received, length)
        return self._pending

    def accept(self, result: SliceFound | SliceDamaged | None) -> bytes | None:
        """Take the outcome of the pending request; returns the patch once complete.

        A slice of some other payload means the sandbox's saved payload changed (the collect
        command ran again): no slice can be trusted, so retrieval stops.
        """
        request = self._pending
        if request is None:
            raise RuntimeError("accept() called without a pending next_request()")
        if result is not None and result.encoded_sha256 != self.encoded_sha256:
            raise SliceRetrievalError(
                "the saved payload in the sandbox changed since the collect block was printed"
                f" (checksum {result.encoded_sha256[:12]}, expected {self.encoded_sha256[:12]})"
            )
        self._pending = None
        if (
            isinstance(result, SliceFound)
            and result.offset == request.offset
            and len(result.data) == request.length
            and result.total == self.encoded_length
        ):
            self._pieces.append(result.data)
            self._received += request.length
            if self._received == self.encoded_length:
                self._finish()
            return self._patch
        self._size //= 2
        if self._size < self.min_size:
            raise SliceRetrievalError(
                f"slices of the patch payload kept arriving damaged down to {self._size * 2}"
                f" characters (got {self._received} of {self.encoded_length}); the runtime's"
                " output limit is too small"
            )
        return None

    def _finish(self) -> None:
        self._patch = decode_payload(
            "".join(self._pieces),
            encoded_sha256=self.encoded_sha256,
            patch_sha256=self.patch_sha256,
            max_bytes=self.max_bytes,
        )
