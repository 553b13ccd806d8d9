"""What every part of Schoolchat may count: the Prometheus figures (:mod:`observability.metrics`).

A plain package at the bottom of the import layers (pyproject.toml, ``[tool.importlinter]``):
every app and ``schoolchat`` may import it, and it imports no app and nothing of ``schoolchat``,
so counting a send in ``messaging`` or a push in ``notifications`` adds no arrow between them.
What reads the figures and the installation's state for ``/metrics`` is the top layer's
(``schoolchat/metrics_view.py``).
"""
