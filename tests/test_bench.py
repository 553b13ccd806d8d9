"""`make bench` works whatever the user's shell holds: it keeps to its own database and Redis
database, and its set-up signs sessions the servers it starts accept (bench/run.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from bench import run
from tests.conftest import IN_CI, require_service

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k" + uuid.uuid4().hex + uuid.uuid4().hex  # production-strength: 65 characters


def test_the_bench_database_is_its_own_beside_the_users() -> None:
    bench = run.services({"DATABASE_URL": "postgres://u:pw@db.example:6543/school?sslmode=require",
                          "REDIS_URL": "redis://cache.example:6380/0"})
    assert bench.database_name == "school_bench"
    assert bench.database_url == "postgres://u:pw@db.example:6543/school_bench?sslmode=require"
    assert bench.maintenance_url == "postgres://u:pw@db.example:6543/postgres?sslmode=require"
    # Redis: the same server, another database, so neither side's worker takes the other's jobs.
    assert bench.redis_url == "redis://cache.example:6380/15"
    assert run.services({"REDIS_URL": "redis://cache.example:6380/15"}).redis_url == \
        "redis://cache.example:6380/14"


def test_without_database_url_the_bench_uses_the_local_default_and_no_redis() -> None:
    bench = run.services({"DATABASE_URL": "sqlite:////srv/school.sqlite3"})
    assert bench.database_url == "postgres://postgres@127.0.0.1:5432/schoolchat_bench"
    assert not bench.redis and bench.redis_url == ""


def test_bench_variables_name_the_servers_as_given() -> None:
    bench = run.services({"DATABASE_URL": "postgres://u@db/school", "REDIS_URL": "redis://r/0",
                          "BENCH_DATABASE_URL": "postgres://bench@other:5432/",
                          "BENCH_REDIS_URL": "redis://r/3"})
    assert bench.database_url == "postgres://bench@other:5432/school_bench"
    assert bench.redis_url == "redis://r/3"


@pytest.mark.parametrize("url", ["postgres://u@db/School-Data", "postgres://u@db/x;drop"])
def test_a_database_name_the_bench_cannot_quote_safely_stops_it(url: str) -> None:
    with pytest.raises(SystemExit, match="lower-case"):
        run.services({"DATABASE_URL": url})


def test_servers_and_set_up_get_one_environment_without_the_users_settings() -> None:
    user = {"SECRET_KEY": STRONG_KEY, "DEBUG": "true", "ALLOWED_HOSTS": "chat.school.example",
            "DATABASE_URL": "postgres://u@db/school", "REDIS_URL": "redis://r/0",
            "SCHOOLCHAT_DB_POOL_MAX": "2", "PATH": "/usr/bin", "HOME": "/root"}
    bench = run.services(user)
    env = run.schoolchat_env(user, bench)
    assert "SECRET_KEY" not in env and "ALLOWED_HOSTS" not in env
    assert env["DATABASE_URL"] == "postgres://u@db/school_bench"
    assert env["REDIS_URL"] == "redis://r/15"
    assert env["DEBUG"] == "false" and "SCHOOLCHAT_DB_POOL_MAX" not in env
    assert env["PATH"] == "/usr/bin"
    # The worker's, each server's and the set-up's environment come from this one function.
    source = (ROOT / "bench" / "run.py").read_text()
    assert "use_env(schoolchat_env())" in source


@pytest.fixture
def user_database() -> Iterator[tuple[str, str]]:
    """A PostgreSQL URL naming a database that does not exist (the user's), and the maintenance
    URL of its server; the bench's database is dropped afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in {"postgres", "postgresql"}:
        if IN_CI:
            pytest.skip("the bench needs PostgreSQL: this run is on the embedded default")
        pytest.skip("the bench needs PostgreSQL (DATABASE_URL=postgres://...)")
    parts = urlsplit(url)
    require_service("PostgreSQL", parts.hostname or "127.0.0.1", parts.port or 5432)
    require_service("Redis", "127.0.0.1", 6379)
    name = f"benchuser_{uuid.uuid4().hex[:10]}"
    server = url.rsplit("/", 1)[0]
    yield f"{server}/{name}", f"{server}/postgres"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}_bench WITH (FORCE)")


