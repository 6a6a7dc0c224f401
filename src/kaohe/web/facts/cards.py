"""Which ledger item an e-supervision card becomes, per regulation — data, not code.

The ingest layer names cards ``red_card`` / ``yellow_card``; each regulation
has its own items for them (or none).  ``person`` is the item for a card whose
handler is known, ``window`` for one recorded on a window only.  A policy not
listed here has no card item: importing cards under it is refused with a
row-free file error rather than guessed.
"""

from __future__ import annotations

from typing import Final

CardItems = dict[str, dict[str, str]]

CARD_ITEMS: Final[dict[str, CardItems]] = {
    # 附件1 二(三)8: 电子监察黄牌 0.1 / 红牌 0.2 per case, charged to the window.
    "xxqu-2022": {
        "red": {"person": "case_mgmt.12", "window": "case_mgmt.12"},
        "yellow": {"person": "case_mgmt.11", "window": "case_mgmt.11"},
    },
    # 附件1 L398–399 and 附件2 L601: a card costs the operator 50 (s_gov_service.10);
    # one on a window costs its chief rep(s) 100 (w_optimization.06).  Red and
    # yellow are charged alike.
    "luoshan": {
        "red": {"person": "s_gov_service.10", "window": "w_optimization.06"},
        "yellow": {"person": "s_gov_service.10", "window": "w_optimization.06"},
    },
}


def card_item(policy_id: str, colour: str, on: str) -> str | None:
    """The item code for a ``colour`` card recorded on a ``person`` or a ``window``."""
    return CARD_ITEMS.get(policy_id, {}).get(colour, {}).get(on)
