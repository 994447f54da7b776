"""The database layout and one login role per service: who owns which schema, who may read what.

One database (`database.recap.database`, `shop`) holds every service's data, one schema per service named
after it. A service with `write` routes owns its schema (it runs its own migrations and DML there); a
read-only service's schema is owned by the database owner (`shop`, which loads the reference data and runs
the recap) and the service may only read it. The recap, as the owner, totals the tables of the service
`database.recap.source` names (the order service's `orders` and `order_items`) into
`report.daily_item_totals`; services with `reads: reporting` read the `report` schema. Every role
logs in with its own password from the secret store, never a shared one, and nothing else is granted:
`PUBLIC` loses its default rights on the database and on the `public` schema.

`roles_sql` renders all of it as one psql script, idempotent (roles through `DO` blocks, schemas with
`IF NOT EXISTS`, grants repeatable), which the roles Job runs against the leader on every sync; the
passwords reach it as environment variables (`\\getenv`), so none is ever rendered.
"""

from __future__ import annotations

from dataclasses import dataclass

from nusantara_fleet import naming
from nusantara_fleet.model.spec import FleetSpec
from nusantara_fleet.model.spec.workloads import ServiceSpec

REPORT_SCHEMA = "report"  # where the recap writes its materialized views
PASSWORD_KEY = "password"  # the key of every service's password Secret
OWNER_PASSWORD_ENV = "OWNER_PASSWORD"
# A read-only role cannot write even where a grant slips in: its sessions start read-only.
READ_ONLY_SESSION = "default_transaction_read_only"
# libpq's target_session_attrs=read-write finds the leader; should a connection land elsewhere (a
# reconnect to a member demoted since), the script stops before changing anything.
LEADER_CHECK = (
    "DO $leader$ BEGIN IF pg_is_in_recovery() THEN "
    "RAISE EXCEPTION 'the roles script must run on the leader'; END IF; END $leader$;"
)


@dataclass(frozen=True)
class Login:
    """One service's PostgreSQL role: its schema, whether it owns it, what else it reads, its password."""

    service: str
    role: str
    schema: str
    owns: bool  # a writer: owner of its schema, so its migrations and DML need no further grant
    reads: tuple[str, ...]  # schemas it may only read (its own, when it does not own it)
    secret: str  # the Secret holding its password (`PASSWORD_KEY`) in the apps namespace
    job_secret: str  # the same password's Secret in the data namespace, for the roles Job
    store_key: str  # below the store, the key whose `password` property it is

    @property
    def read_only(self) -> bool:
        return not self.owns

    @property
    def password_env(self) -> str:
        """The roles Job's variable carrying this role's password."""
        return f"{self.role.upper()}_PASSWORD"


@dataclass(frozen=True)
class Layout:
    """The database, its owner and every service's role."""

    database: str
    owner: str
    recap_source: str  # the schema the recap reads
    report_schema: str
    logins: tuple[Login, ...]

    def login(self, service: str) -> Login:
        return next(login for login in self.logins if login.service == service)

    @property
    def schemas(self) -> tuple[tuple[str, str], ...]:
        """(schema, owner) of every schema, the report schema included, in a stable order."""
        owned = {login.schema: login.role if login.owns else self.owner for login in self.logins}
        owned.setdefault(self.report_schema, self.owner)
        return tuple(sorted(owned.items()))


def _writes(service: ServiceSpec) -> bool:
    return any(route.access == "write" for route in service.routes)


def database_layout(spec: FleetSpec) -> Layout:
    """The layout of the fleet's services that use the database (`recap_source_problem` judges the recap's source)."""
    store = spec.database.secrets
    logins = []
    for service in spec.services:
        if not service.database:
            continue
        owns = _writes(service)
        reads = [] if owns else [service.name]
        if service.reads == "reporting" and service.name != REPORT_SCHEMA:
            reads.append(REPORT_SCHEMA)
        logins.append(
            Login(
                service=service.name,
                role=naming.database_login(service.name),
                schema=service.name,
                owns=owns,
                reads=tuple(reads),
                secret=naming.database_secret(service.name),
                job_secret=naming.roles_secret(service.name),
                store_key=f"{store.path}/services/{service.name}",
            )
        )
    return Layout(
        database=spec.database.recap.database,
        owner=naming.DATABASE_OWNER,
        recap_source=spec.database.recap.source,
        report_schema=REPORT_SCHEMA,
        logins=tuple(logins),
    )


