"""What every input model shares: the strict base class, the value patterns and their plain-words help."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field

from nusantara_fleet.model import provenance

DNS_LABEL = r"^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$"
# A release tag as OCI allows it, minus the moving `latest` (never deployable: it pins nothing).
IMAGE_TAG = r"^(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"
IPV4_CIDR = r"^([0-9]{1,3}\.){3}[0-9]{1,3}/([0-9]|[12][0-9]|3[0-2])$"
HOSTNAME = r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
SHA256_DIGEST = r"^sha256:[a-f0-9]{64}$"
# Five cron fields as Argo CD's sync windows and CronJobs accept them (no @descriptors).
CRON = r"^\S+( \S+){4}$"
GO_DURATION = r"^([0-9]+(h|m|s))+$"
IMAGE_REPOSITORY = r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)+$"
QUANTITY_GI = r"^[1-9][0-9]*Gi$"
CPU_QUANTITY = r"^[0-9]+m?$"
MEMORY_QUANTITY = r"^[0-9]+(Mi|Gi)$"
HTTP_PATH = r"^/[A-Za-z0-9/_.-]*$"
HTTPS_URL = r"^https://\S+$"
GIT_URL = r"^(https://|ssh://|git@)\S+$"
GIT_REVISION = r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"
CLUSTER_SERVER = r"^https://\S*\{city\}\S*$"
BUCKET = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
ALERT_NAME = r"^[A-Z][A-Za-z0-9]{2,63}$"
BASE_URL = r"^https://\S+[^/]$"
PROM_WINDOW = r"^[0-9]+(m|h|d)$"
CHART_VERSION = r"^[0-9]+\.[0-9]+\.[0-9]+$"
# Charts whose Chart.yaml versions carry a `v` (k8gb): the pin must match that string exactly.
HELM_V_VERSION = r"^v[0-9]+\.[0-9]+\.[0-9]+$"

# What each pattern allows, in words and with an example: the loader says this instead of the regex.
PATTERN_HELP: dict[str, str] = {
    DNS_LABEL: "must be a DNS label: lowercase letters, digits and '-', starting with a letter, at most 32 "
    "characters, e.g. `jakarta`",
    IMAGE_TAG: "must be a pinned release tag such as `1.4.2` (letters, digits, '.', '_', '-'); "
    "`latest` and empty tags are never deployable",
    IPV4_CIDR: "must be an IPv4 network in CIDR notation, e.g. `10.10.0.0/16`",
    HOSTNAME: "must be a lowercase DNS name with a dot, e.g. `api.nusantaramart.co.id`",
    SHA256_DIGEST: "must be an image digest: `sha256:` and 64 lowercase hex digits",
    CRON: "must be a five-field cron expression (minute hour day-of-month month day-of-week), e.g. `30 2 * * *`; "
    "`@daily` and other descriptors are not accepted",
    GO_DURATION: "must be a duration of hours, minutes and seconds, e.g. `1h`, `90m` or `1h30m`",
    IMAGE_REPOSITORY: "must be an image repository without tag, e.g. `ghcr.io/nusantaramart/patroni`",
    QUANTITY_GI: "must be a whole number of GiB, e.g. `500Gi`",
    CPU_QUANTITY: "must be a CPU quantity in cores or millicores, e.g. `2` or `500m`",
    MEMORY_QUANTITY: "must be a memory quantity in MiB or GiB, e.g. `512Mi` or `16Gi`",
    HTTP_PATH: "must be an absolute URL path of letters, digits and `/_.-`, e.g. `/api/orders`",
    ALERT_NAME: "must be an alert name in PascalCase: a capital letter, then letters and digits, 3 to 64 "
    "characters, e.g. `CitiesDown`",
    BASE_URL: "must be an https:// URL without spaces or a trailing '/', e.g. "
    "`https://github.com/nusantaramart/nusantara-fleet/blob/main/runbooks`",
    PROM_WINDOW: "must be a Prometheus range of one unit, minutes, hours or days, e.g. `5m`, `6h` or `3d`",
    CHART_VERSION: "must be an exact chart version MAJOR.MINOR.PATCH, e.g. `6.49.0`: a range would let a chart "
    "release change what dist/ means",
    HELM_V_VERSION: "must be an exact chart version vMAJOR.MINOR.PATCH as the chart spells it, e.g. `v0.20.0`",
    HTTPS_URL: "must be an https:// URL without spaces, e.g. `https://s3.jakarta.nusantaramart.internal`",
    GIT_URL: "must be a git URL (https://, ssh:// or git@), e.g. `https://github.com/nusantaramart/fleet.git`",
    GIT_REVISION: "must be a branch, tag or commit such as `main` or `v1.2.0`",
    CLUSTER_SERVER: "must be an https:// URL containing `{city}`, e.g. `https://{city}.k8s.example:6443`",
    BUCKET: "must be an S3 bucket name: 3-63 lowercase letters, digits, '.' and '-', e.g. `fleet-backups`",
}

CityName = Annotated[str, Field(pattern=DNS_LABEL, description="City name: a DNS label, e.g. `jakarta`.")]


class Spec(BaseModel):
    """Base for every input model: unknown keys fail loudly and parsed config never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True, regex_engine="python-re")

    def __getattribute__(self, name: str) -> Any:
        value = super().__getattribute__(name)
        # `fleet explain` records which input fields each plan reads; off, this is one list check.
        if provenance._scopes and name in type(self).__pydantic_fields__:
            provenance.note_read(self, name)
        return value


def cpu_millicores(quantity: str) -> int:
    """A CPU quantity of the form `CPU_QUANTITY` allows in millicores: `500m` is 500, `2` is 2000."""
    return int(quantity[:-1]) if quantity.endswith("m") else int(quantity) * 1000


def memory_mib(quantity: str) -> int:
    """A memory quantity of the form `MEMORY_QUANTITY` allows in MiB: `512Mi` is 512, `16Gi` is 16384."""
    number, unit = int(quantity[:-2]), quantity[-2:]
    return number * 1024 if unit == "Gi" else number


def check_cidr(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value, strict=False)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an IPv4 CIDR such as 10.10.0.0/16") from exc
    if str(network) != value:
        raise ValueError(f"{value!r} has host bits set; write the network address {str(network)!r}")
    return value


def check_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{value!r} is not an IANA time zone such as Asia/Jakarta") from exc
    return value
