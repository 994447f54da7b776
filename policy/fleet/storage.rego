# Claims: on storage that is kept, and at least as large as the model sized them.
package fleet

import rego.v1

# Each claim a workload makes: a StatefulSet's volumeClaimTemplates, or a PersistentVolumeClaim.
claims := array.concat(
	[{"entry": entry, "name": template.metadata.name, "spec": template.spec} |
		some entry in entries
		entry.object.kind == "StatefulSet"
		some template in entry.object.spec.volumeClaimTemplates
	],
	[{"entry": entry, "name": entry.object.metadata.name, "spec": entry.object.spec} |
		some entry in entries
		entry.object.kind == "PersistentVolumeClaim"
	],
)

retained_classes := {sprintf("%s/%s", [entry.dir, entry.object.metadata.name]) |
	some entry in entries
	entry.object.kind == "StorageClass"
	entry.object.reclaimPolicy == "Retain"
}

deny_claim_storage_class contains result if {
	some claim in claims
	class := object.get(claim.spec, "storageClassName", "(the cluster default)")
	not sprintf("%s/%s", [claim.entry.dir, class]) in retained_classes
	result := at(claim.entry, sprintf("claim %s uses storage class %s, which is not a StorageClass with reclaimPolicy Retain rendered for %s", [claim.name, class, claim.entry.dir]))
}

# The model's size of each StatefulSet claim, as city-facts records it: {"<statefulset>/<claim>": "500Gi"}.
model_claim_sizes := {facts.dir: sizes |
	some facts in city_facts
	sizes := json.unmarshal(facts.data["claim-sizes"])
}

deny_claim_size contains result if {
	some claim in claims
	claim.entry.object.kind == "StatefulSet"
	minimum := model_claim_sizes[claim.entry.dir][sprintf("%s/%s", [claim.entry.object.metadata.name, claim.name])]
	size := claim.spec.resources.requests.storage
	units.parse_bytes(size) < units.parse_bytes(minimum)
	result := at(claim.entry, sprintf("claim %s requests %s, less than the model's %s", [claim.name, size, minimum]))
}

deny_claim_size contains result if {
	some claim in claims
	claim.entry.object.kind == "StatefulSet"
	claim.entry.dir in {facts.dir | some facts in city_facts}
	not model_claim_sizes[claim.entry.dir][sprintf("%s/%s", [claim.entry.object.metadata.name, claim.name])]
	result := at(claim.entry, sprintf("claim %s has no model size in city-facts claim-sizes; render %s/%s there", [claim.name, claim.entry.object.metadata.name, claim.name]))
}
