# Every service is watched where it runs: each Deployment carrying the service label has, in the same city,
# a PrometheusRule (its SLO rules) and a ServiceMonitor (its scrape) carrying the same service label.
package fleet

import rego.v1

service_label := "fleet.nusantaramart.co.id/service"

watch_kinds := ["PrometheusRule", "ServiceMonitor"]

# The service a Deployment runs, by its own label or its pods' (the apps put it on the pod template).
deployment_services(entry) := {service |
	template := object.get(object.get(entry.object, "spec", {}), "template", {})
	some labels in [
		object.get(object.get(entry.object, "metadata", {}), "labels", {}),
		object.get(object.get(template, "metadata", {}), "labels", {}),
	]
	service := object.get(labels, service_label, "")
	service != ""
}

# `<city>/<kind>/<service>` of every PrometheusRule and ServiceMonitor carrying the service label.
watched := {sprintf("%s/%s/%s", [entry.dir, entry.object.kind, service]) |
	some entry in entries
	entry.object.kind in watch_kinds
	service := object.get(object.get(entry.object.metadata, "labels", {}), service_label, "")
	service != ""
}

deny_unwatched_service contains result if {
	some entry in entries
	entry.object.kind == "Deployment"
	some service in deployment_services(entry)
	some kind in watch_kinds
	not sprintf("%s/%s/%s", [entry.dir, kind, service]) in watched
	result := at(entry, sprintf("runs service %s, and no %s in %s carries %s: %s; render its SLO rules and its scrape beside it", [service, kind, entry.dir, service_label, service]))
}