def recap_source_problem(spec: FleetSpec) -> str | None:
    """Why the recap would read a schema nobody writes, or None when its source is a writing service."""
    name = spec.database.recap.source
    source = next((s for s in spec.services if s.name == name), None)
    if source is None or not source.database or not _writes(source):
        writers = ", ".join(s.name for s in spec.services if s.database and _writes(s)) or "none"
        return (
            f"the recap totals the orders of service `{name}`, which must be a service that uses the database "
            f"and has a `write` route (writers: {writers})"
        )
    return None


def ident(name: str) -> str:
    """A quoted SQL identifier: every name is quoted, so a keyword (`order`) or a hyphen is just a name."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _variable(role: str) -> str:
    return f"{role}_password"


def roles_sql(layout: Layout) -> str:
    """The psql script: roles and passwords (database `postgres`), then the database, schemas and grants."""
    owner = layout.owner
    roles = (owner, *(login.role for login in layout.logins))
    envs = ((owner, OWNER_PASSWORD_ENV), *((login.role, login.password_env) for login in layout.logins))
    db = ident(layout.database)
    out = [
        "-- Rendered by the generator from envs/ (model/data/roles.py): the database layout and one role per",
        "-- service. Idempotent: the roles Job runs it on every sync; a second run changes nothing.",
        "-- Passwords come from the environment (\\getenv); an unset one leaves its :'variable' unexpanded,",
        "-- a syntax error, so the script stops before setting any password it was not given.",
        *(f"\\getenv {_variable(role)} {env}" for role, env in envs),
        LEADER_CHECK,
        "",
        "-- Roles: created once, then kept at exactly these attributes and passwords.",
        "DO $roles$",
        "BEGIN",
        *(
            f"  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {literal(role)}) THEN "
            f"CREATE ROLE {ident(role)}; END IF;"
            for role in roles
        ),
        "END",
        "$roles$;",
        *(
            f"ALTER ROLE {ident(role)} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS "
            f"INHERIT PASSWORD :'{_variable(role)}';"
            for role in roles
        ),
        "",
        "-- The database, owned by the owner role; PUBLIC may not connect or create temporary tables.",
        f"SELECT format('CREATE DATABASE %I OWNER %I', {literal(layout.database)}, {literal(owner)})",
        f"WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = {literal(layout.database)}) \\gexec",
        f"ALTER DATABASE {db} OWNER TO {ident(owner)};",
        f"REVOKE ALL ON DATABASE {db} FROM PUBLIC;",
        f"GRANT CONNECT ON DATABASE {db} TO {', '.join(ident(login.role) for login in layout.logins)};",
        *(
            f"ALTER ROLE {ident(login.role)} IN DATABASE {db} SET search_path = {ident(login.schema)};"
            for login in layout.logins
        ),
        *(
            f"ALTER ROLE {ident(login.role)} IN DATABASE {db} SET {READ_ONLY_SESSION} = on;"
            for login in layout.logins
            if login.read_only
        ),
        # A service that gained a write route owns its schema now and writes.
        *(
            f"ALTER ROLE {ident(login.role)} IN DATABASE {db} RESET {READ_ONLY_SESSION};"
            for login in layout.logins
            if login.owns
        ),
        "",
        f"\\connect {db}",
        LEADER_CHECK,
        "REVOKE ALL ON SCHEMA public FROM PUBLIC;",
    ]
    for schema, schema_owner in layout.schemas:
        out += [
            f"CREATE SCHEMA IF NOT EXISTS {ident(schema)} AUTHORIZATION {ident(schema_owner)};",
            f"ALTER SCHEMA {ident(schema)} OWNER TO {ident(schema_owner)};",
        ]
    owners = dict(layout.schemas)
    readers: list[tuple[str, str]] = [(login.role, schema) for login in layout.logins for schema in login.reads]
    readers.append((owner, layout.recap_source))  # the recap totals the source's tables
    out += ["", "-- Read-only access: existing tables, and every table the schema's owner creates later."]
    for role, schema in readers:
        out += [
            f"GRANT USAGE ON SCHEMA {ident(schema)} TO {ident(role)};",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA {ident(schema)} TO {ident(role)};",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {ident(owners[schema])} IN SCHEMA {ident(schema)} "
            f"GRANT SELECT ON TABLES TO {ident(role)};",
        ]
    return "\n".join(out) + "\n"
