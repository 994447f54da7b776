"""Argo CD's own ConfigMaps are shared with its install: the root Application never prunes or deletes them."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from nusantara_fleet import naming
from tests.support import collect_variant, fleet_docs, set_rollout

STRATEGIES = {"app-of-apps": [naming.ARGOCD_CM], "application-set": [naming.ARGOCD_CM, naming.ARGOCD_CMD_PARAMS]}


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_argo_cd_config_maps_are_never_pruned_nor_deleted(strategy: str, tmp_path: Path) -> None:
    docs = fleet_docs(collect_variant(tmp_path, partial(set_rollout, strategy=strategy)))
    config_maps = sorted(name for kind, name in docs if kind == "ConfigMap" and name.startswith("argocd-"))
    assert config_maps == sorted(STRATEGIES[strategy])
    for name in config_maps:
        annotations = docs[("ConfigMap", name)]["metadata"]["annotations"]
        assert annotations[naming.SYNC_OPTIONS] == "Prune=false,Delete=false", name
