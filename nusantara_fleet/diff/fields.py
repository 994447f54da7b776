"""Field-level comparison of two objects: the paths that changed, in document order of the new one."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from nusantara_fleet import naming

# Annotations holding a digest of other content (a ConfigMap, Patroni's config): they change exactly when
# that content does, and the diff shows that content where it lives, so alone they add nothing to review.
CHECKSUM_ANNOTATIONS = frozenset({naming.APP_CONFIG_CHECKSUM, naming.PATRONI_CONFIG_CHECKSUM})
# Where each workload kind keeps the template of its pods: a change under it restarts them.
POD_TEMPLATES = {
    **{kind: "spec.template." for kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")},
    "CronJob": "spec.jobTemplate.spec.template.",
}
# One label or annotation, `labels.app` or `labels["app.kubernetes.io/name"]`, under some prefix.
_METADATA_ENTRY = re.compile(
    r'(?P<at>.*?)metadata\.(?P<field>labels|annotations)(?:\.(?P<plain>[^."\[\]]+)|\["(?P<quoted>[^"]+)"\])'
)

# Lists whose items are identified by a key, so inserting one item is one change, not a shifted list.
_ITEM_KEYS = ("name", "containerPort", "port", "mountPath", "key")


def _unique_by(items: list[Any], key: str) -> bool:
    values = [str(item.get(key)) for item in items if isinstance(item, dict) and key in item]
    return len(values) == len(items) and len(set(values)) == len(values)


def _item_key(old: list[Any], new: list[Any]) -> str | None:
    """The key that names every item of both lists uniquely, if any."""
    if not old or not new:
        return None
    return next((key for key in _ITEM_KEYS if _unique_by(old, key) and _unique_by(new, key)), None)


def _join(path: str, part: str) -> str:
    if part.startswith("["):
        return f"{path}{part}"
    if "." in part or "/" in part:
        return f'{path}["{part}"]'  # label and annotation keys: `metadata.labels["app.kubernetes.io/name"]`
    return f"{path}.{part}" if path else part


def changed_paths(old: Any, new: Any, path: str = "") -> list[str]:
    """Dotted paths (`spec.template.spec.containers[order].image`) whose values differ."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new)):
            if key not in old or key not in new:
                out.append(_join(path, str(key)))
            else:
                out.extend(changed_paths(old[key], new[key], _join(path, str(key))))
        return out
    if isinstance(old, list) and isinstance(new, list):
        key = _item_key(old, new)
        if key is not None:
            old_items = {str(item[key]): item for item in old}
            new_items = {str(item[key]): item for item in new}
            out = []
            for name in sorted(set(old_items) | set(new_items)):
                sub = _join(path, f"[{name}]")
                if name not in old_items or name not in new_items:
                    out.append(sub)
                else:
                    out.extend(changed_paths(old_items[name], new_items[name], sub))
            return out
        if len(old) == len(new):
            return [
                p
                for i, (a, b) in enumerate(zip(old, new, strict=True))
                for p in changed_paths(a, b, _join(path, f"[{i}]"))
            ]
    return [path or "(document)"]


def _metadata_entry(kind: str, path: str) -> tuple[str, str] | None:
    """(`labels` or `annotations`, key) when `path` is one entry of the object's own metadata or of its pod
    template's; selectors and the templates of other kinds (an ApplicationSet's) are never such an entry."""
    found = _METADATA_ENTRY.fullmatch(path)
    if found is None or found["at"] not in ("", POD_TEMPLATES.get(kind, "")):
        return None
    return found["field"], found["plain"] or found["quoted"]


def cosmetic_keys(kind: str, paths: Iterable[str]) -> tuple[str, ...] | None:
    """The label and checksum annotation keys that are the only change of an object, or None when anything
    else changed too: such a change labels or re-hashes what is there and releases nothing new."""
    keys: set[str] = set()
    for path in paths:
        entry = _metadata_entry(kind, path)
        if entry is None or (entry[0] == "annotations" and entry[1] not in CHECKSUM_ANNOTATIONS):
            return None
        keys.add(entry[1])
    return tuple(sorted(keys)) or None


def restarts_pods(kind: str, paths: Iterable[str]) -> bool:
    """Whether a change touches the pod template, so the workload rolls its pods."""
    template = POD_TEMPLATES.get(kind)
    return template is not None and any(path.startswith(template) for path in paths)
