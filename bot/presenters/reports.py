"""Answers to reading commands: /start, /help, /status, /positions, /balance, /pnl, /history, /scan."""

from __future__ import annotations

from datetime import datetime

from aiogram.utils.i18n import gettext as _

from bot import format as fmt
from bot.presenters.words import CLOSE, MODE, PAUSE, STATE, paper_tag, side_icon, side_word, word
from engine.domain.models import Balance, Position
from engine.facade import PnlStats, PositionView, ScanResult, StatusView


def start(name: str, admin: bool, user_id: int | None = None) -> str:
    hello = _("Hello, {name}! I am SignalPilot: I scan futures markets, send signal cards and "
              "manage the trades you confirm.").format(name=fmt.esc(name))
    role = _("You are an admin: you can trade and change settings.") if admin else _(
        "You can read status, positions and charts.")
    text = hello + "\n" + role + "\n\n" + _("Send /help for the list of commands.")
    if user_id is not None:
        text += "\n" + _("Your Telegram user id: {user_id}").format(user_id=f"<code>{user_id}</code>")
    return text


def help_text(admin: bool) -> str:
    lines = ["<b>" + fmt.esc(_("Commands")) + "</b>"]
    rows = [
        ("/status", _("mode, equity, open positions, today's PnL, next scan")),
        ("/positions", _("open positions")),
        ("/balance", _("wallet, equity and free margin")),
        ("/pnl [today|7d|30d|all]", _("profit and loss with a chart")),
        ("/history [n]", _("the last closed trades")),
        ("/chart SYMBOL [timeframe]", _("candlestick chart with the trade's levels")),
        ("/lang en|zh", _("language")),
    ]
    admin_rows = [
        ("/scan", _("scan the market now")),
        ("/signal SYMBOL", _("analyse one symbol and send its card")),
        ("/close SYMBOL [50%|QTY]", _("close a position, or part of it, at market")),
        ("/stop SYMBOL PRICE", _("move the stop (looser only with a second, warned tap)")),
        ("/be SYMBOL", _("move the stop to breakeven now")),
        ("/tp SYMBOL N PRICE", _("move target N")),
        ("/add SYMBOL QTY", _("add to a position (through the risk checks)")),
        ("/pause", _("pause new entries")),
        ("/resume", _("resume new entries")),
        ("/settings", _("runtime settings")),
        ("/panic", _("cancel every order and close every position")),
        ("/backup", _("a backup of the database, as a file")),
        ("/export", _("closed trades as a CSV file")),
    ]
    for cmd, what in rows:
        lines.append(f"{fmt.esc(cmd)} — {fmt.esc(what)}")
    if admin:
        lines.append("")
        lines.append("<b>" + fmt.esc(_("Admin")) + "</b>")
        for cmd, what in admin_rows:
            lines.append(f"{fmt.esc(cmd)} — {fmt.esc(what)}")
    return "\n".join(lines)


def status(view: StatusView, now: datetime | None = None) -> str:
    kind = _("paper") if view.paper else _("LIVE")
    lines = ["<b>" + fmt.esc(_("Status")) + "</b> · " + fmt.esc(kind)]
    lines.append(_("Mode: {mode}").format(mode=fmt.esc(word(MODE, view.mode))))
    state = word(STATE, view.trading_state)
    if view.trading_state != "active":
        reason = word(PAUSE, view.pause_reason) if view.pause_reason else ""
        state += f" ({reason})" if reason else ""
        if view.paused_until is not None:
            state += " " + _("until {when}").format(when=fmt.when(view.paused_until, now))
    lines.append(_("Trading: {state}").format(state=fmt.esc(state)))
    if view.venue_down_since is not None:
        lines.append("⚠️ " + _("Exchange unreachable since {when}: retrying; scanning and trading resume "
                               "when it answers.").format(when=fmt.when(view.venue_down_since, now)))
    bal = view.balance
    ccy = fmt.esc(bal.currency) if bal is not None else ""
    if bal is not None:
        lines.append(_("Equity: {equity} {ccy}").format(equity=fmt.money(bal.equity), ccy=ccy))
    lines.append(_("Open positions: {n}").format(n=view.open_positions))
    lines.append(_("Today's PnL: {pnl} {ccy}").format(pnl=fmt.money(view.today_pnl, signed=True), ccy=ccy).rstrip())
    lines.append(_("Next scan: {when}").format(when=fmt.when(view.next_scan, now)))
    lines.append(_("Symbols watched: {n}").format(n=view.symbols))
    return "\n".join(lines)


