import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "memory: starts a real web server and measures its memory (RSS) while big requests "
        "arrive; takes a few seconds",
    )
