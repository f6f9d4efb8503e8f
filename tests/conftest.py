"""Shared test configuration: emulator fixtures come from the plugins in tests/plugins/."""

pytest_plugins = ["plugins.aod_emulator", "plugins.github_emulator"]
