"""What `envs/` may say about delivery: the rollout order, the gate, the canary's judgement, and where Argo CD
finds the fleet."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from nusantara_fleet.model.spec.common import (
    CLUSTER_SERVER,
    CRON,
    DNS_LABEL,
    GIT_REVISION,
    GIT_URL,
    GO_DURATION,
    CityName,
    Spec,
    check_time_zone,
)

RolloutStrategy = Literal["app-of-apps", "application-set"]


class GateWindowSpec(Spec):
    """The AppProject sync window that denies automatic syncs to the gated city and allows manual ones."""

    schedule: str = Field(
        default="* * * * *",
        pattern=CRON,
        description="Five-field cron at which the deny window opens "
        "(https://argo-cd.readthedocs.io/en/stable/user-guide/sync_windows/). Default: opening every minute "
        "for longer than a minute keeps the deny window permanently active.",
    )
    duration: str = Field(
        default="1h",
        pattern=GO_DURATION,
        description="How long each opening lasts, Go duration such as `1h`. Default: any duration above the "
        'one-minute period would do; an hour reads as "always" in `argocd proj windows list`.',
    )
    time_zone: str = Field(
        default="Asia/Jakarta",
        description="IANA time zone the schedule is read in (Argo CD `timeZone`). Default: the fleet's local "
        "time, so a narrower business-hours schedule reads naturally.",
    )

    _zone = field_validator("time_zone")(check_time_zone)


class CanaryJudgementSpec(Spec):
    """How the release workflow judges a canary against the stable version in the same city (`fleet canary`)."""

    weight_pct: int = Field(
        default=10,
        ge=1,
        le=50,
        description="Share of the canary city's traffic the pipeline's canary takes, %. Default: at the design's "
        "peak a tenth of one city is still hundreds of requests a minute, enough to judge within the bake time, "
        "while a bad version reaches few customers.",
    )
    bake_seconds: int = Field(
        default=900,
        ge=60,
        description="Seconds the canary takes traffic before it is judged. Default: three of the SLIs' 5-minute "
        "rate windows, so the judgement reads only canary-era traffic and more than one scrape's noise.",
    )
    window: str = Field(
        default="5m",
        pattern=GO_DURATION,
        description="Range of the SLIs' `rate()` (error rate and p95 latency), a Prometheus duration. Default: "
        "the window the observability SLIs are defined over.",
    )
    min_requests: int = Field(
        default=500,
        ge=1,
        description="Fewest canary requests in `window` that can be judged; fewer cannot (exit 2), never a pass. "
        "Default: at the design's 0.4 % error budget, 500 requests hold two failures' worth: fewer cannot tell one "
        "unlucky request from a breach.",
    )
    error_margin_pct: float = Field(
        default=0.1,
        ge=0,
        description="How many percentage points the canary's error rate may exceed the stable version's, even "
        "within the SLO. Default: a quarter of the design's 0.4 % budget, so a canary cannot spend most of it.",
    )
    latency_margin_pct: int = Field(
        default=10,
        ge=0,
        description="How much slower (%) the canary's p95 may be than the stable version's, even within the SLO. "
        "Default: a tenth is beyond a 5-minute p95's usual noise and still well under the 300 ms bound.",
    )


class RolloutSpec(Spec):
    order: list[CityName] = Field(
        min_length=1,
        description="Cities in rollout order; every city exactly once. The first is the canary city; the gated "
        "city must be last.",
    )
    gated_city: CityName | None = Field(
        default=None,
        description="City that waits for a manual sync, last in `order`. Unset: the primary city (the gate "
        "follows it).",
    )
    approval_environment: str = Field(
        default="production-main",
        pattern=DNS_LABEL,
        description="GitHub environment (required reviewers: the release managers) the release workflow's "
        "gated-city job runs in; it holds the release-manager Argo CD token. Default: named for the role, not a "
        "city, so a failover changes no GitHub setting.",
    )
    canary: CanaryJudgementSpec = Field(
        default=CanaryJudgementSpec(), description="How the release workflow bakes and judges the canary."
    )
    strategy: RolloutStrategy = Field(
        default="app-of-apps",
        description="How Argo CD orders the cities: `app-of-apps` (child Applications in sync waves) or "
        "`application-set` (ApplicationSet Progressive Syncs, RollingSync steps). Default: native Argo CD with "
        "no controller flag; Progressive Syncs is Beta and must be switched on.",
    )
    repo_url: str = Field(
        default="https://github.com/nusantaramart/nusantara-fleet.git",
        pattern=GIT_URL,
        description="Git repository Argo CD reads `dist/` from. Default: this repository, where `dist/` is committed.",
    )
    target_revision: str = Field(
        default="main",
        pattern=GIT_REVISION,
        description="Branch, tag or commit of `repo_url` Argo CD syncs. Default: rendered manifests are merged "
        "to main after review; CI fails when dist/ is stale.",
    )
    argocd_namespace: str = Field(
        default="argocd",
        pattern=DNS_LABEL,
        description="Namespace Argo CD runs in on the management cluster. Default: Argo CD's install manifests'.",
    )
    cluster_server: str = Field(
        default="https://{city}.k8s.nusantaramart.internal:6443",
        pattern=CLUSTER_SERVER,
        description="API server URL of each city's cluster; `{city}` is replaced by the city name. Default: one "
        "naming scheme for every city keeps the cluster Secrets uniform.",
    )
    cluster_credentials: str = Field(
        default="nusantaramart/argocd/clusters",
        description="Key prefix in the secret store under which `<city>` holds that cluster's Argo CD `config`. "
        "Default: one subtree for Argo CD's cluster credentials keeps the store's access policy to one rule.",
    )
    release_managers: list[str] = Field(
        default=["nusantaramart:release-managers"],
        min_length=1,
        description="SSO groups of the AppProject role that alone may sync the gated city. Default: the "
        "release-manager group of the organisation's SSO.",
    )
    gate_window: GateWindowSpec = Field(default=GateWindowSpec(), description="The gated city's deny window.")
