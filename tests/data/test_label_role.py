"""The role callback maps Patroni's roles (3.x and 4.x spellings) to the label the Services select."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nusantara_fleet.model.data.patroni import FOLLOWER_LABEL_VALUE, LEADER_LABEL_VALUE, STANDBY_LEADER_LABEL_VALUE
from nusantara_fleet.model.data.scripts import label_role


@pytest.mark.parametrize(
    ("action", "role", "label"),
    [
        ("on_role_change", "primary", LEADER_LABEL_VALUE),
        ("on_role_change", "master", LEADER_LABEL_VALUE),
        ("on_start", "replica", FOLLOWER_LABEL_VALUE),
        ("on_role_change", "standby_leader", STANDBY_LEADER_LABEL_VALUE),
        ("on_role_change", "demoted", FOLLOWER_LABEL_VALUE),
        ("on_stop", "primary", None),
    ],
)
def test_label_value(action: str, role: str, label: str | None) -> None:
    assert label_role.label_value(action, role) == label


def test_outside_a_pod_it_says_why_and_fails() -> None:
    result = subprocess.run(
        [sys.executable, label_role.__file__, "on_start", "replica", "postgres"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 1
    assert "KUBERNETES_SERVICE_HOST, POD_ROLE_LABEL and PATRONI_NAME must be set" in result.stderr
