# Availability: no single point of failure inside a city.
package main

import rego.v1

deny_single_replica contains msg if {
	input.kind == "Deployment"
	replicas := object.get(input.spec, "replicas", 1)
	replicas < 2
	msg := sprintf("%s: runs %v replica(s); a service needs at least 2 to survive a node loss", [object_id, replicas])
}

deny_hpa_min_replicas contains msg if {
	input.kind == "HorizontalPodAutoscaler"
	replicas := object.get(input.spec, "minReplicas", 1)
	replicas < 2
	msg := sprintf("%s: minReplicas is %v; scaling in must leave at least 2 replicas", [object_id, replicas])
}

# Members of a database (or any replicated StatefulSet) must never share a node.
deny_member_anti_affinity contains msg if {
	input.kind == "StatefulSet"
	object.get(input.spec, "replicas", 1) > 1
	not spreads_over_nodes
	msg := sprintf("%s: members may share a node; add a required podAntiAffinity term on kubernetes.io/hostname selecting its own pods", [object_id])
}

spreads_over_nodes if {
	some term in pod_spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution
	term.topologyKey == "kubernetes.io/hostname"
	count(term.labelSelector.matchLabels) > 0
	every key, value in term.labelSelector.matchLabels {
		pod_labels[key] == value
	}
}
