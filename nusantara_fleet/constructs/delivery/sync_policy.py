"""The `syncPolicy` every Application of the fleet shares; only the gated city goes without `automated`."""

from __future__ import annotations

from typing import Any

from nusantara_fleet.model.delivery import RETRY


def sync_policy(*, automated: bool, options: tuple[str, ...]) -> dict[str, Any]:
    policy: dict[str, Any] = {"retry": RETRY, "syncOptions": list(options)}
    if automated:
        policy["automated"] = {"prune": True, "selfHeal": True}
    return policy
