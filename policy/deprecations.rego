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

# A tag can be moved to other content; a digest cannot. A warning while envs/ records tags only; it
# becomes a failure (deny_) once the release pipeline writes every image's digest into envs/. Images
# without a usable tag are deny_image_tag's.
warn_image_without_digest contains msg if {
	some container in containers
	not contains(container.image, "@")
	image_tag(container.image) != "latest"
	msg := sprintf("%s: container %s image %s is pinned by tag only; record its digest in envs/ (`digest`), a tag can be moved to other content", [object_id, container.name, container.image])
}
