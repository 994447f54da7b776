"""What `envs/` may say about the services: what runs, how it is probed and scaled, the edge, the report cache."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from nusantara_fleet.model.spec.common import DNS_LABEL, HTTP_PATH, IMAGE_REPOSITORY, IMAGE_TAG, SHA256_DIGEST, Spec
from nusantara_fleet.model.spec.platform import ContainerResources, Quantity, ResourceClass

Access = Literal["read", "write"]
HttpMethod = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
EdgeMode = Literal["ingress-nginx", "gateway-api"]


class RouteSpec(Spec):
    path: str = Field(pattern=HTTP_PATH, description="HTTP path prefix.")
    methods: list[HttpMethod] = Field(min_length=1, description="HTTP methods this route takes.")
    access: Access = Field(description="`write` routes are transactional and go to the primary city.")


class ServiceSpec(Spec):
    name: str = Field(pattern=DNS_LABEL, description="Service name; also the image name.")
    tag: str = Field(pattern=IMAGE_TAG, description="Image tag; never `latest`.")
    digest: str | None = Field(
        default=None, pattern=SHA256_DIGEST, description="Image digest; pins the image when given."
    )
    port: int = Field(ge=1024, le=65535, description="Container port (unprivileged).")
    health_path: str = Field(
        default="/check",
        pattern=HTTP_PATH,
        description="Path of the health endpoint. Default: the path every service of the shop serves.",
    )
    resource_class: ResourceClass = Field(description="Sizing class of the container.")
    routes: list[RouteSpec] = Field(default=[], description="Routes the service serves. Default: none (internal).")
    rps_per_pod: int = Field(
        default=500,
        ge=1,
        description="Requests per second one pod serves within the latency SLO. Default: the sizing figure for a "
        "medium (1 vCPU) API pod; replace it with the service's load-test result.",
    )
    traffic_pct: int = Field(
        default=100,
        ge=1,
        le=100,
        description="Share of the city's requests that reach this service, %. Default: a service on every "
        "request path (the gateway) sees all of them; others set their share.",
    )
    database: bool = Field(
        default=True,
        description="Whether the service uses the fleet's PostgreSQL (read endpoint, and write endpoint when it "
        "has `write` routes). Default: every back-end service owns tables; the gateway sets this off.",
    )
    cache: bool = Field(
        default=False,
        description="Whether the service reads through the city's report cache. Default: only report data is "
        "cacheable.",
    )
    reads: Literal["replicas", "reporting"] = Field(
        default="replicas",
        description="Which of the city's databases serves its reads: the replicas, or the reporting members "
        "(read-only, never leaders, so long report queries never hold back a failover candidate). Default: "
        "shop traffic reads the replicas; the report service sets `reporting`.",
    )
    tmp_size_mib: int = Field(
        default=64,
        ge=0,
        description="Size of the writable `/tmp` (emptyDir) under a read-only root, MiB; 0: none. Default: room "
        "for request buffering and temp files.",
    )
    wal_bytes_per_request: int = Field(
        default=2048,
        ge=0,
        description="WAL the primary writes per request of this service, averaged over its reads and writes, "
        "bytes; counted for services with `write` routes only. Default: the design's estimate of a tenth of all "
        "requests writing about 5 KiB, carried by the services that write, a quarter of the traffic.",
    )
    cross_city_bytes_per_request: int = Field(
        default=1024,
        ge=0,
        description="Bytes a request of this service exchanges with the primary city's database when it is "
        "served in another city, averaged over its requests (reads stay in the city); counted for services with "
        "`write` routes only. Default: a write's few statements and replies, about 2.5 KiB, on the 40 % of the "
        "requests that write.",
    )


class ProbeSpec(Spec):
    """Timing of one kind of health probe."""

    period_seconds: int = Field(ge=1, description="Seconds between probes.")
    timeout_seconds: int = Field(ge=1, description="Seconds a probe may take.")
    failure_threshold: int = Field(ge=1, description="Consecutive failures before the probe acts.")


class ProbesSpec(Spec):
    """Health probes of every service container, all on the service's `health_path`."""

    readiness: ProbeSpec = Field(
        default=ProbeSpec(period_seconds=5, timeout_seconds=2, failure_threshold=3),
        description="Default: a failing pod leaves the Service within 15 s.",
    )
    liveness: ProbeSpec = Field(
        default=ProbeSpec(period_seconds=10, timeout_seconds=2, failure_threshold=6),
        description="Default: restart only after a minute of failures, long after readiness took the pod out.",
    )
    startup: ProbeSpec = Field(
        default=ProbeSpec(period_seconds=5, timeout_seconds=2, failure_threshold=24),
        description="Default: two minutes to start, inside the 180 s RTO, before liveness may kill a slow starter.",
    )


class WorkloadsSpec(Spec):
    """How every service runs: replicas, placement, security and scaling defaults."""

    replicas: int = Field(
        default=2,
        ge=2,
        description="Replicas of every service at rest; the HPA never goes below this. Default: the design's "
        "service-main and service-backup, on two different nodes.",
    )
    run_as_user: int = Field(
        default=10001,
        ge=1,
        description="Unprivileged UID and GID the service containers run as. Default: above the range "
        "distributions give system users, so it owns nothing on the node.",
    )
    spread_topology_key: str = Field(
        default="topology.kubernetes.io/zone",
        description="Node label replicas are also spread across, as a preference, on top of the even spread over "
        "nodes. Default: zones, where nodes carry the label.",
    )
    cpu_utilization_pct: int = Field(
        default=70,
        ge=10,
        le=95,
        description="Average CPU utilisation the HPA keeps, % of requests. Default: leaves 30 % for a burst "
        "while a new pod starts.",
    )
    termination_grace_seconds: int = Field(
        default=30,
        ge=1,
        description="Seconds a stopping pod gets to finish its requests. Default: Kubernetes' own; requests "
        "take well under a second.",
    )
    metrics_port: int = Field(
        default=9090,
        ge=1024,
        le=65535,
        description="Container port every service serves Prometheus metrics on. Default: Prometheus's "
        "conventional port, apart from traffic so policies can open it to monitoring only.",
    )
    image_pull_policy: Literal["IfNotPresent", "Always"] = Field(
        default="IfNotPresent",
        description="`imagePullPolicy` of every container the fleet runs. Default: tags are pinned releases, so "
        "a node's copy is the right one.",
    )
    probes: ProbesSpec = Field(default=ProbesSpec(), description="Health probe timings.")


