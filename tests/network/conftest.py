"""The workload renders (edge modes with canaries) serve the network tests too."""

from tests.workloads.conftest import gateway_canary, ingress_canary

__all__ = ["gateway_canary", "ingress_canary"]
