# Data safety: nothing rendered may lose or leak data.
package main

import rego.v1

deny_reclaim_policy contains msg if {
	input.kind == "StorageClass"
	policy := object.get(input, "reclaimPolicy", "Delete")
	policy != "Retain"
	msg := sprintf("%s: reclaimPolicy is %s; volumes must outlive their claims (reclaimPolicy: Retain)", [object_id, policy])
}

deny_claim_retention contains msg if {
	input.kind == "StatefulSet"
	some event in ["whenDeleted", "whenScaled"]
	input.spec.persistentVolumeClaimRetentionPolicy[event] == "Delete"
	msg := sprintf("%s: persistentVolumeClaimRetentionPolicy.%s is Delete; keep the claims (Retain)", [object_id, event])
}

deny_secret_data contains msg if {
	input.kind == "Secret"
	some field in ["data", "stringData"]
	count(object.get(input, field, {})) > 0
	msg := sprintf("%s: carries %s in Git; deliver secrets through an ExternalSecret", [object_id, field])
}

deny_claim_prune contains msg if {
	input.kind == "PersistentVolumeClaim"
	not prune_disabled
	msg := sprintf("%s: Argo CD may prune this claim; annotate argocd.argoproj.io/sync-options: Prune=false", [object_id])
}

prune_disabled if {
	options := input.metadata.annotations["argocd.argoproj.io/sync-options"]
	some option in split(options, ",")
	trim_space(option) == "Prune=false"
}