class CacheSpec(Spec):
    """The per-city Redis that caches slowly changing report data for the services marked `cache: true`."""

    name: str = Field(
        default="report-cache", pattern=DNS_LABEL, description="Name of the cache objects. Default: what it caches."
    )
    image: str = Field(
        default="ghcr.io/nusantaramart/redis",
        pattern=IMAGE_REPOSITORY,
        description="Redis image repository. Default: the official image (its `redis` user is UID 999) "
        "mirrored into the fleet's registry, the only one allowed.",
    )
    tag: str = Field(default="7.4.6", pattern=IMAGE_TAG, description="Redis image tag. Default: a 7.4 patch release.")
    port: int = Field(default=6379, ge=1024, le=65535, description="Redis port. Default: Redis's standard port.")
    replicas: int = Field(
        default=2,
        ge=2,
        description="Independent cache replicas; clients treat a miss as a recompute. Default: one per general "
        "node, so a node drain leaves a warm replica.",
    )
    persistence: bool = Field(
        default=False,
        description="Keep an append-only file on a volume so a restarted replica starts warm. Default: report "
        "data is precomputed and recomputable; a cold cache costs latency, never correctness.",
    )
    storage_gib: int = Field(
        default=1,
        ge=1,
        description="Volume size per replica when `persistence` is on, GiB. Default: report totals take megabytes.",
    )
    resource_class: ResourceClass = Field(
        default="light", description="Sizing class of the Redis container. Default: a cache of small documents."
    )
    run_as_user: int = Field(default=999, ge=1, description="UID of the `redis` user in the image (official image).")
    max_memory_pct: int = Field(
        default=75,
        ge=10,
        le=90,
        description="Redis `maxmemory` as a share of the container memory limit, %. Default: the rest covers "
        "Redis's own buffers and the copy-on-write of an AOF rewrite.",
    )
    exporter_image: str = Field(
        default="ghcr.io/nusantaramart/redis_exporter",
        pattern=IMAGE_REPOSITORY,
        description="Image of the metrics exporter beside each replica (oliver006/redis_exporter). Default: the "
        "upstream image mirrored into the fleet's registry, the only one allowed.",
    )
    exporter_tag: str = Field(
        default="v1.63.0",
        pattern=IMAGE_TAG,
        description="Exporter image tag, exact. Default: a release that reads Redis 7.4's INFO fields.",
    )
    exporter_port: int = Field(
        default=9121,
        ge=1024,
        le=65535,
        description="Port the exporter serves /metrics on. Default: the exporter's own default port.",
    )
    exporter_resources: ContainerResources = Field(
        default=ContainerResources(
            requests=Quantity(cpu="10m", memory="32Mi"), limits=Quantity(cpu="100m", memory="64Mi")
        ),
        description="Requests and limits of the exporter container. Default: it answers one scrape per interval "
        "with a few hundred series, far below the lightest class.",
    )


class IngressNginxSpec(Spec):
    class_name: str = Field(
        default="nginx", description="`ingressClassName` of the edge Ingress. Default: ingress-nginx's own."
    )
    controller_namespace: str = Field(
        default="ingress-nginx",
        pattern=DNS_LABEL,
        description="Namespace the ingress-nginx controller runs in. Default: the upstream install's namespace.",
    )


class GatewayApiSpec(Spec):
    gateway_class: str = Field(
        default="istio",
        pattern=DNS_LABEL,
        description="GatewayClass of the edge Gateway, one of Istio's (controller `istio.io/gateway-controller`): "
        "Istio deploys the Gateway's proxies in the Gateway's namespace as `<gateway>-<class>`. Default: `istio`, "
        "the class istiod creates, so the edge is a mesh Envoy with the mesh's mTLS and locality failover.",
    )


class CanarySpec(Spec):
    tag: str = Field(pattern=IMAGE_TAG, description="Candidate image tag; never `latest`.")
    weight: int = Field(ge=0, le=50, description="Share of this city's traffic sent to the candidate, %.")
    digest: str | None = Field(
        default=None,
        pattern=SHA256_DIGEST,
        description="Digest of the candidate image as scanned (`fleet release --digest`); pins it when given.",
    )


class CityServiceSpec(Spec):
    """A service's release state in one city, written by `fleet release/promote/rollback`."""

    tag: str | None = Field(
        default=None, pattern=IMAGE_TAG, description="Stable tag in this city when it differs from fleet.yaml."
    )
    digest: str | None = Field(
        default=None,
        pattern=SHA256_DIGEST,
        description="Digest of this city's stable image as scanned (`fleet release --digest`); pins it when given.",
    )
    previous_tag: str | None = Field(
        default=None, pattern=IMAGE_TAG, description="Stable tag before the last promotion; rollback target."
    )
    previous_digest: str | None = Field(
        default=None, pattern=SHA256_DIGEST, description="Digest of `previous_tag`'s image, when it was pinned."
    )
    canary: CanarySpec | None = Field(default=None, description="A candidate version on a slice of traffic.")
