"""The embedded servers' discovery: a command started without DATABASE_URL / REDIS_URL finds
the servers a `make run` on this checkout is serving, and nothing else."""

import os

import environ
import pytest

from leadroute import local_services


@pytest.fixture
def run_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(local_services, "PG_DATA", tmp_path / "postgres")
    monkeypatch.setattr(local_services, "VALKEY_URL_FILE", tmp_path / "valkey.url")
    (tmp_path / "postgres").mkdir()
    return tmp_path


def _postmaster_pid(run_dir, pid: int, socket_dir: str) -> None:
    lines = [str(pid), str(run_dir / "postgres"), "1764750000", "5432", socket_dir, "", "", "ready"]
    (run_dir / "postgres" / "postmaster.pid").write_text("\n".join(lines) + "\n")


def test_a_running_embedded_postgres_is_found_by_its_socket(run_dir):
    _postmaster_pid(run_dir, os.getpid(), "/tmp/lr-socket")
    url = local_services.running_urls()["DATABASE_URL"]
    config = environ.Env.db_url_config(url)
    assert (config["NAME"], config["OPTIONS"]["host"]) == ("leadroute", "/tmp/lr-socket")


def test_a_stale_postmaster_pid_is_not_a_server(run_dir):
    _postmaster_pid(run_dir, 2**22 + 12345, "/tmp/lr-socket")  # above Linux's pid_max
    assert local_services.running_urls() == {}


def test_a_valkey_url_is_used_only_while_it_answers(run_dir, settings):
    local_services.VALKEY_URL_FILE.write_text(settings.REDIS_URL)
    assert local_services.running_urls() == {"REDIS_URL": settings.REDIS_URL}
    local_services.VALKEY_URL_FILE.write_text("redis://127.0.0.1:1/0")  # nothing listens
    assert local_services.running_urls() == {}
