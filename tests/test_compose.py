"""docker-compose.yml agrees with docs/operations.md, the Makefile and the proxy file the tests
run. No Docker engine runs here, so the file is read (PyYAML, merge keys resolved) and what it
runs is checked against what the documentation promises an operator."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import proxy as local_proxy

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
NGINX = ROOT / "deploy" / "nginx.conf"
OPERATIONS = ROOT / "docs" / "operations.md"
APP_SERVICES = ("migrate", "web", "worker", "beat")


def services() -> dict[str, dict[str, Any]]:
    return dict(yaml.safe_load(COMPOSE.read_text())["services"])


def docs_table(after: str) -> list[list[str]]:
    """The body rows of the first table after ``after`` in docs/operations.md, cells stripped."""
    lines = OPERATIONS.read_text().split(after, 1)[1].splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("|"))
    table = itertools.takewhile(lambda line: line.startswith("|"), lines[start:])
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in table]
    return rows[2:]  # past the header and its separator


def documented_services() -> dict[str, list[str]]:
    """Each row of "What runs": service name -> the row's cells."""
    rows = docs_table("## What runs\n")
    found = {}
    for row in rows:
        name = re.fullmatch(r"`(\w+)`", row[0])
        assert name, f"the first column names a compose service: {row}"
        found[name.group(1)] = row
    return found


def make_targets() -> set[str]:
    return set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.M))


def nginx_locations() -> dict[str, str]:
    """The TLS server's ``location`` blocks of deploy/nginx.conf: route -> body."""
    text = NGINX.read_text()
    server = text[text.index("listen 443 ssl"):]
    return {route.strip(): body for route, body in
            re.findall(r"^\s*location ([^{]+?)\s*\{(.*?)^\s*\}", server, re.S | re.M)}


def test_every_service_the_docs_name_runs_in_compose_and_no_other() -> None:
    assert set(documented_services()) == set(services())


def test_each_long_running_service_has_a_healthcheck() -> None:
    for name, service in services().items():
        if service.get("restart") == "no":
            continue
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert "/healthz" in str(services()["web"]["healthcheck"]["test"])


def test_migrate_runs_once_and_the_app_services_wait_for_it() -> None:
    found = services()
    migrate = found["migrate"]
    # One-shot: never restarted, so "completed successfully" can be waited for.
    assert migrate["command"] == ["make", "migrate"] and migrate["restart"] == "no"
    assert "healthcheck" not in migrate
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in ("web", "worker", "beat"):
        depends = found[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["postgres"] == depends["redis"] == {"condition": "service_healthy"}, name
        # No scaled web container migrates by itself.
        assert "migrate" not in " ".join(found[name]["command"]), name
    # migrate shares the app's image, settings and volumes (the push key goes to `keys`).
    assert migrate["build"] == found["web"]["build"] and migrate["volumes"] == found["web"]["volumes"]
    assert migrate["environment"]["DATABASE_URL"] == found["web"]["environment"]["DATABASE_URL"]
    assert "keys:/app/var/keys" in migrate["volumes"]
    recipe = (ROOT / "Makefile").read_text().split("\nmigrate:", 1)[1].split("\n\n", 1)[0]
    assert "manage.py migrate" in recipe


def test_the_commands_compose_runs_are_the_make_targets_the_docs_name() -> None:
    found = services()
    targets = make_targets()
    for name, row in documented_services().items():
        command = row[2]
        if command.startswith("`make "):
            target = re.match(r"`make ([\w-]+)`", command).group(1)  # type: ignore[union-attr]
            assert target in targets, f"the Makefile has no {target} target"
            assert found[name]["command"] == ["make", target], name
        else:
            assert "command" not in found[name] or name == "redis", name
    # The images are the versions the docs name.
    docs = documented_services()
    assert found["postgres"]["image"] == "postgres:" + docs["postgres"][1].split()[-1]
    assert found["redis"]["image"] == "redis:" + docs["redis"][1].split()[-1]
    assert found["proxy"]["image"].startswith("nginx:") and "`deploy/nginx.conf`" in docs["proxy"][2]


def test_the_proxy_mounts_the_very_file_the_fault_tests_run(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    mounts = services()["proxy"]["volumes"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in mounts
    assert local_proxy.CONF.resolve() == (ROOT / "deploy" / "nginx.conf").resolve()
    # What tests/proxy.py writes for nginx is that file with only the local replacements.
    monkeypatch.setattr(local_proxy, "make_certificate", lambda folder: folder)
    proxy = local_proxy.Proxy([8001, 8002], tmp_path, http_port=8080, https_port=8443)
    proxy.write()
    assert proxy.conf.read_text() == local_proxy.local_config(
        NGINX.read_text(), backends=[8001, 8002], http_port=8080, https_port=8443,
        certs=tmp_path / "certs", run_dir=tmp_path)


def test_web_can_be_scaled_behind_the_proxy() -> None:
    """`docker compose up --scale web=N`: no fixed name or host port, and nginx finds every
    instance by Docker's DNS at run time."""
    web = services()["web"]
    assert "container_name" not in web and "ports" not in web
    assert web["expose"] == ["8000"]
    text = NGINX.read_text()
    assert "resolver 127.0.0.11 valid=10s" in text and "set $web http://web:8000;" in text
    assert all(body.count("proxy_pass $web;") == 1 for route, body in nginx_locations().items()
               if route != "= /metrics")


def test_proxy_and_web_have_room_for_thousands_of_sockets() -> None:
    found = services()
    connections = int(re.search(r"worker_connections (\d+);", NGINX.read_text()).group(1))  # type: ignore[union-attr]
    for name, least in (("proxy", 2 * connections), ("web", 10_000)):
        nofile = found[name]["ulimits"]["nofile"]
        assert nofile["soft"] >= least and nofile["hard"] >= nofile["soft"], name


def test_the_proxy_routes_are_the_ones_the_docs_list() -> None:
    locations = nginx_locations()
    documented = {row[0].strip("`"): row[1] for row in docs_table("The proxy's routes")}
    assert set(locations) == set(documented)
    ws = locations["/ws/"]
    assert "proxy_buffering off;" in ws and "proxy_read_timeout 1h;" in ws
    assert "websocket upgrade" in documented["/ws/"] and "1 h" in documented["/ws/"]
    assert locations["= /metrics"].split() == ["return", "404;"]
    assert "404" in documented["= /metrics"]
    assert "proxy_read_timeout 60s;" in locations["/"] and "60 s" in documented["/"]
    assert "`/static/`" in documented["/"]
    text = NGINX.read_text()
    assert "proxy_set_header Upgrade $http_upgrade;" in text
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in text


def test_web_learns_the_client_from_the_trusted_proxy_list_not_proxy_headers() -> None:
    """What deploy/nginx.conf's comment says about X-Forwarded-For is what compose runs."""
    web = services()["web"]
    assert "WEB_ARGS" not in web["environment"]
    assert web["environment"]["SCHOOLCHAT_TRUSTED_PROXIES"]
    comment = NGINX.read_text().split("X-Forwarded-For is replaced", 1)[1].split("proxy_set", 1)[0]
    assert "SCHOOLCHAT_TRUSTED_PROXIES" in comment and "without\n        # --proxy-headers" in comment
    assert "$(WEB_ARGS)" in (ROOT / "Makefile").read_text()
