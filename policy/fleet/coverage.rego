# What every object needs beside it: a PodDisruptionBudget, a default-deny NetworkPolicy.
package fleet

import rego.v1

pdb_entries := [entry | some entry in entries; entry.object.kind == "PodDisruptionBudget"]

# PodDisruptionBudgets by city and namespace, so each workload looks only at its neighbours.
budgets := {key: [entry | some entry in pdb_entries; entry.scope == key] |
	some key in {entry.scope | some entry in pdb_entries}
}

deny_missing_pdb contains result if {
	some entry in entries
	entry.object.kind in {"Deployment", "StatefulSet"}
	replicas := object.get(entry.object.spec, "replicas", 1)
	replicas > 1
	not budgeted(entry)
	result := at(entry, sprintf("runs %v replicas in %s and no PodDisruptionBudget there selects its pods", [replicas, entry.namespace]))
}

budgeted(entry) if {
	some budget in object.get(budgets, entry.scope, [])
	selects(budget.object.spec.selector, entry.object.spec.template.metadata.labels)
}

network_policies := [entry | some entry in entries; entry.object.kind == "NetworkPolicy"]

deny_missing_default_deny contains result if {
	some entry in entries
	entry.object.kind == "Namespace"
	not default_denied(entry.dir, entry.object.metadata.name)
	result := at(entry, "no default-deny NetworkPolicy (podSelector: {}, policyTypes: [Ingress], no ingress rules) in this namespace")
}

default_denied(dir, namespace) if {
	some policy in network_policies
	policy.dir == dir
	policy.namespace == namespace
	count(object.get(policy.object.spec.podSelector, "matchLabels", {})) == 0
	count(object.get(policy.object.spec.podSelector, "matchExpressions", [])) == 0
	"Ingress" in policy.object.spec.policyTypes
	count(object.get(policy.object.spec, "ingress", [])) == 0
}
