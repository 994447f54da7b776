"""Each data construct renders one small hand-written plan into exactly the object it describes."""

from __future__ import annotations

from typing import Any

from cdk8s import App

from nusantara_fleet.constructs.data.jobs import CronJob
from nusantara_fleet.constructs.data.network_policy import NetworkPolicy
from nusantara_fleet.constructs.data.service import Service
from nusantara_fleet.constructs.data.statefulset import StatefulSet
from nusantara_fleet.constructs.manifest import RenderChart
from nusantara_fleet.model import City
from nusantara_fleet.model.cities import Pool
from nusantara_fleet.model.data.plans import (
    CronJobPlan,
    Identity,
    NetworkPolicyPlan,
    Peer,
    PodSelector,
    ServicePlan,
    ServicePort,
    StatefulSetPlan,
    TrafficRule,
)
from nusantara_fleet.model.pods import Claim, Container, EnvVar, Mount, PodPlan, Port, Probe, SecretKey, Volume
from nusantara_fleet.model.spec import CitySpec
from nusantara_fleet.model.spec.platform import ContainerResources, Quantity

RESOURCES = ContainerResources(requests=Quantity(cpu="1", memory="1Gi"), limits=Quantity(cpu="2", memory="2Gi"))
POOL = Pool(name="database", nodes=2, dedicated=True, overridden=False)
CITY = City(
    name="medan",
    source="envs/medan.yaml",
    spec=CitySpec.model_validate(
        {
            "network": {
                "pod_cidr": "10.90.0.0/16",
                "service_cidr": "10.190.0.0/16",
                "edge_address": "192.0.2.90",
                "eastwest_address": "10.250.0.10",
            },
            "database": {"object_storage": {"endpoint": "https://s3.example", "bucket": "backups"}},
        }
    ),
    project="shop",
    role="replica",
    wave=3,
    gated=False,
    pools={"database": POOL},
    services=(),
)


def _render(build: Any) -> dict[str, Any]:
    chart = RenderChart(App(), "medan", collect=True)
    build(chart)
    (body,) = chart.bodies
    return body


def _pod(**changes: Any) -> PodPlan:
    container = Container(
        name="db",
        image="registry.example/db:1.0",
        pull_policy="IfNotPresent",
        command=("db", "--serve"),
        resources=RESOURCES,
        env=(
            EnvVar("PLAIN", value="1"),
            EnvVar("POD", field_path="metadata.name"),
            EnvVar("PASSWORD", secret=SecretKey("creds", "password")),
        ),
        mounts=(Mount("data", "/data"), Mount("conf", "/etc/db", read_only=True)),
        ports=(Port("sql", 5432),),
        liveness=Probe(path="/live", port="sql", period_seconds=7, timeout_seconds=3, failure_threshold=4),
    )
    plan = PodPlan(
        containers=(container,),
        volumes=(
            Volume("conf", config_map="db-config", items=("db.yml",), mode=0o444),
            Volume("tmp", size_limit="8Mi"),
        ),
        pool=POOL,
        uid=4242,
        fs_group=True,
        account="db",
        one_per_node={"cluster": "db"},
        termination_grace_seconds=45,
    )
    return PodPlan(**{**plan.__dict__, **changes})


def test_a_statefulset_renders_its_plan_and_nothing_else() -> None:
    plan = StatefulSetPlan(
        identity=Identity(name="db-medan", app="db", version="1.0", role="replica", cluster="db"),
        replicas=2,
        service="db-members",
        config_checksum="abc",
        pod=_pod(),
        claim=Claim("data", "50Gi", "fast"),
    )
    body = _render(lambda chart: StatefulSet(chart, city=CITY, namespace="data", plan=plan))
    labels = body["metadata"]["labels"]
    assert labels["app.kubernetes.io/version"] == "1.0" and labels["app.kubernetes.io/component"] == "data"
    assert labels["fleet.nusantaramart.co.id/database-role"] == "replica"
    assert body["metadata"]["annotations"] == {"argocd.argoproj.io/sync-wave": "-1"}
    spec = body["spec"]
    assert spec["replicas"] == 2 and spec["serviceName"] == "db-members"
    assert spec["selector"] == {
        "matchLabels": {"app.kubernetes.io/instance": "db-medan", "app.kubernetes.io/name": "db"}
    }
    assert spec["template"]["metadata"]["annotations"] == {"fleet.nusantaramart.co.id/patroni-config-sha256": "abc"}
    assert spec["volumeClaimTemplates"][0]["spec"]["resources"] == {"requests": {"storage": "50Gi"}}
    pod = spec["template"]["spec"]
    assert pod["serviceAccountName"] == "db" and "automountServiceAccountToken" not in pod
    assert pod["securityContext"] == {
        "fsGroup": 4242,
        "runAsGroup": 4242,
        "runAsNonRoot": True,
        "runAsUser": 4242,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert pod["terminationGracePeriodSeconds"] == 45
    assert pod["tolerations"] == [
        {"effect": "NoSchedule", "key": "node.nusantaramart.co.id/pool", "operator": "Equal", "value": "database"}
    ]
    assert pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == [
        {"labelSelector": {"matchLabels": {"cluster": "db"}}, "topologyKey": "kubernetes.io/hostname"}
    ]
    assert pod["volumes"] == [
        {
            "configMap": {"defaultMode": 0o444, "items": [{"key": "db.yml", "path": "db.yml"}], "name": "db-config"},
            "name": "conf",
        },
        {"emptyDir": {"sizeLimit": "8Mi"}, "name": "tmp"},
    ]
    (container,) = pod["containers"]
    assert container["env"] == [
        {"name": "PLAIN", "value": "1"},
        {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"key": "password", "name": "creds"}}},
    ]
    assert container["volumeMounts"] == [
        {"mountPath": "/data", "name": "data"},
        {"mountPath": "/etc/db", "name": "conf", "readOnly": True},
    ]
    assert container["livenessProbe"] == {
        "failureThreshold": 4,
        "httpGet": {"path": "/live", "port": "sql", "scheme": "HTTP"},
        "periodSeconds": 7,
        "timeoutSeconds": 3,
    }
    assert "readinessProbe" not in container
    assert container["securityContext"]["privileged"] is False


