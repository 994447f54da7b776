"""`fleet canary`: judge a live canary against the stable version in the same city, from Prometheus.

The SLIs are the observability ones, per track (`stable` or `canary`) of one service in one city:
error rate (5xx over all requests) and p95 latency, each over `rollout.canary.window`. The canary
passes only within the SLOs of `envs/fleet.yaml` (`slo.success_pct`, `slo.latency_p95_ms`) and no
worse than stable by more than the model's margins. Missing or thin data is never a pass: it is its
own verdict, "cannot judge", and the release workflow treats it as a failure.

Answers come from Prometheus's HTTP API (`/api/v1/query`), or from a recording of those answers
(`--recorded FILE`: a JSON object from each query to the API's JSON reply), so the judgement is
testable offline and a disputed verdict can be replayed.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any, Literal

from nusantara_fleet.model import Fleet
from nusantara_fleet.model.spec.delivery import CanaryJudgementSpec
from nusantara_fleet.model.spec.observability import SloSpec

Track = Literal["stable", "canary"]
TRACKS: tuple[Track, ...] = ("stable", "canary")
# Label names the services' metrics carry (the observability SLIs are defined on them).
SERVICE_LABEL, CITY_LABEL, TRACK_LABEL, STATUS_LABEL = "service", "city", "track", "status"
REQUESTS, DURATION_BUCKETS = "http_requests_total", "http_request_duration_seconds_bucket"
# A judgement is a handful of instant queries, each answered with one sample: a reply this large is
# not Prometheus answering them, and reading on would only hold the pipeline up.
MAX_REPLY_BYTES = 1 << 20
QUERY_TIMEOUT_SECONDS = 10  # Prometheus's own default query timeout is 2 minutes; a canary must not wait that long


class Verdict(IntEnum):
    """Also the exit code of `fleet canary`."""

    PROMOTE = 0
    ROLL_BACK = 1
    CANNOT_JUDGE = 2


class NoAnswer(Exception):
    """Prometheus could not be asked, or did not answer a query in the shape the judgement needs."""


@dataclass(frozen=True)
class Queries:
    requests: str
    error_ratio: str
    p95_seconds: str

    def all(self) -> tuple[str, ...]:
        return (self.requests, self.error_ratio, self.p95_seconds)


def _quote(value: str) -> str:
    return json.dumps(value)  # a PromQL string literal: double quotes, backslash escapes


def queries(service: str, city: str, track: Track, window: str) -> Queries:
    selector = f"{SERVICE_LABEL}={_quote(service)}, {CITY_LABEL}={_quote(city)}, {TRACK_LABEL}={_quote(track)}"
    all_requests = f"sum(rate({REQUESTS}{{{selector}}}[{window}]))"
    # No 5xx at all is no series at all: `or vector(0)` makes it a zero rate, while no requests at all
    # still leaves the ratio empty (no data).
    errors = f'(sum(rate({REQUESTS}{{{selector}, {STATUS_LABEL}=~"5.."}}[{window}])) or vector(0))'
    return Queries(
        requests=f"sum(increase({REQUESTS}{{{selector}}}[{window}]))",
        error_ratio=f"{errors} / {all_requests}",
        p95_seconds=f"histogram_quantile(0.95, sum by (le) (rate({DURATION_BUCKETS}{{{selector}}}[{window}])))",
    )


Ask = Callable[[str], Mapping[str, Any]]


def prometheus(url: str) -> Ask:
    """Instant queries against `url`'s HTTP API, each bounded in time and in reply size.

    `url` is an http:// or https:// base URL (the command line checks): urllib would also open file://.
    """
    base = url.rstrip("/") + "/api/v1/query?"

    def ask(query: str) -> Mapping[str, Any]:
        request = urllib.request.Request(base + urllib.parse.urlencode({"query": query}))
        try:
            with urllib.request.urlopen(request, timeout=QUERY_TIMEOUT_SECONDS) as reply:
                body = reply.read(MAX_REPLY_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise NoAnswer(f"Prometheus answered HTTP {exc.code} to {query}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise NoAnswer(f"cannot reach Prometheus at {url}: {reason}") from None
        if len(body) > MAX_REPLY_BYTES:
            raise NoAnswer(f"Prometheus's reply to {query} is over {MAX_REPLY_BYTES} bytes")
        return _json(body, f"Prometheus's reply to {query}")

    return ask


def recorded(path: Path) -> Ask:
    """Answers from a recording: a JSON object mapping each query to the API's reply to it."""
    try:
        with path.open("rb") as file:
            body = file.read(MAX_REPLY_BYTES + 1)
    except OSError as exc:
        raise NoAnswer(f"cannot read {path}: {exc.strerror}") from None
    if len(body) > MAX_REPLY_BYTES:
        raise NoAnswer(f"{path} is over {MAX_REPLY_BYTES} bytes")
    answers = _json(body, str(path))

    def ask(query: str) -> Mapping[str, Any]:
        answer = answers.get(query)
        if not isinstance(answer, dict):
            raise NoAnswer(f"{path} records no answer to {query}")
        return answer

    return ask


