"""The promotion script refuses to promote a standby cluster while another city still answers as primary,
asking over TLS with the name checked, and refuses too when an answer's certificate does not verify."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from nusantara_fleet.model.data.scripts import promote
from tests.data.local_cluster import Certs, make_certs


class _Patroni(BaseHTTPRequestHandler):
    """Answers like Patroni's REST API: 200 on /primary from a leader, 503 from anything else."""

    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/primary" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("trusted"))


@pytest.fixture(scope="module")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    """A certificate for the same names from a CA the Job does not trust."""
    return make_certs(tmp_path_factory.mktemp("stranger"))


Serve = Callable[..., str]


@pytest.fixture
def serve() -> Iterator[Serve]:
    servers: list[HTTPServer] = []

    def start(certs: Certs, host: str = "127.0.0.1") -> str:
        server = HTTPServer((host, 0), _Patroni)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certs.cert, certs.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"{host}:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _client(certs: Certs) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certs.ca))


def _standby(monkeypatch: pytest.MonkeyPatch, certs: Certs, *others: str) -> None:
    monkeypatch.setenv("FAILOVER_MODE", "standby-clusters")
    monkeypatch.setenv("CANDIDATE", "postgres-bandung-0")
    monkeypatch.setenv("OTHER_PRIMARIES", ",".join(others))
    monkeypatch.setenv("PATRONI_CTL_CACERT", str(certs.ca))


def test_refuses_while_the_old_primary_answers(
    serve: Serve, certs: Certs, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old_primary = serve(certs)
    _standby(monkeypatch, certs, "127.0.0.1:1", old_primary)
    assert promote.main() == 1
    assert capsys.readouterr().err == (f"refusing to promote: {old_primary} still answers as primary; fence it first\n")


def test_an_unreachable_or_demoted_city_does_not_count_as_primary(serve: Serve, certs: Certs) -> None:
    old_primary = serve(certs)
    assert promote.answers_as_primary(old_primary, _client(certs))
    assert not promote.answers_as_primary("127.0.0.1:1", _client(certs))
    _Patroni.status = 503
    try:
        assert not promote.answers_as_primary(old_primary, _client(certs))
    finally:
        _Patroni.status = 200


def test_an_answer_whose_certificate_does_not_verify_stops_the_promotion(
    serve: Serve, certs: Certs, stranger: Certs, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    impostor = serve(stranger)
    with pytest.raises(promote.Unverified, match="certificate verify failed"):
        promote.answers_as_primary(impostor, _client(certs))
    _standby(monkeypatch, certs, impostor)
    assert promote.main() == 1
    err = capsys.readouterr().err
    assert err.startswith(f"refusing to promote: cannot tell whether {impostor}: ")
    assert err.endswith("; fix its certificate or fence it\n")


def test_the_name_asked_for_must_be_on_the_certificate(serve: Serve, certs: Certs) -> None:
    """The test certificate names 127.0.0.1 and localhost: the same CA's certificate on another address fails."""
    elsewhere = serve(certs, "127.0.0.2")
    with pytest.raises(promote.Unverified, match="IP address mismatch"):
        promote.answers_as_primary(elsewhere, _client(certs))
