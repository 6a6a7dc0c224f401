"""Policy files: a center's regulation as validated, dated data."""

from kaohe.engine.policy.loader import (
    PolicyError,
    bundled_policy_ids,
    load_policy,
    load_policy_file,
)
from kaohe.engine.policy.models import Policy

__all__ = ["Policy", "PolicyError", "bundled_policy_ids", "load_policy", "load_policy_file"]
