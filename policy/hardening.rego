# Hardening: what every container must give up before it may run.
package main

import rego.v1

# Where images may come from: the project's own registry, and the release registries of the upstream
# projects the fleet runs unchanged (Kubernetes, etcd). Anything else is mirrored into the project's first.
allowed_registries := {"ghcr.io/nusantaramart/", "registry.k8s.io/", "quay.io/coreos/"}

deny_run_as_root contains msg if {
	some container in containers
	not runs_as_non_root(container)
	msg := sprintf("%s: container %s may run as root; set securityContext.runAsNonRoot: true", [object_id, container.name])
}

runs_as_non_root(container) if container.securityContext.runAsNonRoot == true

runs_as_non_root(container) if {
	pod_spec.securityContext.runAsNonRoot == true
	not container.securityContext.runAsNonRoot == false
}

deny_privilege_escalation contains msg if {
	some container in containers
	not container.securityContext.allowPrivilegeEscalation == false
	msg := sprintf("%s: container %s may escalate privileges; set securityContext.allowPrivilegeEscalation: false", [object_id, container.name])
}

deny_privilege_escalation contains msg if {
	some container in containers
	container.securityContext.privileged == true
	msg := sprintf("%s: container %s is privileged; remove securityContext.privileged", [object_id, container.name])
}

deny_writable_root_filesystem contains msg if {
	some container in containers
	not container.securityContext.readOnlyRootFilesystem == true
	msg := sprintf("%s: container %s can write its root filesystem; set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where it writes", [object_id, container.name])
}

deny_capabilities contains msg if {
	some container in containers
	not drops_all_capabilities(container)
	msg := sprintf("%s: container %s keeps Linux capabilities; set securityContext.capabilities.drop: [ALL]", [object_id, container.name])
}

deny_capabilities contains msg if {
	some container in containers
	some capability in container.securityContext.capabilities.add
	capability != "NET_BIND_SERVICE"
	msg := sprintf("%s: container %s adds capability %s; only NET_BIND_SERVICE may be added back", [object_id, container.name, capability])
}

drops_all_capabilities(container) if {
	some capability in container.securityContext.capabilities.drop
	capability == "ALL"
}

confining_seccomp := {"RuntimeDefault", "Localhost"}

deny_seccomp contains msg if {
	some container in containers
	not seccomp_confined(container)
	msg := sprintf("%s: container %s runs without a seccomp profile; set securityContext.seccompProfile.type: RuntimeDefault on the pod", [object_id, container.name])
}

seccomp_confined(container) if container.securityContext.seccompProfile.type in confining_seccomp

seccomp_confined(container) if {
	pod_spec.securityContext.seccompProfile.type in confining_seccomp
	not container.securityContext.seccompProfile
}

required_resources := [["requests", "cpu"], ["requests", "memory"], ["limits", "cpu"], ["limits", "memory"]]

deny_resources contains msg if {
	some container in containers
	some resource in required_resources
	not container.resources[resource[0]][resource[1]]
	msg := sprintf("%s: container %s has no resources.%s.%s; size it from its resource class", [object_id, container.name, resource[0], resource[1]])
}

deny_probes contains msg if {
	input.kind in long_running_kinds
	some container in pod_spec.containers
	some probe in ["readinessProbe", "livenessProbe"]
	not container[probe]
	msg := sprintf("%s: container %s has no %s; traffic and restarts would not follow its health", [object_id, container.name, probe])
}

deny_image_tag contains msg if {
	some container in containers
	not contains(container.image, "@")
	not image_tag(container.image)
	msg := sprintf("%s: container %s image %s has no tag; pin a release tag or a digest", [object_id, container.name, container.image])
}

deny_image_tag contains msg if {
	some container in containers
	not contains(container.image, "@")
	image_tag(container.image) == "latest"
	msg := sprintf("%s: container %s image %s uses the moving tag latest; pin a release tag or a digest", [object_id, container.name, container.image])
}

# The tag of `registry/path/name:tag`: a colon in the last path segment (a registry port is not one).
image_tag(image) := tag if {
	segments := split(image, "/")
	parts := split(segments[count(segments) - 1], ":")
	count(parts) == 2
	tag := parts[1]
}

deny_image_registry contains msg if {
	some container in containers
	not allowed_image(container.image)
	msg := sprintf("%s: container %s image %s is not from an allowed registry (%s)", [object_id, container.name, container.image, concat(", ", sort(allowed_registries))])
}

allowed_image(image) if {
	some registry in allowed_registries
	startswith(image, registry)
}

deny_host_namespace contains msg if {
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	pod_spec[field] == true
	msg := sprintf("%s: the pod shares the node's namespaces (%s: true); remove it", [object_id, field])
}

deny_host_path contains msg if {
	some volume in pod_spec.volumes
	volume.hostPath
	msg := sprintf("%s: volume %s mounts the node's filesystem (hostPath %s); use a PVC or emptyDir", [object_id, volume.name, volume.hostPath.path])
}
