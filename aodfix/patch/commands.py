"""The shell commands the agent runs in its sandbox: collect the patch, print a slice.

Both are plain bash + git + coreutils, run in a subshell so that ``cd``/``exit`` never leak
into an agent's persistent shell. Values are inserted with ``shlex.quote``; the marker
words are assembled from pieces at run time (``t=AODFIX`` then ``"$t-PATCH-BEGIN"``), so
the command text itself never contains a marker (see ``block_format``).
"""

from __future__ import annotations

import shlex

from aodfix.patch.block_format import SAVE_DIR, check_base_sha, check_key

_SHA256_FUNCTION = r"""  sha() {
    if command -v sha256sum >/dev/null 2>&1; then sha256sum; else shasum -a 256; fi | cut -c1-64
  }
"""

# The diff ignores user configuration that would change its shape (prefixes, colour,
# external diff drivers, textconv, relative paths); -M keeps renames small. Warnings of
# git add/diff go to a log, shown only on failure, so a flood of them (CRLF, embedded
# repositories) cannot push the begin marker out of a runtime's truncated output.
_COLLECT_BODY = (
    r"""  d="${HOME:-/tmp}/@SAVE_DIR@"
"""
    + _SHA256_FUNCTION
    + r"""  cd "$repo" || exit 1
  mkdir -p "$d" || exit 1
  {
    { git cat-file -e "$base^{commit}" || git fetch --quiet --depth=1 origin "$base"; } &&
    git add -A &&
    git -c core.quotePath=true -c diff.relative=false diff --cached --binary --full-index \
      --no-color --no-ext-diff --no-textconv --submodule=short -M \
      --src-prefix=a/ --dst-prefix=b/ "$base" -- >"$d/$key.patch"
  } 2>"$d/$key.log" || { cat "$d/$key.log" >&2; echo "aodfix: collecting failed" >&2; exit 1; }
  if [ -s "$d/$key.patch" ]; then
    gzip -9 -n -c <"$d/$key.patch" | base64 | tr -d '\r\n' >"$d/$key.b64" || exit 1
  else : >"$d/$key.b64"; fi
  n=$(wc -c <"$d/$key.b64" | tr -d ' ')
  t=AODFIX
  printf '%s-PATCH-BEGIN v1 base=%s patch-sha256=%s payload-sha256=%s payload-length=%s\n' \
    "$t" "$base" "$(sha <"$d/$key.patch")" "$(sha <"$d/$key.b64")" "$n"
  if [ "$n" -gt 0 ]; then fold -w 76 <"$d/$key.b64"; echo; fi
  printf '%s-PATCH-END v1\n' "$t"
"""
).replace("@SAVE_DIR@", SAVE_DIR)

_SLICE_BODY = (
    r"""  f="${HOME:-/tmp}/@SAVE_DIR@/$key.b64"
"""
    + _SHA256_FUNCTION
    + r"""  [ -f "$f" ] || { echo "aodfix: $f missing; run the collect command first" >&2; exit 1; }
  s=$(tail -c +"$((off + 1))" "$f" | head -c "$len")
  t=AODFIX
  printf '%s-SLICE-BEGIN v1 payload-sha256=%s offset=%s length=%s total=%s sha256=%s\n' \
    "$t" "$(sha <"$f")" "$off" "${#s}" "$(wc -c <"$f" | tr -d ' ')" "$(printf '%s' "$s" | sha)"
  if [ -n "$s" ]; then printf '%s' "$s" | fold -w 76; echo; fi
  printf '%s-SLICE-END v1\n' "$t"
"""
).replace("@SAVE_DIR@", SAVE_DIR)


def collect_command(mount_path: str, base_sha: str, key: str) -> str:
    """The command that stages everything, diffs the index against ``base_sha`` and prints
    the collect block; it keeps the encoded payload in ``$HOME/.aodfix/<key>.b64``."""
    assignments = (
        f"  repo={shlex.quote(mount_path)} base={shlex.quote(check_base_sha(base_sha))}"
        f" key={shlex.quote(check_key(key))}\n"
    )
    return "(\n" + assignments + _COLLECT_BODY + ")"


def slice_command(key: str, offset: int, length: int) -> str:
    """The command that prints characters [offset, offset+length) of the saved payload."""
    if offset < 0 or length < 1:
        raise ValueError(f"invalid slice: offset={offset} length={length}")
    assignments = f"  key={shlex.quote(check_key(key))} off={offset} len={length}\n"
    return "(\n" + assignments + _SLICE_BODY + ")"