def test_the_bench_set_up_and_its_server_agree_with_secret_key_set(
        user_database: tuple[str, str]) -> None:
    """With a production SECRET_KEY, a DATABASE_URL and a REDIS_URL in the shell, the bench's
    members open their conversation page (200, not a refusal) and a send is acked and delivered;
    the user's database is never created or touched."""
    url, maintenance = user_database
    env = {**os.environ, "SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "chat.school.example",
           "DATABASE_URL": url, "REDIS_URL": "redis://127.0.0.1:6379/0"}
    result = subprocess.run([sys.executable, "bench/run.py", "--check"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    name = url.rsplit("/", 1)[1]
    assert f"database {name}_bench, Redis redis://127.0.0.1:6379/15" in output
    assert "a member's conversation page: HTTP 200" in output
    assert "one send: acked True, delivered True" in output
    assert "403" not in output and "bench check: ok" in output
    with psycopg.connect(maintenance, autocommit=True) as conn:
        names = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
    assert name not in names and f"{name}_bench" in names


def test_without_redis_the_cross_process_phase_says_it_is_skipped_and_why(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "SERVICES", run.services({"DATABASE_URL": "postgres://u@db/school"}))
    reason = run.crossprocess_skipped()
    assert reason is not None and "no REDIS_URL" in reason and "through Redis" in reason
    monkeypatch.setattr(run, "SERVICES", run.services({"REDIS_URL": "redis://r/0"}))
    assert run.crossprocess_skipped() in {None, "nginx or openssl is not installed (apt-get install nginx)"}


# --- the bench's own arithmetic ----------------------------------------------------------------
def test_servers_take_turns_each_round_starting_one_further_on() -> None:
    assert run.turns(["floor", "schoolchat"], 4) == [
        ["floor", "schoolchat"], ["schoolchat", "floor"],
        ["floor", "schoolchat"], ["schoolchat", "floor"]]
    three = run.turns(["a", "b", "c"], 3)
    assert [order[0] for order in three] == ["a", "b", "c"]
    assert all(sorted(order) == ["a", "b", "c"] for order in three)
    assert run.turns([], 3) == []


def test_rounds_of_a_rate_pool_into_one_rate_over_every_measured_second() -> None:
    rounds = [{"messages": 300, "seconds": 1.0, "per_second": 300.0, "members": 30},
              {"messages": 100, "seconds": 1.0, "per_second": 100.0, "members": 30}]
    pooled = run.pool_rates(rounds)
    # Not the mean of the rates' strings, not the last round's: 400 messages in 2 s.
    assert pooled["per_second"] == 200.0 and pooled["messages"] == 400
    assert pooled["rounds_per_second"] == [300.0, 100.0] and pooled["members"] == 30
    plain = run.pool_rates([{"messages": 2, "seconds": 0.5, "per_second": 4.0,
                             "durations_ms": [1.0, 3.0]},
                            {"messages": 1, "seconds": 0.5, "per_second": 2.0,
                             "durations_ms": [9.0]}])
    assert plain["commit_max_ms"] == 9.0 and "durations_ms" not in plain
    with pytest.raises(ValueError):
        run.pool_rates([])


def test_pooled_fan_out_rounds_keep_every_delivery_and_each_rounds_p99() -> None:
    pooled = run.FanoutRun(members=2)
    pooled.add(run.FanoutRun(members=2, messages=1, expected=2, latencies=[1.0, 2.0]))
    pooled.add(run.FanoutRun(members=2, messages=1, expected=2, latencies=[30.0, 40.0]))
    row = pooled.row()
    assert row["deliveries"] == 4 and row["expected"] == 4
    assert row["rounds_p99_ms"] == [2.0, 40.0] and row["p99_ms"] == 40.0


def test_a_run_ends_with_its_ratios_one_a_line_leaving_out_what_did_not_run() -> None:
    checks = {"fanout200_p99_ratio": 1.4, "fanout200_p50_ratio": 1.1, "persist_ratio": 0.8,
              "announce1000_p99_ratio": None, "idle_socket_ratio": None,
              "crossprocess_fanout_p99_ratio": None, "stock200_p99_ratio": 90.0}
    assert run.ratio_lines(checks) == ["fanout200_p99_ratio=1.4", "fanout200_p50_ratio=1.1",
                                       "persist_ratio=0.8"]
    every = dict.fromkeys(run.RATIO_LINES, 1.0)
    assert [line.split("=")[0] for line in run.ratio_lines(every)] == [
        "fanout200_p99_ratio", "fanout200_p50_ratio", "announce1000_p99_ratio",
        "idle_socket_ratio", "idle10k_cpu_pct", "idle10k_redis_ops", "persist_ratio",
        "crossprocess_fanout_p99_ratio"]


def test_a_quick_run_leaves_out_the_announcement_unless_asked_for() -> None:
    assert "announce" not in run.chosen_phases({}, quick=True)
    assert "announce" in run.chosen_phases({}, quick=False)
    assert run.chosen_phases({"BENCH_PHASES": "announce, persist"}, quick=True) == {
        "announce", "persist"}


def test_make_bench_quick_runs_fan_out_and_persist_in_quick_mode() -> None:
    makefile = (ROOT / "Makefile").read_text()
    target = makefile.split("\nbench-quick:", 1)[1].split("\n\n", 1)[0]
    assert "BENCH_QUICK=1" in target and "BENCH_PHASES=fanout,persist" in target
    assert "bench/run.py" in target


def test_a_baseline_checkout_runs_its_own_code_on_the_bench_database(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(run, "BASELINE", str(tmp_path))
    server = run.baseline_server()
    assert server.cwd == tmp_path and server.name == "baseline"
    assert server.env == run.schoolchat_env()  # the same database, Redis and settings
    assert run.schoolchat_server().cwd == ROOT
