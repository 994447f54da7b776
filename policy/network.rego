# Network: nothing is reachable from anywhere.
package main

import rego.v1

anywhere := {"0.0.0.0/0", "::/0"}

deny_open_ingress contains msg if {
	input.kind == "NetworkPolicy"
	some rule in input.spec.ingress
	some peer in rule.from
	peer.ipBlock.cidr in anywhere
	msg := sprintf("%s: admits ingress from %s; name the peers (namespace, pod or a narrow CIDR)", [object_id, peer.ipBlock.cidr])
}
