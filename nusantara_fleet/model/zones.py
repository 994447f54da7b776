"""The DNS zones global DNS answers in: for each public host, the sub-zone delegated to k8gb.

k8gb only serves names inside a zone delegated to it, and it writes the delegation (NS and glue
records) into that zone's parent. Delegating the public host itself would put k8gb's own
`localtargets-<host>` names outside the zone, so each parent zone delegates a sub-zone instead
(`<label>.<parent>`), the host answers in it as `<first label>.<label>.<parent>`, and the public name
is a static CNAME to that name in the parent zone.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DelegatedZone:
    """One public host's delegated sub-zone and its name inside it."""

    host: str  # the public name users resolve, e.g. `api.nusantaramart.co.id`
    parent_zone: str  # the zone that holds the host today, e.g. `nusantaramart.co.id`
    load_balanced_zone: str  # the sub-zone k8gb answers for, e.g. `gslb.nusantaramart.co.id`
    gslb_host: str  # the host's name in that sub-zone, e.g. `api.gslb.nusantaramart.co.id`


def delegated_zone(host: str, label: str) -> DelegatedZone:
    """The parent zone is the host minus its first label; the sub-zone `<label>.<parent>` sits under it."""
    first, parent = host.split(".", 1)
    zone = f"{label}.{parent}"
    return DelegatedZone(host=host, parent_zone=parent, load_balanced_zone=zone, gslb_host=f"{first}.{zone}")
