"""`fleet canary`: promote only within the SLOs and no worse than stable; no data is never a pass."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from nusantara_fleet import canary
from nusantara_fleet.cli import main
from tests.support import add_canaries, variant_envs

# What the default fleet's order service serves in Bandung on a good day: (requests in 5m, 5xx share, p95 s).
GOOD = (3000.0, 0.001, 0.120)
CANARY_TAG = "2.5.0-rc.1"  # tests.support.CANARIES


def vector(value: float | str | None) -> dict[str, Any]:
    """A Prometheus instant-query reply: one sample, or none (no data)."""
    result = [] if value is None else [{"metric": {}, "value": [1767225600.0, str(value)]}]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


def recording(stable: tuple[Any, Any, Any] = GOOD, candidate: tuple[Any, Any, Any] = GOOD) -> dict[str, Any]:
    answers = {}
    tracks: tuple[tuple[canary.Track, tuple[Any, Any, Any]], ...] = (("stable", stable), ("canary", candidate))
    for track, values in tracks:
        queries = canary.queries("order", "bandung", track, "5m")
        for query, value in zip(queries.all(), values, strict=True):
            answers[query] = value if isinstance(value, dict) else vector(value)
    return answers


@pytest.fixture
def envs(tmp_path: Path) -> Path:
    """The default fleet with a live canary of order in Bandung."""
    return variant_envs(tmp_path, add_canaries)


def judge(envs: Path, answers: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    recorded = envs.parent / "answers.json"
    recorded.write_text(json.dumps(answers))
    code = main(["canary", "order", "--city", "bandung", "--recorded", str(recorded), "--envs", str(envs)])
    return code, capsys.readouterr().out.splitlines()


def test_a_canary_within_the_slos_and_like_stable_is_promoted(envs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = judge(envs, recording(candidate=(600.0, 0.002, 0.130)), capsys)
    assert (code, out) == (
        0,
        [
            "track     requests      errors       p95",
            "stable        3000      0.100%    120 ms",
            "canary         600      0.200%    130 ms",
            f"promote: the canary {CANARY_TAG} of order in bandung meets the SLOs and matches stable",
        ],
    )


@pytest.mark.parametrize(
    ("stable", "candidate", "reasons"),
    [
        (
            (3000.0, 0.0045, 0.120),
            (600.0, 0.005, 0.120),
            ["error rate 0.500% is over the SLO's 0.400% (slo.success_pct: 99.6)"],
        ),
        (
            (3000.0, 0.001, 0.290),
            (600.0, 0.001, 0.310),
            ["p95 latency 310 ms is over the SLO's 300 ms (slo.latency_p95_ms)"],
        ),
        (
            GOOD,
            (600.0, 0.0025, 0.120),
            ["error rate 0.250% is more than 0.1 points over stable's 0.100% (rollout.canary.error_margin_pct)"],
        ),
        (
            GOOD,
            (600.0, 0.001, 0.140),
            ["p95 latency 140 ms is more than 10% over stable's 120 ms (rollout.canary.latency_margin_pct)"],
        ),
    ],
    ids=["error-rate-breach", "latency-breach", "more-errors-than-stable", "slower-than-stable"],
)
def test_a_canary_outside_the_slos_or_worse_than_stable_is_rolled_back(
    stable: tuple[float, float, float],
    candidate: tuple[float, float, float],
    reasons: list[str],
    envs: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = judge(envs, recording(stable, candidate), capsys)
    assert code == 1
    assert out[3] == f"roll back: the canary {CANARY_TAG} of order in bandung fails its judgement"
    assert out[4:] == [f"  - {reason}" for reason in reasons]


@pytest.mark.parametrize(
    ("stable", "candidate", "reasons"),
    [
        (
            GOOD,
            (None, None, None),
            [
                "the canary served 0 requests in the last 5m; judging needs 500",
                "no error rate for the canary track in the last 5m",
                "no p95 latency for the canary track in the last 5m",
            ],
        ),
        (GOOD, (120.0, 0.0, 0.100), ["the canary served 120 requests in the last 5m; judging needs 500"]),
        ((3000.0, 0.001, "NaN"), (600.0, 0.001, 0.120), ["no p95 latency for the stable track in the last 5m"]),
    ],
    ids=["no-data", "too-little-traffic", "stable-p95-nan"],
)
def test_no_data_is_never_a_pass(
    stable: tuple[Any, Any, Any],
    candidate: tuple[Any, Any, Any],
    reasons: list[str],
    envs: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = judge(envs, recording(stable, candidate), capsys)
    assert code == 2
    verdict = out.index(f"cannot judge the canary {CANARY_TAG} of order in bandung; treat as a failure")
    assert out[verdict + 1 :] == [f"  - {reason}" for reason in reasons]


def test_answers_prometheus_could_not_give_cannot_be_judged(envs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answers = recording()
    errors = canary.queries("order", "bandung", "canary", "5m").error_ratio
    answers[errors] = {"status": "error", "errorType": "timeout", "error": "query timed out"}
    code, out = judge(envs, answers, capsys)
    assert (code, out[-1]) == (2, f"  - Prometheus did not answer {errors}: query timed out")
    answers[errors] = {"status": "success", "data": {"resultType": "vector", "result": [vector(1)["data"]] * 2}}
    code, out = judge(envs, answers, capsys)
    assert (code, out[-1]) == (2, f"  - the answer to {errors} has 2 series; it must aggregate to one")
    del answers[errors]
    code, out = judge(envs, answers, capsys)
    assert (code, out[-1]) == (2, f"  - {envs.parent / 'answers.json'} records no answer to {errors}")


def test_the_queries_are_the_slis_of_one_track_in_one_city() -> None:
    queries = canary.queries("order", "bandung", "canary", "5m")
    selector = 'service="order", city="bandung", track="canary"'
    assert queries.requests == f"sum(increase(http_requests_total{{{selector}}}[5m]))"
    assert queries.error_ratio == (
        f'(sum(rate(http_requests_total{{{selector}, status=~"5.."}}[5m])) or vector(0)) / '
        f"sum(rate(http_requests_total{{{selector}}}[5m]))"
    )
    assert queries.p95_seconds == (
        f"histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{{{selector}}}[5m])))"
    )


def test_a_service_without_a_canary_there_is_not_judged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    envs = variant_envs(tmp_path)
    code = main(["canary", "order", "--city", "surabaya", "--recorded", "unused.json", "--envs", str(envs)])
    assert code == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: command line: SERVICE: order has no canary in surabaya to judge",
        "nothing was judged: 1 problem on the command line",
    ]


class Prometheus(http.server.BaseHTTPRequestHandler):
    """Answers /api/v1/query from `answers`; any other path is a 404."""

    answers: ClassVar[dict[str, Any]] = {}
    padding: ClassVar[int] = 0

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query).get("query", [""])[0]
        if url.path != "/api/v1/query" or query not in self.answers:
            self.send_error(404)
            return
        body = json.dumps(self.answers[query]).encode() + b" " * self.padding
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads the verdict, not the access log."""


@pytest.fixture
def prometheus() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Prometheus)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_live_prometheus_is_asked_over_its_http_api(
    prometheus: str, envs: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Prometheus, "answers", recording(candidate=(600.0, 0.002, 0.130)))
    args = ["canary", "order", "--city", "bandung", "--envs", str(envs)]
    assert main([*args, "--prometheus", prometheus + "/"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("promote: ")
    monkeypatch.setattr(Prometheus, "padding", canary.MAX_REPLY_BYTES)
    assert main([*args, "--prometheus", prometheus]) == 2
    assert capsys.readouterr().out.splitlines()[-1].endswith(f"is over {canary.MAX_REPLY_BYTES} bytes")
    assert main([*args, "--prometheus", prometheus + "/missing"]) == 2
    assert capsys.readouterr().out.splitlines()[-1].startswith("  - Prometheus answered HTTP 404 to ")


def test_only_an_http_url_is_asked(envs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["canary", "order", "--city", "bandung", "--prometheus", "file:///etc/passwd", "--envs", str(envs)])
    assert code == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: command line: --prometheus: 'file:///etc/passwd' is not a Prometheus URL: give its http:// or "
        "https:// base URL",
        "nothing was judged: 1 problem on the command line",
    ]
