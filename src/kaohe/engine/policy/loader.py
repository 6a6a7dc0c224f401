"""Loading policy files with messages that name the file and the key path."""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from kaohe.engine.policy.models import Policy


class PolicyError(ValueError):
    """A policy that cannot be used; the message names file, key path and reason."""


def _location(loc: tuple[object, ...], data: object) -> str:
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int) and isinstance(node, list) and 0 <= key < len(node):
            node = node[key]
            code = node.get("code") or node.get("id") if isinstance(node, dict) else None
            parts.append(f"[{key}]" + (f"({code})" if code else ""))
        else:
            parts.append(f".{key}")
            node = node.get(key) if isinstance(node, dict) else None
    return "".join(parts).lstrip(".")


def parse_policy(text: str, name: str) -> Policy:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{name}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise PolicyError(f"{name}: a policy file is a mapping at the top level")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            where = _location(tuple(err["loc"]), data) or "(top)"
            lines.append(f"{name}: {where}: {err['msg']}")
        raise PolicyError("\n".join(lines)) from None


def load_policy_file(path: str | Path) -> Policy:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{p}: cannot read: {exc.strerror}") from None
    return parse_policy(text, str(p))


def _bundled_dir() -> Path:
    return Path(str(resources.files("kaohe") / "policies"))


def bundled_policy_ids() -> list[str]:
    return sorted(p.stem for p in _bundled_dir().glob("*.yaml"))


_CACHE: dict[str, Policy] = {}


def load_policy(ref: str, base: Path | None = None, on: date | None = None) -> Policy:
    """A bundled policy by id, or a policy file by path (relative to ``base``)."""
    del on  # one version per bundled file for now; successors are new files
    if ref in _CACHE:
        return _CACHE[ref]
    bundled = _bundled_dir() / f"{ref}.yaml"
    if bundled.exists():
        policy = load_policy_file(bundled)
        _CACHE[ref] = policy
        return policy
    path = Path(ref)
    if base is not None and not path.is_absolute():
        path = base / path
    if path.suffix in (".yaml", ".yml") and path.exists():
        return load_policy_file(path)
    known = ", ".join(bundled_policy_ids())
    raise PolicyError(f"unknown policy {ref!r} (bundled: {known}; or give a path to a .yaml file)")
