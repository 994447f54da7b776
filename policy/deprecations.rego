# Warnings: things that still work but must be planned away.
package main

import rego.v1

warn_ingress_nginx contains msg if {
	input.kind == "Ingress"
	nginx_ingress
	msg := sprintf("%s: ingress-nginx is end-of-life (retired March 2026, no more security fixes); move the route to a Gateway API HTTPRoute", [object_id])
}

nginx_ingress if input.spec.ingressClassName == "nginx"

nginx_ingress if input.metadata.annotations["kubernetes.io/ingress.class"] == "nginx"
