"""What `envs/` may say about the charts every city needs before the fleet's own objects: secrets, storage, DNS."""

from __future__ import annotations

from pydantic import Field

from nusantara_fleet.model.spec.common import CHART_VERSION, DNS_LABEL, HOSTNAME, Spec


class PrerequisitesSpec(Spec):
    """Pinned charts the fleet installs into every city through Argo CD, before any data layer."""

    external_secrets_chart_version: str = Field(
        default="1.3.2",
        pattern=CHART_VERSION,
        description="external-secrets/external-secrets chart version, exact. Default: a 1.x release serving "
        "the `external-secrets.io/v1` API the fleet's ExternalSecrets use.",
    )
    topolvm_chart_version: str = Field(
        default="15.1.0",
        pattern=CHART_VERSION,
        description="topolvm/topolvm chart version, exact. Default: the release line with storage capacity "
        "tracking, so the scheduler places database pods where their volume group has room.",
    )
    topolvm_volume_group: str = Field(
        default="nvme",
        pattern=DNS_LABEL,
        description="LVM volume group on every database node that TopoLVM carves the `ssd-retain` volumes "
        "from. Default: the name the node image gives the local NVMe disks' group.",
    )
    external_dns_chart_version: str = Field(
        default="1.21.1",
        pattern=CHART_VERSION,
        description="kubernetes-sigs/external-dns chart version, exact. Default: a release with the "
        "`provider.name` values layout.",
    )
    dns_server: str = Field(
        default="ns1.nusantaramart.internal",
        pattern=HOSTNAME,
        description="The authoritative server of the data layer's zone, which accepts RFC 2136 updates from "
        "every city's external-dns. Default: the fleet's internal primary name server.",
    )
    dns_tsig_key: str = Field(
        default="external-dns",
        pattern=DNS_LABEL,
        description="Name of the TSIG key external-dns signs its updates with (its secret is a cluster "
        "prerequisite). Default: one key named after its user.",
    )
