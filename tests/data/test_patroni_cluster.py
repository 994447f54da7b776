"""The rendered data layer, run for real: three etcd members and one Patroni + PostgreSQL 15 member per
city on loopback (Debian's etcd-server 3.4, patroni 3.0.2, postgresql-15), configured as `fleet synth`
renders dist/ from envs/.

The drill runs in order on one cluster (about a minute and a half): the REST API's TLS and
authentication, replication lag (a), the promotion Job's switchover, etcd quorum lost while every
PostgreSQL member is up (c, failsafe), Jakarta lost (b), two cities lost (c), point-in-time restore from
the archived WAL (d). Every wait is bounded; every process is killed on the way out. That the REST API
is closed to the apps' pods is the network policies' part, proven on the rendered policies in
tests/network/test_data_network_policies.py (loopback has no pod network to prove it on).

Production runs a newer image (Patroni 4.0, etcd 3.5, WAL-G, PostgreSQL 15 as here). What differs, and
why the drill still proves the production configuration:

* `failover_priority` (Patroni 4: the preferred city wins among equally up-to-date replicas) is not
  known to 3.0.2, so the cities after the first successor get `nofailover` here (`VERSION_KEYS`). The
  election, the lease and the promotion are the same code paths; only the tie-break is emulated.
* Patroni 4 refuses `ttl` < 20; the drill leases for 8 s (`TEST_TIMING`, derived by the production
  formula) and asserts the measured failover within that formula's bound, while test_timing.py checks
  the production values (ttl 30) meet the RTO on paper with the same formula.
* Patroni 3.0.2 names the leader `master`, 4 `primary`: the role callback maps both (test_label_role.py).
  Without a Kubernetes API the callback runs and reports that it cannot label, which Patroni ignores.
* WAL-G talks to S3; here `archive_command`, `restore_command` and the base-backup fetch are `cp` from a
  directory (`BACKUP_TOOL_KEYS`). Recovery itself (`recovery_target_time`, timeline, promote) is
  PostgreSQL's and Patroni's, unchanged.
* etcd 3.4.23 (Debian) and 3.5 take the same flags and serve the same v3 API Patroni's `etcd3` uses.
* Patroni 4 reads patronictl's REST API credentials from PATRONI_CTL_USERNAME/PASSWORD, which 3.0.2
  does not know; 3.0.2's patronictl falls back to the REST API's own, so the Job's credentials are
  passed under those names (`JOB_CREDENTIALS`): the same basic auth on the same request.
* One loopback certificate stands in for the five production ones (each would carry the same names
  here); every path to them is substituted, nothing else.
"""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

from nusantara_fleet import cli, naming
from nusantara_fleet.model import load_fleet
from tests.data.local_cluster import (
    ALLOWED,
    DYNAMIC_TIMING_KEYS,
    ETCD_SUBSTITUTED,
    JOB_CREDENTIALS,
    JOB_PATHS,
    PASSWORDS,
    PG_BIN,
    RESTAPI_USER,
    TEST_TIMING,
    Certs,
    Member,
    changed_paths,
    chown_tree,
    client_context,
    etcd_command,
    free_ports,
    http_json,
    job_env,
    kill,
    kill_postmaster,
    load_yaml,
    make_certs,
    patroni_env,
    psql,
    request,
    spawn,
    substitute,
    tail,
    wait_for,
)
from tests.data.service_clients import ROLE_PASSWORDS, SUBSTITUTED, Client, job_client, run, service_client
from tests.support import ENVS, edit_yaml, render_tree, render_variant, set_primary

CITIES = ("jakarta", "bandung", "surabaya")
REQUIRED = [Path("/usr/bin/etcd"), Path("/usr/bin/patroni"), PG_BIN / "postgres"]


