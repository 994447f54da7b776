"""The promotion script refuses to promote a standby cluster while another city still answers as primary."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from nusantara_fleet.model.data.scripts import promote


class _Patroni(BaseHTTPRequestHandler):
    """Answers like Patroni's REST API: 200 on /primary from a leader, 503 from anything else."""

    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/primary" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def old_primary() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Patroni)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_refuses_while_the_old_primary_answers(
    old_primary: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FAILOVER_MODE", "standby-clusters")
    monkeypatch.setenv("CANDIDATE", "postgres-bandung-0")
    monkeypatch.setenv("OTHER_PRIMARIES", f"127.0.0.1:1,{old_primary}")
    assert promote.main() == 1
    assert f"{old_primary} still answers as primary; fence it first" in capsys.readouterr().err


def test_an_unreachable_or_demoted_city_does_not_count_as_primary(old_primary: str) -> None:
    assert promote.answers_as_primary(old_primary)
    assert not promote.answers_as_primary("127.0.0.1:1")
    _Patroni.status = 503
    try:
        assert not promote.answers_as_primary(old_primary)
    finally:
        _Patroni.status = 200
