# Locality failover: Istio ranks the cities' endpoints only when a DestinationRule has outlier detection
# (without it every city gets one priority and a caller spreads over all of them), and a city hands all of
# its traffic to the next one only when every local endpoint may be ejected.
package main

import rego.v1

# Istio's default when a DestinationRule leaves maxEjectionPercent out.
istio_default_max_ejection_pct := 10

deny_failover_outlier_detection contains msg if {
	some policy in locality_policies
	not policy.outlierDetection
	msg := sprintf("%s: localityLbSetting without outlierDetection: Istio then gives every city's endpoints one priority and never fails over in order; add outlierDetection with maxEjectionPercent: 100", [object_id])
}

deny_failover_outlier_detection contains msg if {
	some policy in locality_policies
	percent := object.get(policy.outlierDetection, "maxEjectionPercent", istio_default_max_ejection_pct)
	percent < 100
	msg := sprintf("%s: outlierDetection.maxEjectionPercent is %v: when every local endpoint fails, the rest stay in use and the city never fails over completely; set it to 100", [object_id, percent])
}

# The DestinationRule's own traffic policy and its subsets' policies, where they turn locality load balancing on.
locality_policies contains policy if {
	input.kind == "DestinationRule"
	some policy in array.concat([object.get(input.spec, "trafficPolicy", {})], [object.get(subset, "trafficPolicy", {}) | some subset in object.get(input.spec, "subsets", [])])
	setting := policy.loadBalancer.localityLbSetting
	object.get(setting, "enabled", true) != false
}
