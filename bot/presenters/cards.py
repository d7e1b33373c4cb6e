"""Signal cards: the short message per signal, its final states, and the drift re-ask."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from aiogram.utils.i18n import gettext as _

from bot import format as fmt
from bot.presenters.words import FACTOR, paper_tag, reject_text, side_icon, side_word, source_word, word
from engine.domain.events import AlgoProgressed
from engine.domain.models import Signal
from engine.domain.reasons import ExecutionMode, RejectReason
from engine.facade import Stake


def _factors(signal: Signal) -> str:
    parts = []
    for factor in signal.top_factors(3):
        points = round(factor.contribution)
        parts.append(f"{fmt.esc(word(FACTOR, factor.name))} {points:+d}")
    return ", ".join(parts)


def stake_lines(signal: Signal, stake: Stake) -> list[str]:
    """What confirming puts at stake: size, notional, margin, the loss at the stop, reward:risk, fees."""
    ccy = stake.currency
    base = signal.symbol.split("/")[0]
    lines = [_("Size: {qty} {base} · notional {notional} · margin {margin}").format(
        qty=fmt.qty(stake.qty), base=fmt.esc(base), notional=fmt.esc(fmt.money(stake.notional, ccy)),
        margin=fmt.esc(fmt.money(stake.margin, ccy)))]
    lines.append(_("At risk if the stop hits: {amount} ({pct} of equity)").format(
        amount=f"<b>{fmt.esc(fmt.money(stake.risk, ccy))}</b>", pct=fmt.pct(stake.risk_pct, signed=False)))
    if stake.reward_risk:
        ratios = " · ".join(f"TP{n} {rr:.1f}" for n, rr in enumerate(stake.reward_risk, start=1))
        lines.append(_("Reward:risk {ratios}").format(ratios=ratios))
    lines.append(_("Fees (estimated): {fees}").format(fees=fmt.esc(fmt.money(stake.fees, ccy))))
    return lines


def card_body(signal: Signal, *, paper: bool, now: datetime | None = None, stake: Stake | None = None,
              min_score: float | None = None) -> str:
    """The facts of a signal, one per line; every line is closed HTML (safe to split). With ``stake``,
    what confirming puts at stake; with ``min_score`` above the signal's score, a warning."""
    outside = signal.source != "scanner"
    lines = [
        f"{side_icon(signal.side)} <b>{side_word(signal.side)} {fmt.esc(signal.symbol)}</b>"
        f" · {fmt.esc(source_word(signal.source) if outside else signal.timeframe)}{fmt.esc(paper_tag(paper))}",
    ]
    if outside:  # no score: someone else's idea, planned and checked by us
        lines.append(_("From: {source}").format(source=fmt.esc(source_word(signal.source))))
    else:
        score = _("Score: <b>{score}</b>/100").format(score=round(signal.score))
        factors = _factors(signal)
        lines.append(f"{score} ({factors})" if factors else score)
        if min_score is not None and signal.score < min_score:
            lines.append("⚠️ <b>" + fmt.esc(_("Below your minimum score ({n})").format(n=round(min_score))) + "</b>")
    lines.append(_("Leverage: {leverage}×").format(leverage=signal.leverage))
    lines.append(_("Entry: {price}").format(price=fmt.price(signal.entry)))
    lines.append(_("Stop: {price} ({pct})").format(
        price=fmt.price(signal.stop), pct=fmt.pct(fmt.change_pct(signal.entry, signal.stop))))
    for number, target in enumerate(signal.targets, start=1):
        lines.append(_("TP{n}: {price} ({pct}), closes {share}").format(
            n=number, price=fmt.price(target.price),
            pct=fmt.pct(fmt.change_pct(signal.entry, target.price)), share=fmt.share(target.share)))
    if stake is not None and stake.qty > 0:
        lines.extend(stake_lines(signal, stake))
    lines.append(_("Expires: {when}").format(when=fmt.when(signal.expires_at, now)))
    return "\n".join(lines)


