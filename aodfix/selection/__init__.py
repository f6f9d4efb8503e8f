"""Repositories chosen by query: ``select:`` entries of a manifest, expanded on GitHub.

``expand.select_repositories`` runs each selector (``queries``: listing or search, with
GitHub's 1,000-result search cap split around or refused, never truncated) and applies
the manifest's ``exclude``; the ``Selection`` it returns is recorded in the report and
beside the state file, so ``--resume`` runs the same set.
"""
