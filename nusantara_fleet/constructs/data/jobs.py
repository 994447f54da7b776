"""The data layer's batch work: CronJobs (the daily base backup, the recap) and Jobs (the promotion)."""

from __future__ import annotations

from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.constructs import pod
from nusantara_fleet.constructs.data.meta import data_labels, data_metadata
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model.cities import City
from nusantara_fleet.model.data.plans import CronJobPlan, Identity, JobPlan
from nusantara_fleet.model.pods import PodPlan


def _template(city: City, identity: Identity, plan: PodPlan) -> dict[str, Any]:
    return {"metadata": {"labels": naming.template_labels(data_labels(city, identity))}, "spec": pod.pod_spec(plan)}


class CronJob(Manifest):
    def __init__(self, scope: RenderChart, *, city: City, namespace: str, plan: CronJobPlan) -> None:
        job: dict[str, Any] = {"backoffLimit": plan.backoff_limit, "template": _template(city, plan.identity, plan.pod)}
        if plan.active_deadline_seconds is not None:
            job["activeDeadlineSeconds"] = plan.active_deadline_seconds
        spec: dict[str, Any] = {
            "concurrencyPolicy": "Forbid",
            "failedJobsHistoryLimit": plan.history,
            "jobTemplate": {"spec": job},
            "schedule": plan.schedule,
            "successfulJobsHistoryLimit": plan.history,
            "timeZone": plan.time_zone,
        }
        if plan.starting_deadline_seconds is not None:
            spec["startingDeadlineSeconds"] = plan.starting_deadline_seconds
        super().__init__(
            scope,
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "metadata": data_metadata(city, plan.identity, kind="CronJob", namespace=namespace),
                "spec": spec,
            },
            plan=plan,
        )


class Job(Manifest):
    def __init__(self, scope: RenderChart, *, city: City, namespace: str, plan: JobPlan) -> None:
        template_identity = Identity(name=plan.identity.app, app=plan.identity.app, version=plan.identity.version)
        metadata = data_metadata(city, plan.identity, kind="Job", namespace=namespace)
        if plan.hook is not None:
            metadata["annotations"][naming.ARGOCD_HOOK] = plan.hook
        if plan.hook_delete_policy is not None:
            metadata["annotations"][naming.ARGOCD_HOOK_DELETE_POLICY] = plan.hook_delete_policy
        super().__init__(
            scope,
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": metadata,
                "spec": {"backoffLimit": plan.backoff_limit, "template": _template(city, template_identity, plan.pod)},
            },
            plan=plan,
        )