def card(signal: Signal, *, paper: bool, mode: str, auto: bool, now: datetime | None = None,
         stake: Stake | None = None, min_score: float | None = None) -> str:
    """A freshly raised signal's card; the mode decides the closing line."""
    text = card_body(signal, paper=paper, now=now, stake=stake, min_score=min_score)
    if auto:
        return text + "\n\n⚙️ " + _("Auto mode: executing now…")
    if mode == ExecutionMode.SIGNAL_ONLY:
        return text + "\n\nℹ️ " + _("Signal only: no order will be placed.")
    return text


def confirmed_line(by: str | None) -> str:
    if by == "auto":
        return "⚙️ " + _("Executed automatically.")
    return "✅ " + _("Confirmed by {who}.").format(who=fmt.esc(by or "?"))


def cancelled_line(by: str | None) -> str:
    return "❌ " + _("Cancelled by {who}.").format(who=fmt.esc(by or "?"))


def expired_line() -> str:
    return "⌛ " + _("Expired: this signal can no longer be confirmed.")


def rejected_line(reason: RejectReason | str | None, detail: Mapping[str, str] | None = None,
                  currency: str = "") -> str:
    return "🚫 " + _("Not opened: {why}.").format(why=fmt.esc(reject_text(reason, detail, currency)))


def not_filled_line(by: str = "limit") -> str:
    if by == "limit":
        return "⌛ " + _("Not filled: the limit entry expired and was cancelled.")
    return "⌛ " + _("Not filled: the {algo} entry ended before any slice filled.").format(
        algo="TWAP" if by == "twap" else _("iceberg"))


def submitted_line(by: str | None) -> str:
    return "📨 " + _("Confirmed by {who}: entry order sent, waiting for the fill.").format(who=fmt.esc(by or "?"))


def algo_line(ev: AlgoProgressed) -> str:
    """An execution algorithm's progress on the card: ``TWAP 4/10, avg 64,210``."""
    values = _algo_values(ev.kind, ev.entry, ev.done, ev.slices, ev.avg_price)
    if ev.status == "done":
        return "✅ " + _("{algo} done: {done}/{slices}, avg {price}").format(**values)
    if ev.status == "stopped":
        return "🛑 " + _("{algo} stopped at the stop price: {done}/{slices}, avg {price}").format(**values)
    if ev.status == "cancelled":
        return "⏹ " + _("{algo} ended: {done}/{slices}, avg {price}").format(**values)
    return "⏱ " + _("{algo} {done}/{slices}, avg {price}").format(**values)


def running_line(kind: str, entry: bool, done: int, slices: int, avg_price: Decimal | None) -> str:
    """A run still going, as ``/positions`` lists it under its position: ``⏱ TWAP 4/10, avg 64,210``."""
    return "⏱ " + _("{algo} {done}/{slices}, avg {price}").format(**_algo_values(kind, entry, done, slices, avg_price))


def _algo_values(kind: str, entry: bool, done: int, slices: int, avg_price: Decimal | None) -> dict[str, object]:
    name = "TWAP" if kind == "twap" else _("Iceberg")
    if not entry:
        name = _("{algo} exit").format(algo=name)
    return {"algo": name, "done": done, "slices": slices, "price": fmt.price(avg_price)}


def final(signal: Signal, status_line: str, *, paper: bool, now: datetime | None = None) -> str:
    """The card after its outcome: same facts, no buttons, the outcome underneath."""
    return card_body(signal, paper=paper, now=now) + "\n\n" + status_line


def drift(old_entry: Decimal, signal: Signal, new_price: Decimal | None, *, paper: bool,
          now: datetime | None = None, stake: Stake | None = None) -> str:
    """The re-planned card after the price drifted: show the new price and ask again."""
    price_now = new_price if new_price is not None else signal.entry
    head = "⚠️ " + _("The price moved from {old} to {new} ({pct}) since the card. "
                     "The plan below uses the new price: confirm again?").format(
        old=fmt.price(old_entry), new=fmt.price(price_now), pct=fmt.pct(fmt.change_pct(old_entry, price_now)))
    return head + "\n\n" + card_body(signal, paper=paper, now=now, stake=stake)