def targets_hit(position: Position) -> str:
    total = len(position.targets)
    hit = ", ".join(f"TP{n}" for n in range(1, position.targets_hit + 1))
    return _("targets hit: {hit}").format(hit=hit or "—") + f" ({position.targets_hit}/{total})"


def position_line(view: PositionView, paper: bool) -> str:
    pos = view.position
    head = (f"{side_icon(pos.side)} <b>{side_word(pos.side)} {fmt.esc(pos.symbol)}</b> ×{pos.leverage}"
            f"{fmt.esc(paper_tag(paper))}")
    lines = [head]
    lines.append(_("Entry {entry} · mark {mark} · PnL {pnl}").format(
        entry=fmt.price(pos.entry_price), mark=fmt.price(view.mark), pnl=fmt.money(view.unrealized, signed=True)))
    stop = _("Stop {price}").format(price=fmt.price(pos.stop_price))
    if pos.breakeven:
        stop += " (" + _("breakeven") + ")"
    lines.append(stop + " · " + fmt.esc(targets_hit(pos)))
    lines.append(_("Size {qty} (open {remaining})").format(qty=fmt.qty(pos.qty), remaining=fmt.qty(pos.remaining)))
    return "\n".join(lines)


def no_positions() -> str:
    return _("No open positions.")


def balance(bal: Balance, paper: bool) -> str:
    lines = ["<b>" + fmt.esc(_("Balance")) + "</b>" + fmt.esc(paper_tag(paper))]
    lines.append(_("Wallet: {v} {ccy}").format(v=fmt.money(bal.wallet), ccy=fmt.esc(bal.currency)))
    lines.append(_("Equity: {equity} {ccy}").format(equity=fmt.money(bal.equity), ccy=fmt.esc(bal.currency)))
    lines.append(_("Free: {v} {ccy}").format(v=fmt.money(bal.free), ccy=fmt.esc(bal.currency)))
    return "\n".join(lines)


def period_name(period: str) -> str:
    names = {"today": _("today"), "7d": _("7 days"), "30d": _("30 days"), "all": _("all time")}
    return names.get(period, period)


def pnl(stats: PnlStats, currency: str) -> str:
    lines = ["<b>" + fmt.esc(_("PnL, {period}").format(period=period_name(stats.period))) + "</b>"]
    lines.append(_("Net: {pnl} {ccy} (fees {fees})").format(
        pnl=fmt.money(stats.net_pnl, signed=True), ccy=fmt.esc(currency), fees=fmt.money(stats.fees)))
    lines.append(_("Trades: {n} · won {wins} · lost {losses} · win rate {rate}").format(
        n=stats.trades, wins=stats.wins, losses=stats.losses, rate=fmt.pct(stats.win_rate * 100, signed=False, places=0)))
    return "\n".join(lines)


def pnl_usage() -> str:
    return _("Usage: /pnl [today|7d|30d|all]")


def history(positions: list[Position]) -> str:
    if not positions:
        return _("No closed trades yet.")
    lines = ["<b>" + fmt.esc(_("Last {n} closed trades").format(n=len(positions))) + "</b>"]
    for pos in positions:
        exit_price = pos.exits[-1].price if pos.exits else None
        reason = word(CLOSE, pos.close_reason) if pos.close_reason else "—"
        lines.append(
            f"{side_icon(pos.side)} {fmt.esc(pos.symbol)} {side_word(pos.side)} "
            f"{fmt.price(pos.entry_price)} → {fmt.price(exit_price)} · "
            f"<b>{fmt.money(pos.realized_pnl, signed=True)}</b> · {fmt.esc(reason)} · {fmt.when(pos.closed_at)}")
    return "\n".join(lines)


def history_usage() -> str:
    return _("Usage: /history [n], n from 1 to 50")


def scan_result(result: ScanResult) -> str:
    text = _("Scanned {symbols} symbols: {n} signal(s).").format(symbols=result.symbols, n=len(result.raised))
    if result.errors:
        text += "\n" + _("Failed: {list}").format(list=fmt.esc(", ".join(result.errors[:10])))
    return text
