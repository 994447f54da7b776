# Fleet-wide rules read the combined input (`conftest test --combine`): a list of {path, contents}.
# Run per document (`conftest test --all-namespaces`), the input is one object and nothing here fires.
package fleet

import rego.v1

items := [item | is_array(input); some item in input; is_object(item.contents)]

# Every rendered object with the directory it was rendered into: a city, or `fleet`.
entries := [entry |
	some item in items
	parts := split(item.path, "/")
	metadata := object.get(item.contents, "metadata", {})
	entry := {
		"path": item.path,
		"dir": parts[count(parts) - 2],
		"namespace": object.get(metadata, "namespace", "default"),
		"id": sprintf("%s/%s", [object.get(item.contents, "kind", "?"), object.get(metadata, "name", "?")]),
		"object": item.contents,
	}
]

city_facts := [{"dir": entry.dir, "path": entry.path, "data": entry.object.data} |
	some entry in entries
	entry.object.kind == "ConfigMap"
	entry.object.metadata.name == "city-facts"
]

cities := {facts.data.city | some facts in city_facts}

topologies := [entry | some entry in entries; entry.object.kind == "ConfigMap"; entry.object.metadata.name == "fleet-topology"]

# A finding about one object: conftest reports `_loc` as the file, so annotations land on it.
at(entry, msg) := {"msg": sprintf("%s: %s", [entry.id, msg]), "_loc": {"file": entry.path, "line": 1}}

selects(selector, labels) if {
	count(selector.matchLabels) > 0
	every key, value in selector.matchLabels {
		labels[key] == value
	}
}
