"""The promotion hook reloads the members until each reports the tags its patroni.yml holds, and fails the Job
when one never does; the drill runs it for real (tests/data/test_patroni_cluster.py)."""

from __future__ import annotations

import json

import pytest

from nusantara_fleet.model.data.scripts import promote

EXPECTED = {"postgres-bandung-0": {"failover_priority": 3}, "postgres-jakarta-0": {"failover_priority": 2}}


def _fake(monkeypatch: pytest.MonkeyPatch, updated_after: int | None) -> list[tuple[str, ...]]:
    """patronictl whose members report the new priorities after `updated_after` reloads (None: never)."""
    calls: list[tuple[str, ...]] = []

    def patronictl(*args: str) -> str:
        calls.append(args)
        reloads = sum(1 for call in calls if call[0] == "reload")
        fresh = updated_after is not None and reloads >= updated_after
        priorities = {"postgres-bandung-0": 3 if fresh else 2, "postgres-jakarta-0": 2 if fresh else 3}
        members = [{"Member": name, "Tags": {"failover_priority": p}} for name, p in priorities.items()]
        # A member down is not listed; it reads its file when it starts.
        return json.dumps(members) if args[0] == "list" else ""

    monkeypatch.setattr(promote, "patronictl", patronictl)
    monkeypatch.setattr(promote, "RELOAD_PAUSE_SECONDS", 0)
    monkeypatch.setenv("EXPECTED_TAGS", json.dumps({**EXPECTED, "postgres-jakarta-1": {"failover_priority": 2}}))
    monkeypatch.setenv("CLUSTER", "postgres")
    return calls


def test_reloads_until_every_running_member_has_its_new_tags(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fake(monkeypatch, updated_after=2)
    assert promote.reload_tags() == 0
    assert [call for call in calls if call[0] == "reload"] == [("reload", "postgres", "--force")] * 2


def test_fails_the_job_when_a_member_keeps_its_old_tags(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = _fake(monkeypatch, updated_after=None)
    assert promote.reload_tags() == 1
    assert sum(1 for call in calls if call[0] == "reload") == promote.RELOAD_ATTEMPTS
    assert "postgres-bandung-0, postgres-jakarta-0 still run with their old tags" in capsys.readouterr().err


def test_nothing_to_reload_when_the_tags_are_current_or_not_expected(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fake(monkeypatch, updated_after=0)
    assert promote.reload_tags() == 0
    assert not [call for call in calls if call[0] == "reload"]
    monkeypatch.delenv("EXPECTED_TAGS")
    assert promote.reload_tags() == 0
