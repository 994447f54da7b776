"""Pod-spec parts every construct shares: placement on a pool, a locked-down runtime, and the pods the
model plans (`model/pods.py`) turned into Kubernetes pod templates."""

from __future__ import annotations

from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.model.cities import Pool
from nusantara_fleet.model.pods import Claim, Container, EnvVar, PodPlan, Probe, Spread, Volume
from nusantara_fleet.model.spec.platform import ContainerResources
from nusantara_fleet.model.spec.workloads import ProbeSpec


def placement(*, pool: Pool, selector: dict[str, str], apart: bool, spread: tuple[Spread, ...]) -> dict[str, Any]:
    """On the pool's nodes, spread as the plan says; `apart`: never two replicas on one node."""
    placed: dict[str, Any] = {
        "nodeSelector": pool.node_selector,
        "tolerations": pool.tolerations,
        "topologySpreadConstraints": [_spread(rule, selector) for rule in spread],
    }
    if apart:
        placed["affinity"] = one_per_node(selector)
    return placed


def _spread(rule: Spread, selector: dict[str, str]) -> dict[str, Any]:
    constraint: dict[str, Any] = {
        "labelSelector": {"matchLabels": selector},
        "maxSkew": rule.max_skew,
        "topologyKey": rule.key,
        "whenUnsatisfiable": "DoNotSchedule" if rule.hard else "ScheduleAnyway",
    }
    if rule.honor_taints:
        constraint["nodeTaintsPolicy"] = "Honor"
    return constraint


def one_per_node(selector: dict[str, str]) -> dict[str, Any]:
    return {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": selector}, "topologyKey": naming.HOSTNAME_LABEL}
            ]
        }
    }


def pod_security(uid: int, *, fs_group: bool = True) -> dict[str, Any]:
    """`fs_group`: volumes the pod writes (data, keys read by group) belong to its group."""
    context: dict[str, Any] = {
        "runAsGroup": uid,
        "runAsNonRoot": True,
        "runAsUser": uid,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    if fs_group:
        context["fsGroup"] = uid
    return context


def container_security() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "privileged": False,
        "readOnlyRootFilesystem": True,
    }


def resources(spec: ContainerResources) -> dict[str, Any]:
    return {
        "limits": {"cpu": spec.limits.cpu, "memory": spec.limits.memory},
        "requests": {"cpu": spec.requests.cpu, "memory": spec.requests.memory},
    }


def probe(handler: dict[str, Any], timing: ProbeSpec) -> dict[str, Any]:
    return {
        **handler,
        "failureThreshold": timing.failure_threshold,
        "periodSeconds": timing.period_seconds,
        "timeoutSeconds": timing.timeout_seconds,
    }


def _http_probe(plan: Probe) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "failureThreshold": plan.failure_threshold,
        "httpGet": {"path": plan.path, "port": plan.port, "scheme": plan.scheme},
        "periodSeconds": plan.period_seconds,
        "timeoutSeconds": plan.timeout_seconds,
    }
    if plan.initial_delay_seconds is not None:
        rendered["initialDelaySeconds"] = plan.initial_delay_seconds
    return rendered


def _env(var: EnvVar) -> dict[str, Any]:
    if var.secret is not None:
        return {"name": var.name, "valueFrom": {"secretKeyRef": {"key": var.secret.key, "name": var.secret.secret}}}
    if var.config_map is not None:
        key = {"key": var.config_map.key, "name": var.config_map.config_map}
        return {"name": var.name, "valueFrom": {"configMapKeyRef": key}}
    if var.field_path is not None:
        return {"name": var.name, "valueFrom": {"fieldRef": {"fieldPath": var.field_path}}}
    return {"name": var.name, "value": var.value}


def _container(plan: Container) -> dict[str, Any]:
    container: dict[str, Any] = {
        "command": list(plan.command),
        "image": plan.image,
        "imagePullPolicy": plan.pull_policy,
        "name": plan.name,
        "resources": resources(plan.resources),
        "securityContext": container_security(),
    }
    if plan.env:
        container["env"] = [_env(var) for var in plan.env]
    if plan.mounts:
        container["volumeMounts"] = [
            {"mountPath": m.path, "name": m.volume, **({"readOnly": True} if m.read_only else {})} for m in plan.mounts
        ]
    if plan.ports:
        container["ports"] = [{"containerPort": port.number, "name": port.name} for port in plan.ports]
    if plan.liveness is not None:
        container["livenessProbe"] = _http_probe(plan.liveness)
    if plan.readiness is not None:
        container["readinessProbe"] = _http_probe(plan.readiness)
    return container


def _volume(plan: Volume) -> dict[str, Any]:
    items = [{"key": key, "path": key} for key in plan.items]
    source: dict[str, Any]
    if plan.config_map is not None:
        source = {"name": plan.config_map}
        kind = "configMap"
    elif plan.secret is not None:
        source = {"secretName": plan.secret}
        kind = "secret"
    else:
        return {
            "emptyDir": {"sizeLimit": plan.size_limit, **({"medium": "Memory"} if plan.memory else {})},
            "name": plan.name,
        }
    if items:
        source["items"] = items
    if plan.mode is not None:
        source["defaultMode"] = plan.mode
    return {kind: source, "name": plan.name}


def pod_spec(plan: PodPlan) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "containers": [_container(container) for container in plan.containers],
        "enableServiceLinks": False,
        "nodeSelector": plan.pool.node_selector,
        "securityContext": pod_security(plan.uid, fs_group=plan.fs_group),
        "tolerations": plan.pool.tolerations,
        "volumes": [_volume(volume) for volume in plan.volumes],
    }
    if plan.account is not None:
        spec["serviceAccountName"] = plan.account
    else:
        spec["automountServiceAccountToken"] = False
    if plan.one_per_node is not None:
        spec["affinity"] = one_per_node(plan.one_per_node)
    if plan.termination_grace_seconds is not None:
        spec["terminationGracePeriodSeconds"] = plan.termination_grace_seconds
    if plan.restart_never:
        spec["restartPolicy"] = "Never"
    return spec


def claim_template(plan: Claim) -> dict[str, Any]:
    """A StatefulSet's volumeClaimTemplate on the retained storage class."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": plan.name},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": plan.size}},
            "storageClassName": plan.storage_class,
        },
    }
