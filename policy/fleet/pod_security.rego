# Pod Security Admission: every namespace enforces a profile, and the pods rendered into a namespace that
# enforces `restricted` meet it, so the API server never turns one away at sync time.
package fleet

import rego.v1

pod_security := "pod-security.kubernetes.io"

enforce_labels := [sprintf("%s/enforce", [pod_security]), sprintf("%s/enforce-version", [pod_security])]

deny_pod_security contains result if {
	some entry in entries
	entry.object.kind == "Namespace"
	labels := object.get(entry.object.metadata, "labels", {})
	missing := [label | some label in enforce_labels; not labels[label]]
	count(missing) > 0
	result := at(entry, sprintf("lacks %s; label it with the strictest Pod Security profile its pods meet (restricted) and a pinned Kubernetes version", [concat(", ", missing)]))
}

# Namespaces enforcing `restricted`, as `<dir>/<name>` (the scope of the objects inside them).
restricted_namespaces contains sprintf("%s/%s", [entry.dir, entry.object.metadata.name]) if {
	some entry in entries
	entry.object.kind == "Namespace"
	entry.object.metadata.labels[enforce_labels[0]] == "restricted"
}

# Each pod template of a restricted namespace, with its object.
restricted_pods := [{"entry": entry, "spec": spec} |
	some entry in entries
	entry.scope in restricted_namespaces
	spec := pod_template(entry.object)
]

deny_pod_security contains result if {
	some pod in restricted_pods
	some violation in restricted_violations
	violation[0] == pod.entry.path
	result := at(pod.entry, sprintf("namespace %s enforces the restricted Pod Security profile, which refuses this pod: %s", [pod.entry.namespace, violation[1]]))
}

pod_template(obj) := obj.spec.template.spec if {
	obj.kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
} else := obj.spec.jobTemplate.spec.template.spec if {
	obj.kind == "CronJob"
} else := obj.spec if {
	obj.kind == "Pod"
}

# The restricted profile's checks that hardening.rego does not already make of every pod in every
# namespace (non-root, no privilege escalation, capabilities, seccomp, host namespaces, hostPath), as
# [path, message] pairs.
restricted_volume_types := {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}

restricted_violations contains [pod.entry.path, msg] if {
	some pod in restricted_pods
	pod.spec.securityContext.runAsUser == 0
	msg := "the pod runs as UID 0 (securityContext.runAsUser); give it a non-zero UID"
}

restricted_violations contains [pod.entry.path, msg] if {
	some pod in restricted_pods
	some container in pod_containers(pod.spec)
	container.securityContext.runAsUser == 0
	msg := sprintf("container %s runs as UID 0 (securityContext.runAsUser); give it a non-zero UID", [container.name])
}

restricted_violations contains [pod.entry.path, msg] if {
	some pod in restricted_pods
	some volume in object.get(pod.spec, "volumes", [])
	some field, _ in volume
	field != "name"
	not field in restricted_volume_types
	msg := sprintf("volume %s is of type %s; use one of %s", [volume.name, field, concat(", ", sort(restricted_volume_types))])
}

restricted_violations contains [pod.entry.path, msg] if {
	some pod in restricted_pods
	some container in pod_containers(pod.spec)
	some port in container.ports
	port.hostPort > 0
	msg := sprintf("container %s binds host port %v; reach it through a Service", [container.name, port.hostPort])
}

pod_containers(spec) := array.concat(object.get(spec, "containers", []), object.get(spec, "initContainers", []))
