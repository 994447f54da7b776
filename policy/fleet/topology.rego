# The fleet's shape: one primary, disjoint networks, every city rolled out once by its own Application.
package fleet

import rego.v1

deny_primary_city contains msg if {
	count(city_facts) > 0
	primaries := sort({facts.data.city | some facts in city_facts; facts.data.role == "primary"})
	count(primaries) != 1
	msg := sprintf("the fleet has %v primary cities [%s]; exactly one city's database takes writes", [count(primaries), concat(", ", primaries)])
}

database_role_label := "fleet.nusantaramart.co.id/database-role"

databases := [entry | some entry in entries; entry.object.kind == "StatefulSet"; entry.object.metadata.labels[database_role_label]]

primary_databases := [entry | some entry in databases; entry.object.metadata.labels[database_role_label] == "primary"]

deny_primary_database contains msg if {
	count(databases) > 0
	count(primary_databases) != 1
	names := [sprintf("%s/%s", [entry.dir, object_id(entry)]) | some entry in primary_databases]
	msg := sprintf("the fleet renders %v primary databases [%s]; exactly one may take writes", [count(primary_databases), concat(", ", names)])
}

deny_primary_database contains result if {
	some entry in primary_databases
	some facts in city_facts
	facts.dir == entry.dir
	facts.data.role != "primary"
	result := at(entry, sprintf("a primary database in %s, a %s city; it belongs in the primary city %s", [entry.dir, facts.data.role, facts.data["primary-city"]]))
}

networks := [{"city": facts.data.city, "field": field, "cidr": facts.data[field]} |
	some facts in city_facts
	some field in ["pod-cidr", "service-cidr"]
]

deny_cidr_overlap contains msg if {
	some i, a in networks
	some j, b in networks
	i < j
	overlaps(address_range(a.cidr), address_range(b.cidr))
	msg := sprintf("%s %s %s overlaps %s %s %s; every pod and service network in the fleet must be disjoint", [a.city, a.field, a.cidr, b.city, b.field, b.cidr])
}

# [first, last] address of an IPv4 CIDR as integers (portable: no net.* built-ins).
address_range(cidr) := [first, first + size - 1] if {
	parts := split(cidr, "/")
	octets := [to_number(octet) | some octet in split(parts[0], ".")]
	address := ((((octets[0] * 256) + octets[1]) * 256 + octets[2]) * 256) + octets[3]
	size := bits.lsh(1, 32 - to_number(parts[1]))
	first := address - (address % size)
}

overlaps(a, b) if {
	a[0] <= b[1]
	b[0] <= a[1]
}

deny_missing_topology contains msg if {
	count(city_facts) > 0
	count(topologies) == 0
	msg := "the fleet renders cities but no fleet-topology ConfigMap records their rollout order"
}

deny_rollout_order contains result if {
	some topology in topologies
	order := split(topology.object.data["rollout-order"], ",")
	some city in cities
	times := count([name | some name in order; name == city])
	times != 1
	result := at(topology, sprintf("city %s appears %v times in the rollout order %s; every city rolls out exactly once", [city, times, topology.object.data["rollout-order"]]))
}

deny_rollout_order contains result if {
	some topology in topologies
	some name in split(topology.object.data["rollout-order"], ",")
	not name in cities
	result := at(topology, sprintf("the rollout order names %s, which has no city-facts; render the city or remove it", [name]))
}

application_paths contains path if {
	some entry in entries
	entry.object.kind == "Application"
	path := trim_suffix(entry.object.spec.source.path, "/")
}

application_paths contains path if {
	some entry in entries
	entry.object.kind == "Application"
	some source in entry.object.spec.sources
	path := trim_suffix(source.path, "/")
}

deny_missing_application contains result if {
	some facts in city_facts
	not city_application(facts.data.city)
	result := {
		"msg": sprintf("city %s has no Argo CD Application syncing dist/%s", [facts.data.city, facts.data.city]),
		"_loc": {"file": facts.path, "line": 1},
	}
}

city_application(city) if {
	some path in application_paths
	path == sprintf("dist/%s", [city])
}

city_application(city) if {
	some path in application_paths
	endswith(path, sprintf("/dist/%s", [city]))
}
