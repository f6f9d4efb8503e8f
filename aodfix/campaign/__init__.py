"""After the PRs: find a batch's pull requests, say where each stands, merge and close.

Every command finds the batch's PRs the same way (``find``): GitHub's issue search for the
batch marker, scoped by the owners of the manifest's repositories, O(PRs/100) searches,
then per-PR reads only where a command needs them (``pull_state``).
"""