class Drill:
    """The running cluster plus what the steps hand to each other."""

    def __init__(self, root: Path, certs: Certs, members: dict[str, Member], dist: Path) -> None:
        self.root = root
        self.certs = certs
        self.members = members
        self.dist = dist
        self.tls = client_context(certs)
        self.fleet = load_fleet(ENVS)
        self.callback = root / "label_role.py"
        self.rendered: dict[str, dict[str, Any]] = {}
        self.restore_time = ""
        self.base_backup = root / "base"
        self.extra: list[Member] = []  # members outside the three cities (the restore)
        self.acked: list[tuple[int, float]] = []  # (id, wall time the commit was acknowledged)
        self.closed = free_ports(1)[0]  # where a Service with no endpoint "is": nothing listens there

    def write(self, member: Member, batch: str, timeout: float = 5) -> int:
        row = int(psql(member, f"INSERT INTO drill (batch) VALUES ('{batch}') RETURNING id", timeout=timeout))
        self.acked.append((row, time.time()))
        return row

    def log(self, name: str) -> Path:
        return self.root / f"{name}.log"

    def start_etcd(self, member: Member) -> None:
        statefulset = load_yaml(self.dist / member.city / "StatefulSet.etcd.k8s.yaml")
        command = statefulset["spec"]["template"]["spec"]["containers"][0]["command"]
        # etcd reads its first-start membership from the environment (the etcd-cluster ConfigMap): as flags here.
        cluster = load_yaml(self.dist / member.city / "ConfigMap.etcd-cluster.k8s.yaml")["data"]
        command = [
            *command,
            f"--initial-cluster={cluster['ETCD_INITIAL_CLUSTER']}",
            f"--initial-cluster-state={cluster['ETCD_INITIAL_CLUSTER_STATE']}",
        ]
        args = etcd_command(command[1:], member, self.members, self.certs)
        changed = {a.partition("=")[0] for a in args} ^ {a.partition("=")[0] for a in command[1:]}
        assert not changed, f"the etcd flags differ from the render: {changed}"
        differing = {a.partition("=")[0] for a in set(args) - set(command[1:])}
        assert differing <= ETCD_SUBSTITUTED, differing - ETCD_SUBSTITUTED
        kill(member.etcd)  # a (re)start never leaves an earlier process behind
        member.etcd = spawn(["/usr/bin/etcd", *args], self.log(f"etcd-{member.city}"))

    def etcd_healthy(self, member: Member) -> bool:
        return bool(http_json(f"http://127.0.0.1:{member.etcd_metrics}/health").get("health") == "true")

    def config_for(self, member: Member, rendered: dict[str, Any], **extra: Any) -> Path:
        # Patroni 3.0.2 translation: only the most preferred city after the primary may take over.
        order = self.fleet.data.preference
        nofailover = member.city in order and order.index(member.city) > 1
        config = substitute(
            rendered,
            member=member,
            members=self.members,
            certs=self.certs,
            callback=self.callback,
            nofailover=nofailover,
            **extra,
        )
        surplus = changed_paths(rendered, config) - ALLOWED
        assert not surplus, f"{member.city}: the test config differs from the render beyond the allowed keys: {surplus}"
        member.config = config
        path = member.root / "patroni.yml"
        path.write_text(yaml.safe_dump(config))
        chown_tree(member.root)
        return path

    def sync_configs(self, dist: Path) -> None:
        """Every member's patroni.yml as `dist` renders it, as the kubelet refreshes the mounted ConfigMap after
        a sync; the running members read it on their next reload."""
        for member in self.members.values():
            config_map = load_yaml(dist / member.city / "ConfigMap.patroni.k8s.yaml")
            self.config_for(member, yaml.safe_load(config_map["data"]["postgres.yml"]))

    def start_patroni(self, member: Member, config: Path, statefulset: dict[str, Any]) -> None:
        member.patroni = spawn(
            ["/usr/bin/patroni", str(config)], self.log(f"patroni-{member.city}"), env=patroni_env(statefulset, member)
        )

    def streaming(self, city: str) -> bool:
        sql = (
            "SELECT count(*) FROM pg_stat_replication "
            f"WHERE application_name = 'postgres-{city}-0' AND state = 'streaming'"
        )
        return psql(self.members["jakarta"], sql) == "1"

    def has_row(self, member: Member, row: int) -> bool:
        return psql(member, f"SELECT 1 FROM drill WHERE id = {row}") == "1"

    def patroni(self, member: Member) -> dict[str, Any]:
        """The member's GET /patroni, over TLS with its certificate and name checked."""
        status: dict[str, Any] = http_json(f"{member.api}/patroni", self.tls)
        return status

    def role(self, member: Member) -> str:
        return str(self.patroni(member).get("role", ""))

    def is_leader(self, member: Member) -> bool:
        return self.role(member) in ("master", "primary") and psql(member, "SELECT pg_is_in_recovery()") == "f"

    def stop_city(self, member: Member) -> None:
        kill(member.patroni)
        kill_postmaster(member)
        kill(member.etcd)

    def shutdown(self) -> None:
        for member in self.members.values():
            kill(member.patroni)
            kill_postmaster(member)
            kill(member.etcd)
        for member in self.extra:
            # Patroni runs the postmaster in a session of its own: it outlives a killed Patroni.
            kill(member.patroni)
            kill_postmaster(member)

    def diagnostics(self) -> str:
        return "\n".join(f"--- {log.name}\n{tail(log)}" for log in sorted(self.root.glob("*.log")))