def test_a_pod_without_an_account_mounts_no_token() -> None:
    plan = CronJobPlan(
        identity=Identity(name="job", app="job", version="2.0"),
        schedule="5 4 * * *",
        time_zone="Asia/Jakarta",
        starting_deadline_seconds=None,
        active_deadline_seconds=60,
        backoff_limit=0,
        history=1,
        pod=_pod(account=None, one_per_node=None, termination_grace_seconds=None, restart_never=True, fs_group=False),
    )
    body = _render(lambda chart: CronJob(chart, city=CITY, namespace="data", plan=plan))
    assert "startingDeadlineSeconds" not in body["spec"]
    job = body["spec"]["jobTemplate"]["spec"]
    assert (job["activeDeadlineSeconds"], job["backoffLimit"]) == (60, 0)
    pod = job["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False and "serviceAccountName" not in pod
    assert pod["restartPolicy"] == "Never" and "fsGroup" not in pod["securityContext"]


def test_a_service_published_across_cities_carries_its_dns_name() -> None:
    plan = ServicePlan(
        identity=Identity(name="db-write", app="db-write", version="1.0"),
        selector={"app": "db", "role": "leader"},
        ports=(ServicePort("sql", 5432),),
        headless=True,
        publish_not_ready=False,
        dns_host="db-write.medan.example",
        dns_ttl=7,
        runtime_labels=("role",),
    )
    body = _render(lambda chart: Service(chart, city=CITY, namespace="data", plan=plan))
    assert body["metadata"]["annotations"] == {
        "argocd.argoproj.io/sync-wave": "-1",
        "external-dns.alpha.kubernetes.io/hostname": "db-write.medan.example",
        "external-dns.alpha.kubernetes.io/ttl": "7",
    }
    assert body["spec"] == {
        "clusterIP": "None",
        "ports": [{"name": "sql", "port": 5432, "protocol": "TCP", "targetPort": 5432}],
        "selector": {"app": "db", "role": "leader"},
        "type": "ClusterIP",
    }


def test_a_network_policy_names_in_city_peers_by_selector_and_other_cities_by_cidr() -> None:
    plan = NetworkPolicyPlan(
        identity=Identity(name="db", app="db", version="1.0"),
        pod_selector=PodSelector(labels={"app": "db"}),
        ingress=(
            TrafficRule(
                peers=(
                    Peer(pods=PodSelector(present=("role",))),
                    Peer(namespace="shop"),
                    Peer(namespace="shop", pods=PodSelector(labels={"service": "order"})),
                    Peer(cidr="10.10.0.0/16"),
                ),
                ports=(5432,),
            ),
        ),
        egress=(
            TrafficRule(
                peers=(Peer(cidr="0.0.0.0/0", excluded=("10.0.0.0/8",)),), ports=(53,), protocols=("TCP", "UDP")
            ),
        ),
    )
    body = _render(lambda chart: NetworkPolicy(chart, city=CITY, namespace="data", plan=plan))
    assert body["spec"] == {
        "egress": [
            {
                "ports": [{"port": 53, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}],
                "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}],
            }
        ],
        "ingress": [
            {
                "from": [
                    {"podSelector": {"matchExpressions": [{"key": "role", "operator": "Exists"}]}},
                    {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "shop"}}},
                    {
                        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "shop"}},
                        "podSelector": {"matchLabels": {"service": "order"}},
                    },
                    {"ipBlock": {"cidr": "10.10.0.0/16"}},
                ],
                "ports": [{"port": 5432, "protocol": "TCP"}],
            }
        ],
        "podSelector": {"matchLabels": {"app": "db"}},
        "policyTypes": ["Ingress", "Egress"],
    }


def test_a_network_policy_without_rules_denies_both_ways() -> None:
    plan = NetworkPolicyPlan(
        identity=Identity(name="deny", app="deny", version="1.0"), pod_selector=PodSelector(), ingress=(), egress=()
    )
    body = _render(lambda chart: NetworkPolicy(chart, city=CITY, namespace="data", plan=plan))
    assert body["spec"] == {"egress": [], "ingress": [], "podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
