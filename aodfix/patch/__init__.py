"""The patch protocol: get the agent's exact change out of its sandbox through its output.

Finishing instructions make the agent run a collect command that prints a self-delimiting,
checksummed block (base64 of gzip of ``git diff --binary`` against the base commit);
``extract_patch`` finds and verifies it in any runtime's stdout; ``SliceAssembler`` plans
re-reading a damaged block in slices; ``check_applies``, ``inspect_patch`` and
``check_policy`` decide whether the patch may be pushed. Decoding stops at the policy's
``max_patch_bytes`` (``PatchTooLarge``), so a compressed bomb never reaches memory whole.
See DESIGN.md §5.
"""

from aodfix.patch.apply import ApplyCheck, apply_patch, check_applies
from aodfix.patch.block_format import (
    PROTOCOL_VERSION,
    patch_key,
    payload_file,
    render_patch_block,
    render_slice_block,
)
from aodfix.patch.commands import collect_command, slice_command
from aodfix.patch.errors import (
    PatchFormatError,
    PatchIntegrityError,
    PatchProtocolError,
    SliceRetrievalError,
)
from aodfix.patch.extract import (
    NoBlock,
    PatchDamaged,
    PatchExtraction,
    PatchFound,
    SliceDamaged,
    SliceExtraction,
    SliceFound,
    SliceRequest,
    extract_patch,
    extract_slice,
)
from aodfix.patch.instructions import collect_reminder, finishing_instructions, slice_instructions
from aodfix.patch.payload import PatchTooLarge, patch_limit
from aodfix.patch.policy import check_policy
from aodfix.patch.slices import SliceAssembler
from aodfix.patch.summary import ChangeKind, Diffstat, FileChange, PatchSummary, inspect_patch

__all__ = [
    "PROTOCOL_VERSION",
    "ApplyCheck",
    "ChangeKind",
    "Diffstat",
    "FileChange",
    "NoBlock",
    "PatchDamaged",
    "PatchExtraction",
    "PatchFormatError",
    "PatchFound",
    "PatchIntegrityError",
    "PatchProtocolError",
    "PatchSummary",
    "PatchTooLarge",
    "SliceAssembler",
    "SliceDamaged",
    "SliceExtraction",
    "SliceFound",
    "SliceRequest",
    "SliceRetrievalError",
    "apply_patch",
    "check_applies",
    "check_policy",
    "collect_command",
    "collect_reminder",
    "extract_patch",
    "extract_slice",
    "finishing_instructions",
    "inspect_patch",
    "patch_key",
    "patch_limit",
    "payload_file",
    "render_patch_block",
    "render_slice_block",
    "slice_command",
    "slice_instructions",
]
