"""``python -m aodfix``."""

from aodfix.cli import main

main()
