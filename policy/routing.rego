# Routing: a canary takes a slice of traffic, never most of it.
package main

import rego.v1

max_canary_pct := 50

# Gateway API: weights are relative within one rule's backends (default 1).
deny_canary_weight contains msg if {
	input.kind == "HTTPRoute"
	some rule in input.spec.rules
	share := canary_share(rule.backendRefs, 1)
	not valid_share(share)
	msg := sprintf("%s: canary backends take %v%% of a rule's traffic; keep it within 0-%v%%", [object_id, share, max_canary_pct])
}

# Istio: weights are percentages over one http route's destinations.
deny_canary_weight contains msg if {
	input.kind == "VirtualService"
	some http in input.spec.http
	not routes_to_itself(http)
	share := canary_share([destination(route) | some route in http.route], 100)
	not valid_share(share)
	msg := sprintf("%s: canary backends take %v%% of a route's traffic; keep it within 0-%v%%", [object_id, share, max_canary_pct])
}

# A route of the service's own host to itself, no subset (a request timeout, as the failover renders for a
# canary Service too): the split happened before, where the caller chose the canary's host.
routes_to_itself(http) if {
	own := [route | some route in http.route; object.get(route.destination, "subset", "") == ""; route.destination.host in input.spec.hosts]
	count(own) == count(http.route)
}

# A destination as a weighted backend named after its subset (or host), so both kinds share one rule.
destination(route) := {"name": object.get(route.destination, "subset", route.destination.host), "weight": object.get(route, "weight", 100)}

# Canary backends are named after the canary (`<service>-canary`, subset `canary`).
canary_share(backends, default_weight) := share if {
	total := sum([object.get(backend, "weight", default_weight) | some backend in backends])
	total > 0
	canary := sum([object.get(backend, "weight", default_weight) | some backend in backends; contains(backend.name, "canary")])
	share := (canary * 100) / total
}

valid_share(share) if {
	share >= 0
	share <= max_canary_pct
}

# ingress-nginx: a canary Ingress takes canary-weight out of canary-weight-total (default 100).
deny_canary_weight contains msg if {
	input.kind == "Ingress"
	annotations := input.metadata.annotations
	annotations["nginx.ingress.kubernetes.io/canary"] == "true"
	weight := to_number(object.get(annotations, "nginx.ingress.kubernetes.io/canary-weight", "0"))
	total := to_number(object.get(annotations, "nginx.ingress.kubernetes.io/canary-weight-total", "100"))
	share := (weight * 100) / total
	not valid_share(share)
	msg := sprintf("%s: the canary Ingress takes %v%% of the traffic; keep it within 0-%v%%", [object_id, share, max_canary_pct])
}
