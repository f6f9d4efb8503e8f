"""One repository's way through the batch, one module per stage.

``repository.process`` runs the stages in order; each takes what earlier stages returned
and returns its own typed result, or raises ``StageError``. A ``Trail`` keeps the results
and builds the repository's one, frozen ``RepoResult`` from them. ``aodfix.batch`` only
schedules repositories and records their results.

    resolve       base, base sha, the job rendered for it, sandbox token   → Resolved
    agent         the AoD session, to the verified patch                    → AgentResult
    verify        the repository's checks as the session ran them           → Verified
    checks        the patch parsed and held to the manifest's policy        → CheckedPatch
    judge         an independent review session's verdict (judge: only)     → Judged
    publish       applied on the base, tree and secrets checked, pushed     → Published
    pull_request  the PR opened or updated                                  → OpenedPullRequest
"""
