"""Process exit codes (DESIGN.md §3): scripts and the GitHub Action branch on them."""

EXIT_OK = 0  # every repository ended well: a PR, no change needed, or a dry-run patch
EXIT_FAILED = 1  # at least one repository failed
EXIT_USAGE = 2  # the manifest or the command line is wrong; nothing ran
EXIT_INTERRUPTED = 130  # SIGINT/SIGTERM; sessions were cleaned up