@pytest.fixture(scope="module")
def drill() -> Iterator[Drill]:
    missing = [str(path) for path in REQUIRED if not path.exists()]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: `make test` installs postgresql-15, patroni and etcd-server")
    root = Path(tempfile.mkdtemp(prefix="fleet-drill-"))
    root.chmod(0o755)
    ports = iter(free_ports(5 * len(CITIES)))
    members = {
        city: Member(city, root / city, next(ports), next(ports), next(ports), next(ports), next(ports))
        for city in CITIES
    }
    for member in members.values():
        member.root.mkdir()
        member.archive.mkdir()
    drill = Drill(root, make_certs(root / "tls"), members, render_tree(root / "render"))
    chown_tree(root)
    try:
        for member in members.values():
            drill.start_etcd(member)
        for member in members.values():
            wait_for(f"etcd {member.city} healthy", partial(drill.etcd_healthy, member), 20)
        jakarta_config = load_yaml(drill.dist / "jakarta" / "ConfigMap.patroni.k8s.yaml")["data"]
        drill.callback.write_text(jakarta_config["label_role.py"])
        drill.callback.chmod(0o755)
        for city in CITIES:  # the primary city first: only its config may bootstrap the cluster
            member = members[city]
            config_map = load_yaml(drill.dist / city / "ConfigMap.patroni.k8s.yaml")
            rendered = yaml.safe_load(config_map["data"]["postgres.yml"])
            drill.rendered[city] = rendered
            statefulset = load_yaml(drill.dist / city / f"StatefulSet.postgres-{city}.k8s.yaml")
            drill.start_patroni(member, drill.config_for(member, rendered), statefulset)
            if city == "jakarta":
                wait_for("jakarta to bootstrap and lead", lambda: drill.is_leader(members["jakarta"]), 60)
        for city in CITIES[1:]:
            wait_for(f"{city} streaming from jakarta", partial(drill.streaming, city), 60)
        prepare_restore(drill)
        yield drill
    except BaseException:
        print(drill.diagnostics())
        raise
    finally:
        drill.shutdown()
        shutil.rmtree(root, ignore_errors=True)