def _json(body: bytes, what: str) -> Mapping[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise NoAnswer(f"{what} is not JSON") from None
    if not isinstance(data, dict):
        raise NoAnswer(f"{what} is not a JSON object")
    return data


def sample(answer: Mapping[str, Any], query: str) -> float | None:
    """The one value of an instant vector; None when there is none or it is not a number (no data)."""
    data = answer.get("data")
    if answer.get("status") != "success" or not isinstance(data, dict):
        raise NoAnswer(f"Prometheus did not answer {query}: {answer.get('error', answer.get('status'))}")
    result = data.get("result")
    if data.get("resultType") != "vector" or not isinstance(result, list):
        raise NoAnswer(f"the answer to {query} is not an instant vector")
    if not result:
        return None
    if len(result) > 1:
        raise NoAnswer(f"the answer to {query} has {len(result)} series; it must aggregate to one")
    value = result[0].get("value") if isinstance(result[0], dict) else None
    try:
        number = float(value[1]) if isinstance(value, list) and len(value) == 2 else math.nan
    except (TypeError, ValueError):
        number = math.nan
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class Measured:
    requests: float | None
    error_ratio: float | None
    p95_seconds: float | None


def measure(ask: Ask, service: str, city: str, track: Track, window: str) -> Measured:
    q = queries(service, city, track, window)
    return Measured(*(sample(ask(query), query) for query in q.all()))


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reasons: tuple[str, ...]
    measured: Mapping[Track, Measured]

    def text(self, service: str, city: str, tag: str) -> str:
        def pct(value: float | None) -> str:
            return "no data" if value is None else f"{value * 100:.3f}%"

        def ms(value: float | None) -> str:
            return "no data" if value is None else f"{value * 1000:.0f} ms"

        def count(value: float | None) -> str:
            return "no data" if value is None else f"{value:.0f}"

        lines = [f"{'track':<8}{'requests':>10}{'errors':>12}{'p95':>10}"]
        for track in TRACKS:
            m = self.measured.get(track)
            if m is not None:
                lines.append(f"{track:<8}{count(m.requests):>10}{pct(m.error_ratio):>12}{ms(m.p95_seconds):>10}")
        verdict = {
            Verdict.PROMOTE: f"promote: the canary {tag} of {service} in {city} meets the SLOs and matches stable",
            Verdict.ROLL_BACK: f"roll back: the canary {tag} of {service} in {city} fails its judgement",
            Verdict.CANNOT_JUDGE: f"cannot judge the canary {tag} of {service} in {city}; treat as a failure",
        }[self.verdict]
        return "\n".join([*lines, verdict, *(f"  - {reason}" for reason in self.reasons)]) + "\n"


def judge(stable: Measured, canary: Measured, *, slo: SloSpec, rules: CanaryJudgementSpec) -> Judgement:
    measured: dict[Track, Measured] = {"stable": stable, "canary": canary}
    missing = [
        f"no {what} for the {track} track in the last {rules.window}"
        for track, m in measured.items()
        for what, value in (("error rate", m.error_ratio), ("p95 latency", m.p95_seconds))
        if value is None
    ]
    if canary.requests is None or canary.requests < rules.min_requests:
        served = 0 if canary.requests is None else round(canary.requests)
        missing.insert(
            0, f"the canary served {served} requests in the last {rules.window}; judging needs {rules.min_requests}"
        )
    if missing:
        return Judgement(Verdict.CANNOT_JUDGE, tuple(missing), measured)
    assert canary.error_ratio is not None and canary.p95_seconds is not None  # checked just above
    assert stable.error_ratio is not None and stable.p95_seconds is not None
    budget = (100 - slo.success_pct) / 100
    breaches = []
    if canary.error_ratio > budget:
        breaches.append(
            f"error rate {canary.error_ratio * 100:.3f}% is over the SLO's {budget * 100:.3f}% "
            f"(slo.success_pct: {slo.success_pct})"
        )
    if canary.p95_seconds * 1000 > slo.latency_p95_ms:
        breaches.append(
            f"p95 latency {canary.p95_seconds * 1000:.0f} ms is over the SLO's {slo.latency_p95_ms} ms "
            "(slo.latency_p95_ms)"
        )
    if canary.error_ratio - stable.error_ratio > rules.error_margin_pct / 100:
        breaches.append(
            f"error rate {canary.error_ratio * 100:.3f}% is more than {rules.error_margin_pct} points over "
            f"stable's {stable.error_ratio * 100:.3f}% (rollout.canary.error_margin_pct)"
        )
    if canary.p95_seconds > stable.p95_seconds * (1 + rules.latency_margin_pct / 100):
        breaches.append(
            f"p95 latency {canary.p95_seconds * 1000:.0f} ms is more than {rules.latency_margin_pct}% over "
            f"stable's {stable.p95_seconds * 1000:.0f} ms (rollout.canary.latency_margin_pct)"
        )
    return Judgement(Verdict.ROLL_BACK if breaches else Verdict.PROMOTE, tuple(breaches), measured)


def judge_canary(fleet: Fleet, ask: Ask, *, service: str, city: str) -> Judgement:
    """Measure both tracks of `service` in `city` and judge the canary; no answer is "cannot judge"."""
    rules = fleet.delivery.canary
    try:
        stable, canary = (measure(ask, service, city, track, rules.window) for track in TRACKS)
    except NoAnswer as exc:
        return Judgement(Verdict.CANNOT_JUDGE, (str(exc),), {})
    return judge(stable, canary, slo=fleet.spec.slo, rules=rules)
