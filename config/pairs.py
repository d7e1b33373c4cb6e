"""Parsing of the settings written as ``a:b`` pairs: take-profit targets and scale-in parts."""

from __future__ import annotations

from decimal import Decimal


def parse_targets(items: list[str]) -> list[tuple[Decimal, Decimal]]:
    if not items:
        raise ValueError("at least one target is needed, e.g. 4:0.5,8:0.5")
    pairs: list[tuple[Decimal, Decimal]] = []
    for item in items:
        try:
            pct_text, share_text = item.split(":")
            pct, share = Decimal(pct_text), Decimal(share_text)
        except Exception:
            raise ValueError(f"target {item!r} is not pct:share, e.g. 4:0.5") from None
        if pct <= 0 or not (0 < share <= 1):
            raise ValueError(f"target {item!r}: pct must be > 0 and share in (0, 1]")
        pairs.append((pct, share))
    if sum(s for _, s in pairs) != 1:
        raise ValueError("target shares must sum to 1")
    if [p for p, _ in pairs] != sorted(p for p, _ in pairs):
        raise ValueError("targets must be in increasing distance")
    return pairs


def parse_scale_in(items: list[str]) -> list[tuple[Decimal, Decimal]]:
    """Scale-in parts as (offset %, share): the first at offset 0, offsets rising, shares summing to 1."""
    pairs: list[tuple[Decimal, Decimal]] = []
    for item in items:
        try:
            offset_text, share_text = item.split(":")
            offset, share = Decimal(offset_text), Decimal(share_text)
        except Exception:
            raise ValueError(f"scale-in part {item!r} is not offset:share, e.g. 1:0.35") from None
        if offset < 0 or not (0 < share <= 1):
            raise ValueError(f"scale-in part {item!r}: offset must be >= 0 and share in (0, 1]")
        pairs.append((offset, share))
    if pairs:
        if sum(s for _, s in pairs) != 1:
            raise ValueError("scale-in shares must sum to 1")
        if pairs[0][0] != 0 or [o for o, _ in pairs] != sorted(o for o, _ in pairs):
            raise ValueError("scale-in parts start at offset 0 and go farther, e.g. 0:0.3,1:0.35,2:0.35")
    return pairs
