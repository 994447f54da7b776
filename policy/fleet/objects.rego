# Fleet-wide rules read the combined input (`conftest test --combine`): a list of {path, contents}.
# Run per document (`conftest test --all-namespaces`), the input is one object and nothing here fires.
package fleet

import rego.v1

# Every rendered object with the directory it was rendered into (a city, or `fleet`), its namespace, and
# its scope `<dir>/<namespace>`, where the objects it depends on live. Computed once: rules look up fields.
entries := [entry |
	is_array(input)
	some item in input
	is_object(item.contents)
	parts := split(item.path, "/")
	namespace := object.get(object.get(item.contents, "metadata", {}), "namespace", "default")
	dir := parts[count(parts) - 2]
	entry := {
		"path": item.path,
		"dir": dir,
		"namespace": namespace,
		"scope": sprintf("%s/%s", [dir, namespace]),
		"object": item.contents,
	}
]

# `Kind/name` of an entry, as messages name objects.
object_id(entry) := sprintf("%v/%v", [
	object.get(entry.object, "kind", "?"),
	object.get(object.get(entry.object, "metadata", {}), "name", "?"),
])

city_facts := [{"dir": entry.dir, "path": entry.path, "data": entry.object.data} |
	some entry in entries
	entry.object.kind == "ConfigMap"
	entry.object.metadata.name == "city-facts"
]

cities := {facts.data.city | some facts in city_facts}

topologies := [entry | some entry in entries; entry.object.kind == "ConfigMap"; entry.object.metadata.name == "fleet-topology"]

# A finding about one object: conftest reports `_loc` as the file, so annotations land on it.
at(entry, msg) := {"msg": sprintf("%s: %s", [object_id(entry), msg]), "_loc": {"file": entry.path, "line": 1}}

selects(selector, labels) if {
	count(selector.matchLabels) > 0
	every key, value in selector.matchLabels {
		labels[key] == value
	}
}
