"""Pytest fixtures for the aod_emulator (filled in by its issue)."""
