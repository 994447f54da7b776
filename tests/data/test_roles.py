"""One database layout and a role per service: who owns which schema, what each role may do, the roles Job.

The script itself runs for real in the drill (tests/data/test_patroni_cluster.py: twice, then each service
connects with its rendered settings); here the layout, the script's text and the objects around it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nusantara_fleet.errors import ConfigError
from nusantara_fleet.model import load_fleet
from nusantara_fleet.model.data.roles import LEADER_CHECK, database_layout, ident, roles_sql
from tests.support import DIST, ENVS, city_docs, edit_yaml, variant_envs

FLEET = load_fleet(ENVS)
LAYOUT = FLEET.data.layout


def test_one_database_a_schema_per_service_writers_own_theirs() -> None:
    assert LAYOUT.database == "shop" and LAYOUT.owner == "shop"
    assert LAYOUT.schemas == (
        ("catalog", "shop"),
        ("inventory", "shop"),
        ("order", "app_order"),
        ("payment", "app_payment"),
        ("report", "shop"),
    )
    table = {(login.service, login.role, login.owns, login.reads) for login in LAYOUT.logins}
    assert table == {
        ("order", "app_order", True, ()),
        ("payment", "app_payment", True, ()),
        ("inventory", "app_inventory", False, ("inventory",)),
        ("catalog", "app_catalog", False, ("catalog",)),
        ("report", "app_report", False, ("report",)),
    }
    assert "gateway" not in {login.service for login in LAYOUT.logins}, "the gateway uses no database"


def test_a_reporting_reader_reads_the_report_schema_besides_its_own(tmp_path: Path) -> None:
    def rename(fleet: dict[str, Any]) -> None:
        next(s for s in fleet["services"] if s["name"] == "report")["name"] = "sales"

    envs = variant_envs(tmp_path, lambda envs: edit_yaml(envs / "fleet.yaml", rename))
    sales = database_layout(load_fleet(envs).spec).login("sales")
    assert (sales.schema, sales.owns, sales.reads) == ("sales", False, ("sales", "report"))


def test_the_script_creates_every_role_once_grants_least_privilege_and_holds_no_password() -> None:
    sql = roles_sql(LAYOUT)
    for login in LAYOUT.logins:
        role = login.role
        assert f"IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN CREATE ROLE \"{role}\"" in sql
        assert f"\\getenv {role}_password {login.password_env}" in sql
        assert f"PASSWORD :'{role}_password';" in sql
        assert f'SET search_path = "{login.schema}";' in sql
        read_only = f'ALTER ROLE "{role}" IN DATABASE "shop" SET default_transaction_read_only = on;'
        assert (read_only in sql) is login.read_only
    assert 'CREATE SCHEMA IF NOT EXISTS "order" AUTHORIZATION "app_order";' in sql
    assert 'GRANT SELECT ON ALL TABLES IN SCHEMA "catalog" TO "app_catalog";' in sql
    assert 'GRANT SELECT ON ALL TABLES IN SCHEMA "order" TO "shop";' in sql, "the recap reads the order tables"
    assert 'ALTER DEFAULT PRIVILEGES FOR ROLE "app_order" IN SCHEMA "order" GRANT SELECT ON TABLES TO "shop";' in sql
    assert "INSERT" not in sql and "GRANT ALL" not in sql, "no write grant: writers own their schema, nothing else"
    assert 'REVOKE ALL ON DATABASE "shop" FROM PUBLIC;' in sql
    assert sql.count(LEADER_CHECK) == 2, "checked on both connections, before anything changes"
    assert "test-" not in sql and "secret" not in sql.lower()


def test_identifiers_are_quoted_so_a_keyword_or_a_quote_is_just_a_name() -> None:
    assert ident("order") == '"order"'
    assert ident('we"ird') == '"we""ird"'


def test_the_recap_reads_the_order_schema_and_writes_the_report_schema() -> None:
    docs = city_docs(DIST, "jakarta")
    command = docs[("CronJob", "postgres-recap")]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert "--set=source_schema=order" in command["command"]
    assert "--set=report_schema=report" in command["command"]
    env = {var["name"]: var.get("value") for var in command["env"]}
    assert (env["PGDATABASE"], env["PGUSER"]) == ("shop", "shop")
    recap = docs[("ConfigMap", "postgres-recap")]["data"]["recap.sql"]
    assert 'FROM :"source_schema".orders o' in recap and 'JOIN :"source_schema".order_items' in recap
    assert "report." not in recap, "the schema comes from the model only"


def test_a_recap_without_a_writing_order_service_is_refused(tmp_path: Path) -> None:
    def read_only(fleet: dict[str, Any]) -> None:
        order = next(s for s in fleet["services"] if s["name"] == "order")
        order["routes"] = [route for route in order["routes"] if route["access"] != "write"]

    envs = variant_envs(tmp_path, lambda envs: edit_yaml(envs / "fleet.yaml", read_only))
    message = (
        r"database.recap.source: the recap totals the orders of service `order`, which must be a service that "
        r"uses the database and has a `write` route \(writers: payment\)"
    )
    with pytest.raises(ConfigError, match=message):
        load_fleet(envs)


def test_the_roles_job_is_a_sync_hook_of_the_primary_city_only() -> None:
    for city in ("bandung", "surabaya"):
        assert ("Job", "postgres-roles") not in city_docs(DIST, city)
    docs = city_docs(DIST, "jakarta")
    job = docs[("Job", "postgres-roles")]
    annotations = job["metadata"]["annotations"]
    assert annotations["argocd.argoproj.io/hook"] == "Sync"
    assert annotations["argocd.argoproj.io/hook-delete-policy"] == "BeforeHookCreation"
    assert annotations["argocd.argoproj.io/sync-wave"] == "-1", "before the apps' wave"
    env = {var["name"]: var for var in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["PGTARGETSESSIONATTRS"]["value"] == "read-write"
    assert env["PGHOST"]["value"].split(",") == [
        # By name, not primary first: a failover commit leaves the Job as it is; `read-write` finds the leader.
        f"postgres-write.{city}.db.nusantaramart.internal"
        for city in ("bandung", "jakarta", "surabaya")
    ]
    for login in LAYOUT.logins:
        ref = env[login.password_env]["valueFrom"]["secretKeyRef"]
        assert ref == {"key": "password", "name": login.job_secret}
        secret = docs[("ExternalSecret", login.job_secret)]
        key = f"nusantaramart/database/services/{login.service}"
        assert secret["spec"]["data"] == [{"remoteRef": {"key": key, "property": "password"}, "secretKey": "password"}]
    assert docs[("ConfigMap", "postgres-roles")]["data"]["roles.sql"] == roles_sql(LAYOUT)
