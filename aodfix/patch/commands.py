"""The shell commands the agent runs in its sandbox: collect the patch, print a slice.

Both are plain bash + git + coreutils, run in a subshell so that ``cd``/``exit`` never leak
into an agent's persistent shell. Values are inserted with ``shlex.quote``; the marker
words are assembled from pieces at run time (``t=AODFIX`` then ``"$t-PATCH-BEGIN"``), so
the command text itself never contains a marker (see ``block_format``).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from aodfix.patch.block_format import SAVE_DIR, VERIFY_SUFFIX, check_base_sha, check_key

OUTPUT_TAIL_BYTES = 4000  # of each command's output, in the verify block

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
@VERIFY@  printf '%s-PATCH-BEGIN v1 base=%s patch-sha256=%s payload-sha256=%s payload-length=%s\n' \
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


# The checks, run after the diff is taken, each in the repository with its own timeout and
# its output kept in a file (only its tail is reported). A failing one is run again on the
# untouched base, in a worktree that borrows the repository's ignored top-level folders
# (node_modules, .venv), to tell a failure the change made from one that was already there.
# Files the checks leave behind are added to .git/info/exclude so no later diff takes them.
_VERIFY_BODY = r"""  v="$d/$key@SUFFIX@"; w="$d/$key.base"; rm -rf "$v"; mkdir -p "$v" || exit 1
  : >"$v.list"
  now() {
    x=$(date +%s%N 2>/dev/null)
    case $x in *N*|'') echo $(( $(date +%s) * 1000000000 ));; *) echo "$x";; esac
  }
  b64() { base64 | tr -d '\r\n'; }
  git ls-files --others --exclude-standard | sort >"$v.before"
  i=0
  for c in "${checks[@]}"; do
    i=$((i + 1)); s=$(now)
    (cd "$repo" && timeout -k 5 "$limit" bash -c "$c") >"$v/$i.out" 2>&1 </dev/null; code=$?
    ms=$(( ($(now) - s) / 1000000 )); was=-
    if [ "$code" -ne 0 ]; then
      if [ ! -d "$w" ] && git worktree add --quiet --detach "$w" "$base" >/dev/null 2>&1; then
        git ls-files --others --ignored --exclude-standard --directory | while IFS= read -r p; do
          p=${p%/}; case $p in */*|'') continue;; esac
          [ -e "$w/$p" ] || ln -s "$PWD/$p" "$w/$p"
        done
      fi
      if [ -d "$w" ]; then
        (cd "$w" && timeout -k 5 "$limit" bash -c "$c") >/dev/null 2>&1 </dev/null; was=$?
      fi
    fi
    printf '%s %s %s %s %s\n' "$code" "$ms" "$was" "$(printf '%s' "$c" | b64)" \
      "$(tail -c @TAIL@ "$v/$i.out" | b64)" >>"$v.list"
  done
  [ -d "$w" ] && git worktree remove --force "$w" >/dev/null 2>&1
  git ls-files --others --exclude-standard | sort | comm -13 "$v.before" - |
    sed 's|^|/|' >>"$(git rev-parse --git-path info/exclude)"
  gzip -9 -n -c <"$v.list" | b64 >"$v.b64" || exit 1
  m=$(wc -c <"$v.b64" | tr -d ' ')
  printf '%s-VERIFY-BEGIN v1 patch-sha256=%s content-sha256=%s payload-sha256=%s' \
    "$t" "$(sha <"$d/$key.patch")" "$(sha <"$v.list")" "$(sha <"$v.b64")"
  printf ' payload-length=%s\n' "$m"
  fold -w 76 <"$v.b64"; echo
  printf '%s-VERIFY-END v1\n' "$t"
""".replace("@SUFFIX@", VERIFY_SUFFIX).replace("@TAIL@", str(OUTPUT_TAIL_BYTES))


@dataclass(frozen=True)
class VerifySpec:
    """The repository's checks as the collect command runs them."""

    commands: Sequence[str]
    timeout: int  # seconds per command


def collect_command(
    mount_path: str, base_sha: str, key: str, verify: VerifySpec | None = None
) -> str:
    """The command that stages everything, diffs the index against ``base_sha`` and prints
    the collect block; it keeps the encoded payload in ``$HOME/.aodfix/<key>.b64``. With
    ``verify`` it first runs the checks and prints their results as a verify block."""
    assignments = (
        f"  repo={shlex.quote(mount_path)} base={shlex.quote(check_base_sha(base_sha))}"
        f" key={shlex.quote(check_key(key))}\n"
    )
    body = _COLLECT_BODY.replace("@VERIFY@", "")
    if verify is not None:
        checks = " ".join(shlex.quote(c) for c in verify.commands)
        assignments += f"  limit={int(verify.timeout)} checks=({checks})\n"
        body = _COLLECT_BODY.replace("@VERIFY@", _VERIFY_BODY)
    return "(\n" + assignments + body + ")"


def slice_command(key: str, offset: int, length: int) -> str:
    """The command that prints characters [offset, offset+length) of the saved payload."""
    if offset < 0 or length < 1:
        raise ValueError(f"invalid slice: offset={offset} length={length}")
    assignments = f"  key={shlex.quote(check_key(key))} off={offset} len={length}\n"
    return "(\n" + assignments + _SLICE_BODY + ")"
