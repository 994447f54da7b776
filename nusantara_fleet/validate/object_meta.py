"""The checks the API server makes on a custom resource's metadata beyond its schema (apimachinery's
`ValidateObjectMeta`): the shapes of name, generateName, namespace, label and annotation keys and values.

A resource's own name must be a DNS subdomain (`NameIsDNSSubdomain`, as for every custom resource); an
embedded resource's (`x-kubernetes-embedded-resource`) only a path segment, and it may have none. A
namespace is not required: the API server takes it from the request when the manifest has none.
"""

from __future__ import annotations

import re
from typing import Any

_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_QUALIFIED = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_SUBDOMAIN_MAX = 253
_LABEL_MAX = 63
_ANNOTATIONS_MAX = 256 * 1024  # bytes of all annotation keys and values together

SUBDOMAIN_RULE = (
    "a lowercase RFC 1123 subdomain: at most 253 lowercase letters, digits, '-' and '.', "
    "starting and ending with a letter or digit"
)
LABEL_RULE = "a lowercase RFC 1123 label: at most 63 lowercase letters, digits and '-', starting and ending with one"
QUALIFIED_RULE = (
    "a qualified name: an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', "
    "starting and ending with a letter or digit"
)
VALUE_RULE = "a label value: empty, or at most 63 letters, digits, '-', '_' or '.', starting and ending with one"


def _subdomain(text: str) -> bool:
    return len(text) <= _SUBDOMAIN_MAX and _SUBDOMAIN.fullmatch(text) is not None


def _qualified(key: str) -> bool:
    prefix, slash, name = key.rpartition("/")
    if slash and not _subdomain(prefix):
        return False
    return len(name) <= _LABEL_MAX and _QUALIFIED.fullmatch(name) is not None


def _label_value(value: str) -> bool:
    return value == "" or (len(value) <= _LABEL_MAX and _QUALIFIED.fullmatch(value) is not None)


def _path_segment(name: str) -> str | None:
    if name in (".", ".."):
        return f"may not be {name!r}"
    bad = sorted({char for char in name if char in "/%"})
    return f"may not contain {' or '.join(repr(char) for char in bad)}" if bad else None


def problems(metadata: Any, where: str, *, embedded: bool) -> list[str]:
    """What the API server would reject in `metadata` (already of the right types, or skipped), each as
    `where.field: reason`."""
    if not isinstance(metadata, dict):
        return [] if embedded else [f"{where}.name: name or generateName is required"]
    found = []
    name, generate = metadata.get("name"), metadata.get("generateName")
    if not embedded and not name and not generate:
        found.append(f"{where}.name: name or generateName is required")
    for field, value in (("name", name), ("generateName", generate)):
        if not isinstance(value, str) or not value:
            continue
        if embedded:
            reason = _path_segment(value)
            if reason is not None:
                found.append(f"{where}.{field}: {value!r} {reason}")
        # generateName is a prefix: the API server appends random characters, so a trailing '-' is fine.
        elif not _subdomain(value[:-1] + "a" if field == "generateName" and value.endswith("-") else value):
            found.append(f"{where}.{field}: {value!r} is not {SUBDOMAIN_RULE}")
    namespace = metadata.get("namespace")
    if (
        isinstance(namespace, str)
        and namespace
        and not (len(namespace) <= _LABEL_MAX and _LABEL.fullmatch(namespace) is not None)
    ):
        found.append(f"{where}.namespace: {namespace!r} is not {LABEL_RULE}")
    labels = metadata.get("labels")
    if isinstance(labels, dict):
        for key, value in sorted((str(key), value) for key, value in labels.items()):
            if not _qualified(key):
                found.append(f"{where}.labels: key {key!r} is not {QUALIFIED_RULE}")
            if isinstance(value, str) and not _label_value(value):
                found.append(f"{where}.labels.{key}: {value!r} is not {VALUE_RULE}")
    annotations = metadata.get("annotations")
    if isinstance(annotations, dict):
        found.extend(
            f"{where}.annotations: key {key!r} is not {QUALIFIED_RULE}"
            for key in sorted(str(key) for key in annotations)
            if not _qualified(key.lower())
        )
        size = sum(len(str(key).encode()) + len(str(value).encode()) for key, value in annotations.items())
        if size > _ANNOTATIONS_MAX:
            found.append(f"{where}.annotations: {size} bytes in all; the API server takes at most {_ANNOTATIONS_MAX}")
    return found