def prepare_restore(drill: Drill) -> None:
    """A base backup, then 20 rows, the restore point, 20 more rows, all WAL archived."""
    jakarta = drill.members["jakarta"]
    psql(
        jakarta,
        "CREATE TABLE drill (id bigserial PRIMARY KEY, batch text NOT NULL, "
        "at timestamptz NOT NULL DEFAULT clock_timestamp())",
    )
    subprocess.run(
        [
            str(PG_BIN / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(jakarta.pg_port),
            "-U",
            "replicator",
            "-D",
            str(drill.base_backup),
            "-X",
            "none",
            "-c",
            "fast",
        ],
        check=True,
        capture_output=True,
        timeout=60,
        env={**os.environ, "PGPASSWORD": PASSWORDS["replication"], "PGSSLMODE": "require"},
    )
    chown_tree(drill.base_backup)
    psql(jakarta, "INSERT INTO drill (batch) SELECT 'pitr-before' FROM generate_series(1, 20)")
    time.sleep(1)
    drill.restore_time = psql(
        jakarta, "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"
    )
    time.sleep(1)
    psql(jakarta, "INSERT INTO drill (batch) SELECT 'pitr-after' FROM generate_series(1, 20)")
    segment = psql(jakarta, "SELECT pg_walfile_name(pg_switch_wal())")
    wait_for(f"WAL {segment} archived", lambda: (jakarta.archive / segment).exists(), 30)


def test_rendered_config_is_what_runs(drill: Drill) -> None:
    """Only the bootstrap city carries `bootstrap`; the rest differ from the render only at allowed keys."""
    assert "bootstrap" in drill.rendered["jakarta"]
    assert "bootstrap" not in drill.rendered["bandung"] and "bootstrap" not in drill.rendered["surabaya"]
    for city, member in drill.members.items():
        assert changed_paths(drill.rendered[city], member.config) <= ALLOWED
        assert member.config["scope"] == drill.rendered[city]["scope"] == "postgres"


def test_the_rest_api_answers_over_tls_only(drill: Drill) -> None:
    """Every member's REST API serves the rendered certificate, checked by name; plain HTTP gets nothing."""
    for member in drill.members.values():
        assert drill.patroni(member)["state"] == "running", member.city
        assert member.config["restapi"]["certfile"] == str(drill.certs.cert)
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{member.api_port}/patroni", timeout=2)
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        urllib.request.urlopen(
            f"{drill.members['jakarta'].api}/patroni", timeout=2, context=ssl.create_default_context()
        )


def test_an_unsafe_rest_api_call_needs_a_client_certificate_and_the_password(drill: Drill) -> None:
    """POST /switchover without a client certificate is refused (403), with one but without the password or
    with a wrong one too (401); with both it is accepted. Scheduled an hour ahead and then cancelled, the
    accepted switchover leaves the leader where it is."""
    jakarta = drill.members["jakarta"]
    url = f"{jakarta.api}/switchover"
    switchover = {"leader": "postgres-jakarta-0", "scheduled_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
    identified = client_context(drill.certs, identify=True)
    password = (RESTAPI_USER, PASSWORDS["restapi"])
    assert request(url, "POST", switchover, context=drill.tls, auth=password) == (403, "client certificate required")
    assert request(url, "POST", switchover, context=identified) == (401, "no auth header received")
    assert request(url, "POST", switchover, context=identified, auth=(RESTAPI_USER, "guess")) == (
        401,
        "not authenticated",
    )
    assert request(url, "DELETE", None, context=identified) == (401, "no auth header received")
    assert request(url, "POST", switchover, context=identified, auth=password) == (202, "Switchover scheduled")
    assert request(url, "DELETE", None, context=identified, auth=password) == (200, "scheduled switchover deleted")
    assert drill.is_leader(jakarta)
    print("\nREST API: 403 without a client certificate, 401 without the password, 202 with both")


def test_a_rows_reach_every_replica_within_the_rpo(drill: Drill) -> None:
    jakarta = drill.members["jakarta"]
    rpo = drill.fleet.spec.targets.rpo_seconds
    lags: dict[str, float] = {}
    for round_ in range(5):
        row = drill.write(jakarta, f"lag-{round_}")
        written = time.monotonic()
        for city in CITIES[1:]:
            wait_for(
                f"row {row} on {city}",
                partial(drill.has_row, drill.members[city], row),
                rpo,
                interval=0.01,
            )
            lags[city] = max(lags.get(city, 0.0), time.monotonic() - written)
    print(
        "\nreplication lag (worst of 5 writes, write to visible on the replica): "
        + ", ".join(f"{city} {lag * 1000:.0f} ms" for city, lag in lags.items())
        + f"; RPO {rpo} s"
    )
    replay = psql(
        jakarta,
        "SELECT string_agg(application_name || ' ' || coalesce(replay_lag::text, 'idle'), ', ' "
        "ORDER BY application_name) FROM pg_stat_replication",
    )
    print(f"pg_stat_replication replay_lag on jakarta: {replay}")
    assert max(lags.values()) <= rpo


def _selects(drill: Drill, city: str) -> Any:
    """What each rendered host name selects right now, as the Services would by Patroni's role label: the
    write Service the leader only, the read (and, with no reporting member on loopback, the reporting)
    Service a replica only, `postgres-any` every running member; None where nothing is behind the name."""
    zone = drill.fleet.spec.database.cross_city_domain

    def role(member: Member) -> str:
        try:
            return "leader" if drill.is_leader(member) else ("replica" if drill.role(member) == "replica" else "")
        except Exception:  # a stopped member answers nothing
            return ""

    def selects(host: str) -> int | None:
        service, _, rest = host.partition(".")
        target = rest.partition(".")[0] if rest.endswith(zone) else city
        member = drill.members[target]
        wanted = {
            naming.WRITE_SERVICE: ("leader",),
            naming.READ_SERVICE: ("replica",),
            naming.REPORTING_SERVICE: ("replica",),
            naming.ANY_MEMBER_SERVICE: ("leader", "replica"),
        }[service]
        return member.pg_port if role(member) in wanted else None

    return selects


def _service(drill: Drill, city: str, service: str, access: str) -> Client:
    config = load_yaml(drill.dist / city / f"ConfigMap.{service}-config.k8s.yaml")["data"]
    deployment = load_yaml(drill.dist / city / f"Deployment.{service}.k8s.yaml")
    client = service_client(
        config, deployment, access=access, selects=_selects(drill, city), closed=drill.closed, ca=str(drill.certs.ca)
    )
    assert client.changed <= SUBSTITUTED, client.changed - SUBSTITUTED
    return client


def _answers(client: Client, query: str, expected: str) -> bool:
    return run(client, query) == expected


def _database_services(drill: Drill) -> list[tuple[str, bool]]:
    return [(service.name, service.writes) for service in drill.fleet.services if service.spec.database]


def _roles_job(drill: Drill) -> tuple[Client, Path, tuple[str, ...]]:
    job = load_yaml(drill.dist / "jakarta" / "Job.postgres-roles.k8s.yaml")
    script = drill.root / "roles.sql"
    script.write_text(load_yaml(drill.dist / "jakarta" / "ConfigMap.postgres-roles.k8s.yaml")["data"]["roles.sql"])
    client = job_client(
        job,
        selects=_selects(drill, "jakarta"),
        closed=drill.closed,
        ca=str(drill.certs.ca),
        superuser=PASSWORDS["superuser"],
    )
    secrets = {name for name, value in client.rendered.items() if value.startswith("secret:")}
    assert client.changed <= SUBSTITUTED | secrets, client.changed - SUBSTITUTED - secrets
    command = job["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[0] == "psql" and command[-1].startswith("--file=")
    return client, script, tuple(command[1:-1])


GRANTS = (
    "SELECT string_agg(r.rolname || ':' || r.rolcanlogin || ':' || coalesce(s.setconfig::text, ''), ' ' "
    "ORDER BY r.rolname, s.setconfig::text) || ' | ' || (SELECT string_agg(nspname || '=' || nspowner::regrole "
    "|| coalesce(nspacl::text, ''), ' ' ORDER BY nspname) FROM pg_namespace "
    "WHERE nspname NOT LIKE 'pg_%' AND nspname <> 'information_schema') "
    "|| ' | ' || (SELECT string_agg(defaclacl::text, ' ' ORDER BY defaclacl::text) FROM pg_default_acl) "
    "FROM pg_roles r LEFT JOIN pg_db_role_setting s ON s.setrole = r.oid "
    "WHERE r.rolname = 'shop' OR r.rolname LIKE 'app\\_%'"
)


def test_the_rendered_roles_script_creates_the_layout_and_a_second_run_changes_nothing(drill: Drill) -> None:
    """The roles Job's script, with the Job's own environment (addresses, CA and passwords substituted), run
    twice against the cluster: the database, a schema per service, a role per service; the same catalog after."""
    jakarta = drill.members["jakarta"]
    client, script, args = _roles_job(drill)
    run(client, str(script), file=True, args=args)
    first = psql(jakarta, GRANTS, database="shop")
    run(client, str(script), file=True, args=args)
    assert psql(jakarta, GRANTS, database="shop") == first
    layout = drill.fleet.data.layout
    schemas = psql(
        jakarta,
        "SELECT string_agg(nspname || '=' || nspowner::regrole, ' ' ORDER BY nspname) FROM pg_namespace "
        "WHERE nspname NOT LIKE 'pg_%' AND nspname NOT IN ('information_schema', 'public')",
        database="shop",
    )
    assert schemas.split() == [f"{schema}={owner}" for schema, owner in layout.schemas]
    # The reference data the read-only services serve, loaded by the schemas' owner.
    psql(
        jakarta,
        "SET ROLE shop; CREATE TABLE catalog.products (id int PRIMARY KEY, name text); "
        "INSERT INTO catalog.products VALUES (1, 'batik'); "
        "CREATE TABLE inventory.stock (item_id int PRIMARY KEY, quantity int); "
        "INSERT INTO inventory.stock VALUES (1, 5)",
        database="shop",
    )
    print(f"\nroles script: run twice, same roles, schemas and grants the second time ({schemas})")


def test_every_service_writes_and_reads_with_its_rendered_settings(drill: Drill) -> None:
    """Each writer, from each city, creates its table in its own schema and writes through DB_WRITE_HOSTS
    (to Jakarta's leader); every service in every city reads through DB_READ_HOSTS, served by its own city's
    replica in Bandung and Surabaya and, Jakarta having no replica on loopback, by Jakarta's leader next."""
    services = _database_services(drill)
    for name, writes in services:
        if not writes:
            continue
        for city in CITIES:
            client = _service(drill, city, name, "write")
            run(client, "CREATE TABLE IF NOT EXISTS service_check (city text PRIMARY KEY)")
            run(client, f"INSERT INTO service_check VALUES ('{city}')")
            assert run(client, "SELECT current_user || ' ' || current_schema() || ' ' || inet_server_port()") == (
                f"app_{name} {name} {drill.members['jakarta'].pg_port}"
            )
    reads = {"inventory": "SELECT quantity FROM stock", "catalog": "SELECT name FROM products"}
    served: dict[str, str] = {}
    for city in CITIES:
        for name, writes in services:
            if name == "report":
                continue  # the recap's view, read once the recap has run (below)
            client = _service(drill, city, name, "read")
            query = "SELECT count(*) FROM service_check" if writes else reads[name]
            expected = str(len(CITIES)) if writes else {"inventory": "5", "catalog": "batik"}[name]
            wait_for(f"{name} reading in {city}", partial(_answers, client, query, expected), 10)
            served[city] = run(client, "SELECT inet_server_port()")
    assert served == {city: str(drill.members[city].pg_port) for city in CITIES}
    print("\nevery service wrote through DB_WRITE_HOSTS and read through DB_READ_HOSTS in every city")


def test_a_read_only_role_cannot_write_and_a_writer_only_its_own_schema(drill: Drill) -> None:
    catalog = _service(drill, "jakarta", "catalog", "read")  # Jakarta's reads land on the leader
    assert run(catalog, "SELECT pg_is_in_recovery()") == "f"
    with pytest.raises(RuntimeError, match="read-only transaction"):
        run(catalog, "INSERT INTO products VALUES (2, 'songket')")
    with pytest.raises(RuntimeError, match="permission denied for table products"):
        run(catalog, "BEGIN READ WRITE; INSERT INTO products VALUES (2, 'songket'); COMMIT")
    with pytest.raises(RuntimeError, match="permission denied for schema catalog"):
        run(catalog, "BEGIN READ WRITE; CREATE TABLE catalog.mine (id int); COMMIT")
    payment = _service(drill, "bandung", "payment", "write")
    with pytest.raises(RuntimeError, match=r'permission denied for schema "?order"?'):
        run(payment, 'SELECT count(*) FROM "order".service_check')
    print(
        "\nread-only role: refused to write (read-only session, then no grant); a writer cannot read another's schema"
    )


def test_recap_refreshes_the_reporting_view_on_the_primary_and_replicas_serve_it(drill: Drill) -> None:
    """The rendered recap CronJob (its SQL, arguments and environment, as the owner role) run twice against the
    leader over the order service's tables, which the order service created and filled with its own role;
    the report service reads the view with its rendered settings in Surabaya."""
    cron_job = load_yaml(drill.dist / "jakarta" / "CronJob.postgres-recap.k8s.yaml")
    container = cron_job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    sql = drill.root / "recap.sql"
    sql.write_text(load_yaml(drill.dist / "jakarta" / "ConfigMap.postgres-recap.k8s.yaml")["data"]["recap.sql"])
    recap = job_client(
        {"spec": {"template": {"spec": {"containers": [container]}}}},
        selects=_selects(drill, "jakarta"),
        closed=drill.closed,
        ca=str(drill.certs.ca),
        superuser=PASSWORDS["superuser"],
    )
    recap.env["PGPASSWORD"] = ROLE_PASSWORDS["shop"]  # the recap logs in as the owner, with the app password
    assert recap.env["PGUSER"] == drill.fleet.data.layout.owner
    args = tuple(container["command"][1:-1])
    order = _service(drill, "bandung", "order", "write")
    run(
        order,
        "CREATE TABLE orders (id bigint PRIMARY KEY, created_at timestamptz NOT NULL); "
        "CREATE TABLE order_items (order_id bigint REFERENCES orders, item_id bigint NOT NULL, "
        "quantity int NOT NULL, unit_price numeric NOT NULL); "
        "INSERT INTO orders VALUES (1, '2026-11-27 10:00+07'), (2, '2026-11-27 23:30+07'); "
        "INSERT INTO order_items VALUES (1, 7, 2, 1000), (2, 7, 1, 1000), (2, 8, 5, 10)",
    )
    run(recap, str(sql), file=True, args=args)
    run(order, "INSERT INTO orders VALUES (3, '2026-11-28 01:00+07'); INSERT INTO order_items VALUES (3, 7, 4, 1000)")
    run(recap, str(sql), file=True, args=args)
    query = "SELECT day, item_id, quantity, revenue, orders FROM report.daily_item_totals ORDER BY 1, 2"
    expected = ["2026-11-27|7|3|3000|2", "2026-11-27|8|5|50|1", "2026-11-28|7|4|4000|1"]
    report = _service(drill, "surabaya", "report", "read")
    wait_for("the refreshed view on surabaya", lambda: run(report, query).splitlines() == expected, 10)
    assert run(report, "SELECT inet_server_port()") == str(drill.members["surabaya"].pg_port)


def test_reads_fall_back_to_the_next_city_when_a_citys_only_member_is_stopped(drill: Drill) -> None:
    """Surabaya's only member stopped: its services' reads go on, served through DB_READ_HOSTS by the next city
    in the stated order (by name: Bandung's replica); with the member back they are local again."""
    surabaya = drill.members["surabaya"]
    catalog = _service(drill, "surabaya", "catalog", "read")
    assert run(catalog, "SELECT inet_server_port()") == str(surabaya.pg_port)
    kill(surabaya.patroni)
    kill_postmaster(surabaya)
    started = time.monotonic()
    fallback = _service(drill, "surabaya", "catalog", "read")  # the Services' endpoints as they are now
    assert run(fallback, "SELECT name FROM products") == "batik"
    served = run(fallback, "SELECT inet_server_port()")
    order = _service(drill, "surabaya", "order", "read")
    assert run(order, "SELECT count(*) FROM service_check") == str(len(CITIES))
    expected = drill.fleet.data.read_hosts("surabaya", reporting=False)[2]
    assert expected.startswith(f"{naming.ANY_MEMBER_SERVICE}.bandung.")
    assert served == str(drill.members["bandung"].pg_port)
    print(
        f"\nsurabaya's only member stopped: reads served by bandung ({expected}) in {time.monotonic() - started:.1f} s"
    )
    statefulset = load_yaml(drill.dist / "surabaya" / "StatefulSet.postgres-surabaya.k8s.yaml")
    drill.start_patroni(surabaya, surabaya.root / "patroni.yml", statefulset)
    wait_for("surabaya streaming again", partial(drill.streaming, "surabaya"), 60)
    wait_for(
        "surabaya's reads local again",
        lambda: (
            run(_service(drill, "surabaya", "catalog", "read"), "SELECT inet_server_port()") == str(surabaya.pg_port)
        ),
        30,
    )


def _run_promotion_job(drill: Drill, dist: Path, city: str) -> str:
    """The city's rendered promotion Job: its script from the ConfigMap, its environment from the Job, with
    the member's substituted config of the same city, the test certificates and credentials."""
    job = load_yaml(dist / city / f"Job.postgres-promote-{city}.k8s.yaml")
    rendered = {e["name"]: e.get("value") for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    drill.sync_configs(dist)
    config_map = load_yaml(dist / city / "ConfigMap.patroni.k8s.yaml")["data"]
    dcs = yaml.safe_load(config_map["dynamic-config.yaml"])
    running = drill.members[city].config["bootstrap"]["dcs"]  # the primary of `dist`, so it bootstraps
    dynamic = drill.root / f"dynamic-{city}.yaml"
    dynamic.write_text(yaml.safe_dump({**dcs, **{key: running[key] for key in DYNAMIC_TIMING_KEYS}}))
    chown_tree(drill.root)
    env = job_env(job, config=drill.members[city].root / "patroni.yml", certs=drill.certs, dynamic=dynamic)
    differing = {name for name in rendered if env.get(name) != rendered[name]}
    assert differing <= JOB_PATHS | set(JOB_CREDENTIALS), differing - JOB_PATHS - set(JOB_CREDENTIALS)
    assert set(JOB_CREDENTIALS) <= set(rendered), "the Job no longer authenticates patronictl"
    script = drill.root / f"promote-{city}.py"
    script.write_text(load_yaml(dist / city / "ConfigMap.patroni.k8s.yaml")["data"]["promote.py"])
    result = subprocess.run(
        ["/usr/bin/python3", str(script)], capture_output=True, text=True, timeout=60, env={**os.environ, **env}
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_changing_primary_runs_a_switchover_and_back(drill: Drill, tmp_path: Path) -> None:
    """`primary: bandung` renders a promotion Job in Bandung; run for real it moves the leader there, and
    the default render's Job (Jakarta) moves it back. Run again, a Job sees nothing to do."""
    jakarta, bandung = drill.members["jakarta"], drill.members["bandung"]
    assert "nothing to do" in _run_promotion_job(drill, drill.dist, "jakarta")
    _, moved = render_variant(tmp_path, partial(set_primary, city="bandung"))
    started = time.monotonic()
    _run_promotion_job(drill, moved, "bandung")
    wait_for("bandung to lead after the switchover", partial(drill.is_leader, bandung), 30)
    switchover = time.monotonic() - started
    wait_for("jakarta streaming from bandung", lambda: drill.role(jakarta) == "replica", 30)
    _run_promotion_job(drill, drill.dist, "jakarta")
    wait_for("jakarta to lead again", partial(drill.is_leader, jakarta), 30)
    wait_for("bandung streaming again", partial(drill.streaming, "bandung"), 30)
    wait_for("surabaya streaming again", partial(drill.streaming, "surabaya"), 30)
    print(f"\nprimary: bandung -> promotion Job switched the leader over in {switchover:.1f} s, and back")


def test_a_changed_dynamic_setting_reaches_the_running_cluster(drill: Drill, tmp_path: Path) -> None:
    """`bootstrap.dcs` is read once, when the cluster is created; the promotion hook applies the rendered
    dynamic configuration to the running cluster on every sync: GET /config shows a changed value, and
    PostgreSQL runs with it. The default render's hook then puts it back."""
    jakarta = drill.members["jakarta"]
    before = http_json(f"{jakarta.api}/config", drill.tls)["postgresql"]["parameters"]["max_slot_wal_keep_size"]
    gib = int(before.removesuffix("GB")) + 1

    def bump(envs: Path) -> None:
        edit_yaml(envs / "fleet.yaml", lambda fleet: fleet["database"].update(max_slot_wal_keep_gib=gib))

    _, changed = render_variant(tmp_path, bump)
    output = _run_promotion_job(drill, changed, "jakarta")
    assert "Configuration changed" in output
    config = http_json(f"{jakarta.api}/config", drill.tls)
    assert config["postgresql"]["parameters"]["max_slot_wal_keep_size"] == f"{gib}GB"
    assert config["ttl"] == TEST_TIMING.ttl, "the drill's lease is kept"
    wait_for("PostgreSQL to run with it", lambda: psql(jakarta, "SHOW max_slot_wal_keep_size") == f"{gib}GB", 30)
    _run_promotion_job(drill, drill.dist, "jakarta")
    assert http_json(f"{jakarta.api}/config", drill.tls)["postgresql"]["parameters"]["max_slot_wal_keep_size"] == before
    print(f"\nmax_slot_wal_keep_size {before} -> {gib}GB reached the running cluster through the hook, and back")


def test_c_etcd_quorum_lost_with_every_member_up_keeps_the_primary_writable(drill: Drill) -> None:
    """failsafe_mode: true — the leader reaches every member over the REST API, so it keeps running
    rather than taking the whole fleet read-only because etcd alone failed; nothing else promotes."""
    jakarta, bandung, surabaya = (drill.members[c] for c in CITIES)
    assert drill.rendered["jakarta"]["bootstrap"]["dcs"]["failsafe_mode"] is True
    kill(bandung.etcd)
    kill(surabaya.etcd)
    hold = TEST_TIMING.ttl + 2 * TEST_TIMING.loop_wait + 2
    deadline = time.monotonic() + hold
    writes = 0
    while time.monotonic() < deadline:
        drill.write(jakarta, "failsafe")
        writes += 1
        time.sleep(0.5)
    assert psql(jakarta, "SELECT pg_is_in_recovery()") == "f"
    assert psql(bandung, "SELECT pg_is_in_recovery()") == "t"
    assert psql(surabaya, "SELECT pg_is_in_recovery()") == "t"
    assert drill.patroni(jakarta).get("failsafe_mode_is_active") is True
    print(f"\netcd quorum lost for {hold} s: jakarta took {writes} writes, no other member promoted")
    for member in (bandung, surabaya):
        drill.start_etcd(member)
    for member in drill.members.values():
        wait_for(f"etcd {member.city} back", partial(drill.etcd_healthy, member), 20)


def test_b_losing_jakarta_makes_bandung_the_writable_leader_within_the_rto(drill: Drill) -> None:
    jakarta, bandung = drill.members["jakarta"], drill.members["bandung"]
    wait_for(
        "failsafe to clear on jakarta",
        lambda: drill.patroni(jakarta).get("failsafe_mode_is_active") is not True,
        30,
    )
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            try:
                drill.write(jakarta, "failover", timeout=2)
            except Exception:
                return
            time.sleep(0.05)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    time.sleep(2)
    lost_at = time.time()
    started = time.monotonic()
    drill.stop_city(jakarta)
    stop.set()
    thread.join(timeout=10)
    row = wait_for(
        "bandung to accept writes",
        lambda: psql(bandung, "INSERT INTO drill (batch) VALUES ('after-failover') RETURNING id"),
        TEST_TIMING.rto_bound_seconds,
    )
    failover = time.monotonic() - started
    assert drill.is_leader(bandung) and row
    assert psql(drill.members["surabaya"], "SELECT pg_is_in_recovery()") == "t"
    rpo = drill.fleet.spec.targets.rpo_seconds
    present = {int(r) for r in psql(bandung, "SELECT id FROM drill").split()}
    acked = [(rid, at) for rid, at in drill.acked if at < lost_at]
    must_keep = [rid for rid, at in acked if at < lost_at - rpo]
    lost = [rid for rid, _ in acked if rid not in present]
    print(
        f"\nfailover: jakarta lost -> bandung writable in {failover:.1f} s "
        f"(bound for the drill's lease {TEST_TIMING.node_loss_seconds} s, production RTO "
        f"{drill.fleet.spec.targets.rto_seconds} s); {len(acked)} acknowledged writes, {len(lost)} lost"
    )
    assert len(must_keep) > 0
    assert all(rid in present for rid in must_keep), "a row acknowledged before the RPO window was lost"
    assert failover <= TEST_TIMING.node_loss_seconds <= drill.fleet.spec.targets.rto_seconds


def test_c_two_cities_down_leaves_the_last_one_read_only(drill: Drill) -> None:
    bandung, surabaya = drill.members["bandung"], drill.members["surabaya"]
    started = time.monotonic()
    drill.stop_city(surabaya)

    def read_only() -> bool:
        try:
            psql(bandung, "INSERT INTO drill (batch) VALUES ('split-brain?')")
        except RuntimeError as exc:
            return "read-only" in str(exc) or "recovery" in str(exc)
        return False

    wait_for("bandung to stop taking writes", read_only, TEST_TIMING.ttl + 3 * TEST_TIMING.loop_wait + 5)
    demoted = time.monotonic() - started
    time.sleep(TEST_TIMING.loop_wait * 2)
    assert read_only(), "bandung took writes again without quorum"
    assert psql(bandung, "SELECT count(*) > 0 FROM drill") == "t"  # still serves reads
    print(f"\ntwo cities down: bandung read-only after {demoted:.1f} s, still serving reads")


def test_d_point_in_time_restore_brings_back_rows_before_and_none_after(drill: Drill) -> None:
    jakarta, bandung = drill.members["jakarta"], drill.members["bandung"]
    kill(bandung.patroni)
    kill_postmaster(bandung)
    # The restore bootstraps a new scope on the same etcd, which needs its quorum back.
    for city in ("jakarta", "surabaya"):
        drill.start_etcd(drill.members[city])
    for member in drill.members.values():
        wait_for(f"etcd {member.city} back", partial(drill.etcd_healthy, member), 20)
    assert drill.base_backup.exists()
    out = drill.root / "restore"
    assert (
        cli.main(["restore", "--envs", str(ENVS), "--city", "jakarta", "--to", drill.restore_time, "--out", str(out)])
        == 0
    )
    rendered_map = load_yaml(next(out.glob("ConfigMap.*.k8s.yaml")))
    rendered = yaml.safe_load(next(iter(rendered_map["data"].values())))
    target_time = rendered["bootstrap"]["restore"]["recovery_conf"]["recovery_target_time"]
    assert datetime.fromisoformat(target_time) == datetime.fromisoformat(drill.restore_time)
    statefulset = load_yaml(next(out.glob("StatefulSet.*.k8s.yaml")))
    pg_port, api_port, client, peer, metrics = free_ports(5)
    target = Member("restore", drill.root / "restore-member", pg_port, api_port, client, peer, metrics)
    target.root.mkdir()
    target.archive.mkdir()
    config = drill.config_for(target, rendered, base_backup=drill.base_backup, restore_archive=jakarta.archive)
    drill.extra.append(target)
    drill.start_patroni(target, config, statefulset)
    wait_for("the restored member to finish recovery and lead", lambda: drill.is_leader(target), 90)
    # Patroni may restart PostgreSQL once right after a custom bootstrap: query until it answers.
    batches = wait_for(
        "the restored rows",
        partial(psql, target, "SELECT batch, count(*) FROM drill WHERE batch LIKE 'pitr-%' GROUP BY 1 ORDER BY 1"),
        30,
    )
    print(f"\nrestored to {drill.restore_time}: {batches.replace(chr(10), ', ')}")
    assert batches.splitlines() == ["pitr-before|20"]
