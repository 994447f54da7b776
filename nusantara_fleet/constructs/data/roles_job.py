"""A Job Argo CD runs as a hook of the city's sync (the roles Job): its phase and delete policy as annotations."""

from __future__ import annotations

from nusantara_fleet import naming
from nusantara_fleet.constructs import pod
from nusantara_fleet.constructs.data.meta import data_labels, data_metadata
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model.cities import City
from nusantara_fleet.model.data.plans import HookJobPlan


class HookJob(Manifest):
    def __init__(self, scope: RenderChart, *, city: City, namespace: str, plan: HookJobPlan) -> None:
        job = plan.job
        metadata = data_metadata(city, job.identity, kind="Job", namespace=namespace)
        metadata["annotations"][naming.ARGOCD_HOOK] = plan.phase
        metadata["annotations"][naming.ARGOCD_HOOK_DELETE_POLICY] = plan.delete_policy
        template = {
            "metadata": {"labels": naming.template_labels(data_labels(city, job.identity))},
            "spec": pod.pod_spec(job.pod),
        }
        super().__init__(
            scope,
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": metadata,
                "spec": {"backoffLimit": job.backoff_limit, "template": template},
            },
            plan=plan,
        )
