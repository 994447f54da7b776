# What the per-document rules share: which object this is, and the pod it runs (if any).
package main

import rego.v1

object_id := sprintf("%s/%s", [input.kind, input.metadata.name])

workload_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}

# Kinds whose pods run until stopped; their containers need probes.
long_running_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}

pod_spec := input.spec.template.spec if input.kind in workload_kinds

pod_spec := input.spec.jobTemplate.spec.template.spec if input.kind == "CronJob"

pod_spec := input.spec if input.kind == "Pod"

pod_labels := input.spec.template.metadata.labels if input.kind in workload_kinds

# Every container of the pod, init containers included: each one runs code on the node.
containers contains container if {
	some container in pod_spec.containers
}

containers contains container if {
	some container in pod_spec.initContainers
}
