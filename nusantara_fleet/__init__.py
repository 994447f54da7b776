"""Nusantara Fleet: renders the three-city GitOps manifests from `envs/`."""

from nusantara_fleet.runtime import use_project_node

# cdk8s starts its Node runtime when first imported, so the choice of Node must come first.
use_project_node()
