"""The cross-venue hedge in words: alerts of a round's steps, /hedge start, stop and status."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from bot import format as fmt
from bot.presenters.words import paper_tag, side_word
from engine.domain.hedge import HedgeAlert, HedgeEvent, HedgeLeg, HedgeRound, LegExit
from engine.facade import HedgeStart, HedgeStatus


def _reason(reason: LegExit | None) -> str:
    return {LegExit.STOP: _("stop"), LegExit.TAKE_PROFIT: _("take-profit"), LegExit.FORCE: _("forced close"),
            LegExit.UNWIND: _("unwound")}.get(reason, "") if reason else ""


def alert(ev: HedgeEvent) -> str:
    """One alert per step of a round, in the chat's language."""
    tag = fmt.esc(paper_tag(ev.paper))
    head = {
        HedgeAlert.OPENED: ("🔀", _("Hedge opened")),
        HedgeAlert.LEG_STOPPED: ("🛑", _("Hedge leg stopped")),
        HedgeAlert.LIMIT_PLACED: ("🎯", _("Hedge take-profit placed")),
        HedgeAlert.LIMIT_FILLED: ("✅", _("Hedge take-profit filled")),
        HedgeAlert.FORCED: ("⏱", _("Hedge leg closed by force")),
        HedgeAlert.UNWOUND: ("↩️", _("Hedge unwound: the other leg did not open")),
        HedgeAlert.ENDED: ("🏁", _("Hedge round ended")),
        HedgeAlert.FAILED: ("🚫", _("Hedge not opened")),
        HedgeAlert.VENUE_DOWN: ("📡", _("Hedge venue unreachable")),
    }[ev.kind]
    lines = [f"{head[0]} <b>{fmt.esc(head[1])}</b> · {fmt.esc(ev.symbol)}{tag}"]
    d = ev.detail
    if ev.kind is HedgeAlert.OPENED:
        lines.append(_("Short {qty} on {short} at {s_entry} · long on {long} at {l_entry}").format(
            qty=fmt.esc(d.get("qty", "")), short=fmt.esc(d.get("short", "")), long=fmt.esc(d.get("long", "")),
            s_entry=fmt.esc(d.get("short_entry", "")), l_entry=fmt.esc(d.get("long_entry", ""))))
    elif ev.kind is HedgeAlert.ENDED:
        lines.append(_("Round PnL {pnl} (fees {fees})").format(pnl=fmt.money(ev.pnl, signed=True),
                                                              fees=fmt.esc(d.get("fees", "0"))))
    elif ev.kind is HedgeAlert.VENUE_DOWN:
        lines.append(_("{venue} does not answer; the other leg keeps its own protection. I keep trying.").format(
            venue=fmt.esc(ev.venue or "")))
    elif ev.kind is HedgeAlert.FAILED:
        lines.append(_("Neither leg opened on {venues}; nothing is open.").format(venues=fmt.esc(ev.venue or "")))
    else:
        where = _("on {venue}").format(venue=fmt.esc(ev.venue or ""))
        line = where + (f" · {fmt.price(ev.price)}" if ev.price is not None else "")
        if ev.pnl is not None:
            line += " · " + _("PnL {pnl}").format(pnl=fmt.money(ev.pnl, signed=True))
        lines.append(line)
    return "\n".join(lines)


def _leg(leg: HedgeLeg, price: object) -> str:
    text = f"{side_word(leg.side)} {fmt.qty(leg.qty)} · {fmt.esc(leg.venue)} · " + _("entry {entry}").format(
        entry=fmt.price(leg.entry))
    if leg.is_open:
        text += " · " + _("now {price}").format(price=fmt.price(price))  # type: ignore[arg-type]
        if price is not None:
            text += f" ({fmt.pct(leg.pnl_pct(price))})"  # type: ignore[arg-type]
        if leg.tp_active:
            text += " · " + _("take-profit {price}").format(price=fmt.price(leg.tp_price))
    else:
        text += " · " + _("exit {price}").format(price=fmt.price(leg.exit)) + f" ({fmt.esc(_reason(leg.reason))})"
        text += " · " + _("PnL {pnl}").format(pnl=fmt.money(leg.pnl, signed=True))
    return text


def status(view: HedgeStatus, paper: bool) -> str:
    rnd: HedgeRound | None = view.round
    if rnd is None:
        return _("No hedge round yet. Start one with /hedge start SYMBOL [SIZE].")
    state = _("under way") if rnd.is_active else _("ended")
    lines = [f"🔀 <b>{fmt.esc(_('Hedge'))}</b> · {fmt.esc(rnd.symbol)} · {fmt.esc(state)}{fmt.esc(paper_tag(paper))}"]
    for leg in rnd.legs:
        lines.append("• " + _leg(leg, view.prices.get(leg.role)))
    if view.spread_pct is not None:
        lines.append(_("Spread {spread}").format(spread=fmt.pct(view.spread_pct)))
    lines.append(_("Realized PnL {pnl} · open PnL {open}").format(pnl=fmt.money(rnd.pnl, signed=True),
                                                                 open=fmt.money(view.unrealized, signed=True)))
    if view.venues_down:
        lines.append(_("Unreachable: {venues}").format(venues=fmt.esc(", ".join(view.venues_down))))
    return "\n".join(lines)


def started(result: HedgeStart) -> str:
    d = result.detail or {}
    if result.code == "started" and result.round is not None:
        return _("Hedge round {id} started on {symbol}.").format(id=result.round.id, symbol=fmt.esc(result.round.symbol))
    if result.code == "unwound":
        return _("One leg did not open: the other was closed at once. Nothing is open.")
    if result.code == "failed":
        return _("Neither leg opened; nothing is open.")
    if result.code == "replay":
        return _("The hedge needs live prices (SP_MARKET__SOURCE=live); on replayed candles use signalpilot hedge.")
    if result.code == "busy":
        return _("A hedge round is already under way: /hedge status, or /hedge stop first.")
    if result.code == "paused":
        return _("Trading is paused: no new hedge round until /resume.")
    if result.code == "symbol":
        return _("{symbol} is not traded on both hedge venues.").format(symbol=fmt.esc(d.get("symbol", "")))
    if result.code == "venue":
        return _("A hedge venue is not set up or does not answer ({what}).").format(
            what=fmt.esc(d.get("venue") or d.get("error") or ""))
    if d.get("code") in ("below_min_qty", "below_min_notional"):
        return _("The size is too small for {venue}: raise it (e.g. /hedge start SYMBOL 50).").format(
            venue=fmt.esc(d.get("venue", "")))
    return _("No price yet on {venue}; try again in a moment.").format(venue=fmt.esc(d.get("venue", "")))


def usage() -> str:
    return _("Use /hedge start SYMBOL [SIZE], /hedge stop or /hedge status.")


def stop_prompt(rnd: HedgeRound) -> str:
    return _("Close both legs of hedge {id} on {symbol} at market?").format(id=rnd.id, symbol=fmt.esc(rnd.symbol))


def stopped(done: bool) -> str:
    return _("Closing both hedge legs at market.") if done else _("No hedge round is under way.")


def kept() -> str:
    return _("The hedge stays open.")
