"""`fleet explain` names the construct, the plan and the envs/ fields behind every file of dist/."""

from __future__ import annotations

import pytest

from nusantara_fleet.cli import main
from nusantara_fleet.errors import ConfigError
from nusantara_fleet.explain import explain, parse_target
from nusantara_fleet.model import load_fleet
from tests.support import DIST, ENVS


@pytest.fixture(scope="module")
def recorded() -> object:
    return load_fleet(ENVS, record=True)


def test_every_rendered_file_is_explained(recorded: object) -> None:
    from nusantara_fleet.model import Fleet

    assert isinstance(recorded, Fleet)
    files = sorted(DIST.rglob("*.k8s.yaml"))
    assert len(files) > 200
    unexplained = []
    for path in files:
        explanation = explain(recorded, parse_target(str(path.relative_to(DIST.parent))))
        if not explanation.construct.startswith("nusantara_fleet.constructs."):
            unexplained.append(str(path))
    assert unexplained == []


def test_the_etcd_member_is_traced_to_the_fields_that_decide_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--envs", str(ENVS), "dist/jakarta/StatefulSet.etcd.k8s.yaml"]) == 0
    out = capsys.readouterr().out
    assert "  construct: nusantara_fleet.constructs.data.statefulset.StatefulSet\n" in out
    assert "  plan:      nusantara_fleet.model.data.plans.StatefulSetPlan\n" in out
    # defaults with their reason; what a failover changes does not decide etcd
    assert "    database.etcd_tag = 'v3.5.21'  (Tag of `etcd_image`." in out
    assert "database.failover.inter_city_rtt_ms = 20" in out
    # what etcd does not run on is not listed
    assert "database.tag" not in out and "services[" not in out and "primary =" not in out


def test_a_service_deployment_is_traced_to_its_own_service_entry(recorded: object) -> None:
    from nusantara_fleet.model import Fleet

    assert isinstance(recorded, Fleet)
    explanation = explain(recorded, parse_target("bandung/Deployment/order"))
    paths = {field.path for field in explanation.fields}
    assert {"services[1].tag", "services[1].port", "services[1].rps_per_pod"} <= paths
    (tag,) = [field for field in explanation.fields if field.path == "services[1].tag"]
    line = 1 + (ENVS / "fleet.yaml").read_text().splitlines().index('    tag: "2.4.0"')
    assert (tag.written_at, tag.value) == (f"envs/fleet.yaml:{line}", "'2.4.0'")
    assert not any(path.startswith("services[2].") for path in paths)


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        (
            "dist/jakarta/etcd.yaml",
            "fleet explain: PATH: 'dist/jakarta/etcd.yaml' is neither a rendered file such as "
            "dist/jakarta/StatefulSet.etcd.k8s.yaml nor CITY/KIND/NAME such as jakarta/StatefulSet/etcd",
        ),
        ("medan/StatefulSet/etcd", "fleet explain: PATH: no chart 'medan'; charts: bandung, surabaya, jakarta, fleet"),
        (
            "jakarta/StatefulSet/redis",
            "fleet explain: PATH: dist/jakarta/StatefulSet.redis.k8s.yaml is not rendered from this envs/ (a stale "
            "or hand-made file?); `fleet synth` rewrites dist/ from envs/",
        ),
    ],
    ids=["not-a-manifest", "unknown-chart", "not-rendered"],
)
def test_a_target_that_is_not_rendered_is_a_clear_error(recorded: object, argument: str, message: str) -> None:
    from nusantara_fleet.model import Fleet

    assert isinstance(recorded, Fleet)
    with pytest.raises(ConfigError) as caught:
        explain(recorded, parse_target(argument))
    assert [str(problem) for problem in caught.value.problems] == [message]
