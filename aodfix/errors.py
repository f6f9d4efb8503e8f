"""Errors that stop a command before anything runs (exit 2)."""

from __future__ import annotations


class ConfigurationError(Exception):
    """A setting is missing or refused (a token, an unreachable service); nothing ran."""
