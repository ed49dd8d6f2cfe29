"""Who may see and change what: accounts and roles (``accounts``) and the append-only audit
log (``audit``). Builds on ``geo`` (scopes); ``cases`` and ``api`` build on it."""
