# What the per-document rules share: which object this is, and the pod it runs (if any).
package main

import rego.v1

# `Kind/name`, even for a document missing either (a message must never be undefined).
object_id := sprintf("%v/%v", [object.get(input, "kind", "?"), object.get(object.get(input, "metadata", {}), "name", "?")])

workload_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}

# Kinds whose pods run until stopped; their containers need probes.
long_running_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}

# One definition with `else`: a rule assigned with := is declared once.
pod_spec := input.spec.template.spec if {
	input.kind in workload_kinds
} else := input.spec.jobTemplate.spec.template.spec if {
	input.kind == "CronJob"
} else := input.spec if {
	input.kind == "Pod"
}

pod_labels := input.spec.template.metadata.labels if input.kind in workload_kinds

# Every container of the pod, init containers included: each one runs code on the node.
containers contains container if {
	some container in pod_spec.containers
}

containers contains container if {
	some container in pod_spec.initContainers
}
