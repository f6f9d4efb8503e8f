"""Pytest fixtures for the github_emulator (filled in by its issue)."""
