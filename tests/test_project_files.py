"""The foundation's promises that live in files: the README's two commands, what `.ci/run`
runs and the websocket protocol's documented examples (docker-compose.yml: test_compose.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from messaging import frames

ROOT = Path(__file__).resolve().parent.parent


def _fenced_blocks(text: str) -> list[tuple[str, str]]:
    return re.findall(r"^```(\w*)\n(.*?)^```", text, re.S | re.M)


def _commands(block: str) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in block.splitlines())
    return [line for line in lines if line]


def _make_target(name: str) -> tuple[list[str], list[str]]:
    """(prerequisites, recipe lines) of a Makefile target."""
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{name}:([^\n#]*)(?:#[^\n]*)?\n((?:\t[^\n]*\n)*)", makefile, re.M)
    assert match, f"no {name} target in the Makefile"
    return match.group(1).split(), [line.strip() for line in match.group(2).splitlines()]


def test_the_readmes_first_code_block_holds_exactly_serve_then_test() -> None:
    first = _fenced_blocks((ROOT / "README.md").read_text())[0][1]
    assert _commands(first) == ["make serve", "make test"]


def test_make_serve_installs_migrates_seeds_the_demo_and_serves_on_port_8000() -> None:
    prerequisites, recipe = _make_target("serve")
    assert prerequisites == ["install", "migrate", "demo"]
    _, demo = _make_target("demo")
    assert any("manage.py seed_demo" in line for line in demo)
    _, migrate = _make_target("migrate")
    assert any("manage.py migrate" in line for line in migrate)
    # One foreground command runs the web server and the worker with beat (Ctrl-C stops both).
    serve = [line for line in recipe if "-m schoolchat.devserver" in line]
    assert len(serve) == 1 and serve[0].endswith("-b $(HOST) -p $(PORT) schoolchat.asgi:application")
    from schoolchat.devserver import commands

    web, worker = commands(["-b", "127.0.0.1", "-p", "8000", "schoolchat.asgi:application"])
    # The web server is daphne with bounded request bodies (schoolchat/server.py), as `make web`.
    assert web[1:] == ["-m", "schoolchat.server", "-b", "127.0.0.1", "-p", "8000",
                       "schoolchat.asgi:application"]
    # One Celery worker with beat embedded: the scheduled jobs run on the embedded default.
    assert worker[1:6] == ["-m", "celery", "-A", "schoolchat", "worker"] and "-B" in worker
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^HOST \?= 127\.0\.0\.1$", makefile, re.M)
    assert re.search(r"^PORT \?= 8000$", makefile, re.M)
    # The environment is created when missing, with the Python the README names.
    _, installed = _make_target(r"\$\(VENV\)/\.installed")
    assert any("-m venv" in line for line in installed)


def test_make_test_creates_the_environment_and_runs_the_whole_suite() -> None:
    prerequisites, recipe = _make_target("test")
    assert prerequisites == ["install-dev"]
    assert recipe == ["$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)"]


def test_ci_runs_the_readmes_test_command_on_both_setups_and_lint() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    lines = [line.strip() for line in ci.splitlines() if line.strip() and not
             line.strip().startswith("#")]
    assert sum(line.endswith("make test") for line in lines) == 2
    assert "make lint" in lines
    assert re.search(r"DATABASE_URL=postgres://\S+ REDIS_URL=redis://\S+ \\\n\s*make test", ci)
    assert "env -u DATABASE_URL -u REDIS_URL make test" in ci
    # Chromium (browser tests) and gettext (translation tests) are installed when missing.
    assert 'apt-get install -y -qq "${missing[@]}"' in ci and "export CI=true" in ci
    assert "missing+=(chromium)" in ci and "missing+=(gettext)" in ci
    assert "missing+=(nginx)" in ci  # checks deploy/nginx.conf


def _protocol() -> str:
    return (ROOT / "docs" / "protocol.md").read_text()


def _section(text: str, heading: str, until: str) -> str:
    return text.split(heading, 1)[1].split(until, 1)[0]


def _documented(section: str) -> dict[str, list[dict[str, object]]]:
    """Each `### \\`type\\`` heading of a section with the JSON examples under it."""
    found: dict[str, list[dict[str, object]]] = {}
    for part in re.split(r"^### ", section, flags=re.M)[1:]:
        names = re.findall(r"`(\w+)`", part.splitlines()[0])
        examples = [json.loads(body) for lang, body in _fenced_blocks(part) if lang == "json"]
        for name in names:
            found[name] = examples
    return found


def test_every_json_example_in_the_protocol_doc_parses() -> None:
    blocks = [body for lang, body in _fenced_blocks(_protocol()) if lang == "json"]
    assert len(blocks) >= 20
    for body in blocks:
        assert isinstance(json.loads(body), dict), body


def test_every_frame_the_consumer_accepts_is_documented_with_an_example() -> None:
    # Every frame type the socket parses (messaging/frames.py: the verbs' table included).
    accepted = set(frames.PARSERS)
    documented = _documented(_section(_protocol(), "## Browser → server", "## Server → browser"))
    assert accepted <= set(documented), accepted - set(documented)
    for name in accepted:
        assert any(example.get("type") == name for example in documented[name]), name


def test_every_frame_the_server_sends_is_documented_with_an_example() -> None:
    sent = {"hello", "message", "edited", "retracted", "pinned", "attachment_hidden",
            "subscribed", "ack", "receipt", "acknowledged", "reactions", "error", "added",
            "removed", "pong"}
    documented = _documented(_section(_protocol(), "## Server → browser", "\n## "))
    assert sent <= set(documented), sent - set(documented)
    for name in sent:
        assert any(example.get("type") == name for example in documented[name]), name
