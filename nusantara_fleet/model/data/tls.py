"""The data layer's certificates: one Secret per purpose, where pods mount it, and what it must say.

PostgreSQL's server, Patroni's REST API, etcd's peers, etcd's client port and Patroni as etcd's client
each have a certificate of their own (one ExternalSecret each, from the store's `tls/<purpose>` key), so
a pod mounts only the keys it uses and one leaked key opens one trust domain. A client checks the
server's name wherever it connects by DNS name; Patroni members reach each other by pod IP, which no
certificate can name, so there only the CA is checked.
"""

from __future__ import annotations

from dataclasses import dataclass

from nusantara_fleet import naming
from nusantara_fleet.model.data.layer import DataLayer
from nusantara_fleet.model.data.plans import CertificateUse
from nusantara_fleet.model.pods import Mount, Volume

TLS_ROOT = "/etc/tls"  # one read-only directory per certificate below it
CA, CERT, KEY = "ca.crt", "tls.crt", "tls.key"  # the keys of every certificate Secret
KEY_MODE = 0o440  # PostgreSQL accepts a root-owned key readable by its group (the pod's fsGroup)
# Clients that connect by DNS name (the apps, the recap) check that the certificate names the host.
BY_NAME_SSLMODE = "verify-full"
# Members replicate from, and rewind against, each other's pod IP (Patroni's connect_address): the CA
# is checked, the name cannot be, since no certificate can list addresses assigned at pod start.
BY_POD_IP_SSLMODE = "verify-ca"


@dataclass(frozen=True)
class Tls:
    """One certificate: its Secret, its key in the secret store, and where pods mount it."""

    secret: str
    store_key: str  # below `database.secrets.path`

    @property
    def dir(self) -> str:
        return f"{TLS_ROOT}/{self.secret}"

    @property
    def ca(self) -> str:
        return f"{self.dir}/{CA}"

    @property
    def cert(self) -> str:
        return f"{self.dir}/{CERT}"

    @property
    def key(self) -> str:
        return f"{self.dir}/{KEY}"

    def volume(self, *, ca_only: bool = False) -> Volume:
        """The Secret as a volume: whole (certificate and key, readable by the pod's group), or its CA alone
        for a pod that only verifies servers."""
        if ca_only:
            return Volume(self.secret, secret=self.secret, items=(CA,))
        return Volume(self.secret, secret=self.secret, mode=KEY_MODE)

    def mount(self) -> Mount:
        return Mount(self.secret, self.dir, read_only=True)


POSTGRES_SERVER = Tls(naming.POSTGRES_SERVER_TLS, "tls/postgres-server")
PATRONI_API = Tls(naming.PATRONI_API_TLS, "tls/patroni-api")
ETCD_PEER = Tls(naming.ETCD_PEER_TLS, "tls/etcd-peer")
ETCD_SERVER = Tls(naming.ETCD_SERVER_TLS, "tls/etcd-server")
ETCD_CLIENT = Tls(naming.ETCD_CLIENT_TLS, "tls/etcd-client")


def certificates(layer: DataLayer, namespace: str) -> tuple[tuple[Tls, CertificateUse], ...]:
    """Every certificate the layer uses, with the DNS names its clients verify and its usages.

    PostgreSQL: the write Services by their cross-city names (the apps' writes, the recap, the roles Job),
    every city's ready members by theirs and the local read, members and reporting Services (the apps'
    reads and their fallbacks). The REST API: the write Services' names, which the
    promotion Job checks before promoting; it also authenticates each member to the others (`/failsafe`).
    etcd (quorum only): members and clients find each other by `etcd.<city>.<zone>`; peers authenticate
    each other, and Patroni authenticates itself to the client port.
    """
    write = layer.write_hosts
    local = tuple(
        naming.cluster_local_host(name, namespace)
        for name in (naming.READ_SERVICE, naming.ANY_MEMBER_SERVICE, naming.REPORTING_SERVICE)
    )
    # Reads fall back to any city's ready members by their cross-city name (`DataLayer.read_hosts`).
    anywhere = tuple(layer.host(city.name, naming.ANY_MEMBER_SERVICE) for city in layer.cities)
    uses = [
        (POSTGRES_SERVER, CertificateUse(dns_names=(*write, *anywhere, *local), usages=("server",))),
        (PATRONI_API, CertificateUse(dns_names=write, usages=("server", "client"))),
    ]
    if layer.quorum:
        etcd = tuple(layer.host(name, naming.ETCD) for name in layer.etcd_cities)
        uses += [
            (ETCD_PEER, CertificateUse(dns_names=etcd, usages=("server", "client"))),
            (ETCD_SERVER, CertificateUse(dns_names=etcd, usages=("server",))),
            (ETCD_CLIENT, CertificateUse(dns_names=(), usages=("client",))),
        ]
    return tuple(uses)
