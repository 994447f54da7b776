"""Field-level comparison of two objects: the paths that changed, in document order of the new one."""

from __future__ import annotations

from typing import Any

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
