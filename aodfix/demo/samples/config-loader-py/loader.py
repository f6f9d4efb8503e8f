"""Load the service configuration."""

import yaml


def load_config(path):
    with open(path) as handle:
        return yaml.load(handle)
