"""The archive: an append-only, hash-chained record of every change of state.

Every app records through :mod:`archive.chain` (``chain.record(...)``, ``chain.record_many(...)``),
inside the transaction of the change; scopes are named by :mod:`archive.scopes`. The archive
imports no other app (pyproject.toml's layers contract).

Django imports this package before any model can be defined, so it holds no code: what appends
to the chains uses the models and lives in ``archive.chain``, which callers import directly.
"""
