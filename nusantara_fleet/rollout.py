"""`fleet rollout` and `fleet status`: the release flow and every city's release state, read from the model.

The release workflow names no city: it runs `fleet rollout --output github` and builds its jobs from
that (the canary city, the branches one by one as a matrix, the approval environment, the gated city,
and the rollback order), so a change of `primary` or a new city in `envs/` changes the pipeline with it.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from nusantara_fleet.errors import COMMAND_LINE, ConfigError, Problem
from nusantara_fleet.model import Fleet
from nusantara_fleet.model.cities import CityService

FORMATS = ("text", "json", "github")


def _unknown(flag: str, kind: str, name: str, known: list[str]) -> ConfigError:
    guess = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {guess[0]!r}? " if guess else ""
    return ConfigError(
        [Problem(COMMAND_LINE, None, flag, f"unknown {kind} {name!r}; {hint}{kind}s: {', '.join(known)}")]
    )


def check_service(fleet: Fleet, service: str) -> None:
    services = [svc.name for svc in fleet.services]
    if service not in services:
        raise _unknown("SERVICE", "service", service, services)


def check_target(fleet: Fleet, city: str, service: str) -> None:
    """A city and a service named on the command line exist, or a located error with the nearest name."""
    cities = [c.name for c in fleet.cities]
    if city not in cities:
        raise _unknown("--city", "city", city, cities)
    check_service(fleet, service)


def flow(fleet: Fleet) -> dict[str, Any]:
    """The release flow for any fleet: canary city, then the branches, then approval, then the gated city."""
    delivery = fleet.delivery
    judgement = delivery.canary
    return {
        "canary": {
            "city": delivery.canary_city,
            "application": delivery.city_app(delivery.canary_city),
            "weight_pct": judgement.weight_pct,
            "bake_seconds": judgement.bake_seconds,
        },
        "branches": [{"city": city, "application": delivery.city_app(city)} for city in delivery.branches],
        "gated": {
            "city": delivery.gated_city,
            "application": delivery.city_app(delivery.gated_city),
            "approval_environment": delivery.approval_environment,
        },
        "rollback": list(delivery.rollback_order),
    }


def flow_text(plan: dict[str, Any]) -> str:
    canary, gated = plan["canary"], plan["gated"]
    branches = ", ".join(branch["city"] for branch in plan["branches"]) or "none"
    return (
        f"1. canary   {canary['city']}: {canary['weight_pct']}% of its traffic, judged after "
        f"{canary['bake_seconds']} s, then promoted\n"
        f"2. branches {branches}: one city at a time, each healthy before the next\n"
        f"3. approval GitHub environment {gated['approval_environment']}\n"
        f"4. gated    {gated['city']}: synced by a release manager\n"
        f"on failure  roll back in this order: {', '.join(plan['rollback'])}\n"
    )


def flow_github(plan: dict[str, Any]) -> str:
    """`name=value` lines for `$GITHUB_OUTPUT`: words, space-separated words for shell loops, and the
    branches as a JSON list for the workflow's matrix (each `{city, application}`)."""
    canary, gated = plan["canary"], plan["gated"]
    order = [canary["city"], *(branch["city"] for branch in plan["branches"]), gated["city"]]
    outputs = {
        "canary_city": canary["city"],
        "canary_app": canary["application"],
        "canary_weight": str(canary["weight_pct"]),
        "bake_seconds": str(canary["bake_seconds"]),
        "branches": json.dumps(plan["branches"], separators=(",", ":"), sort_keys=True),
        "gated_city": gated["city"],
        "gated_app": gated["application"],
        "approval_environment": gated["approval_environment"],
        "order": " ".join(order),
        "rollback": " ".join(plan["rollback"]),
    }
    return "".join(f"{name}={value}\n" for name, value in outputs.items())


def _service_state(service: CityService) -> dict[str, Any]:
    state = service.state
    canary = service.canary
    return {
        "service": service.name,
        "stable": service.version,
        "digest": service.digest,
        "canary": None
        if canary is None or state is None or state.canary is None
        else {"tag": canary.tag, "weight": canary.weight, "digest": state.canary.digest},
        "previous": state.previous_tag if state is not None else None,
    }


def status(fleet: Fleet, service: str | None = None) -> dict[str, Any]:
    """Per city, in rollout order: its wave, role and gate, and each service's stable, canary and previous tags."""
    return {
        "cities": [
            {
                "city": city.name,
                "wave": city.wave,
                "role": city.role,
                "gated": city.gated,
                "services": [_service_state(s) for s in city.services if service is None or s.name == service],
            }
            for city in fleet.cities
        ]
    }


def status_text(report: dict[str, Any]) -> str:
    header = ("city", "wave", "role", "gate", "service", "stable", "canary", "previous")
    rows = [header]
    for city in report["cities"]:
        for svc in city["services"]:
            canary = svc["canary"]
            rows.append(
                (
                    city["city"],
                    str(city["wave"]),
                    city["role"],
                    "gated" if city["gated"] else "-",
                    svc["service"],
                    svc["stable"],
                    f"{canary['tag']} ({canary['weight']}%)" if canary else "-",
                    svc["previous"] or "-",
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() + "\n" for row in rows
    )


def as_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=True) + "\n"
