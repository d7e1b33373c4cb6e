"""Answers to reading commands: /start, /help, /status, /positions, /balance, /pnl, /history, /scan."""

from __future__ import annotations

from datetime import datetime

from aiogram.utils.i18n import gettext as _

from bot import format as fmt
from bot.presenters import cards
from bot.presenters.words import (
    CLOSE,
    MODE,
    PAUSE,
    STATE,
    duration,
    paper_tag,
    result_icon,
    side_icon,
    side_word,
    word,
)
from engine.domain.markets import SHANGHAI, is_ashare_symbol
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
        ("/profit", _("return, win rate, profit factor, best and worst pair")),
        ("/daily [n] · /weekly [n]", _("PnL per day or per week, with a chart")),
        ("/performance", _("PnL per pair")),
        ("/version", _("version, mode and exchange")),
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
    ccy = bal.currency if bal is not None else ""
    if bal is not None:
        lines.append(_("Equity: {equity}").format(equity=fmt.esc(fmt.money(bal.equity, ccy))))
    lines.append(_("Open positions: {n}").format(n=view.open_positions))
    day_base = bal.equity - view.today_pnl if bal is not None else None
    lines.append(_("Today's PnL: {pnl}").format(pnl=fmt.esc(fmt.pnl(view.today_pnl, ccy, day_base))))
    lines.append(_("Next scan: {when}").format(when=fmt.when(view.next_scan, now)))
    lines.append(_("Symbols watched: {n}").format(n=view.symbols))
    lines.append("")
    lines.append(activity(view, now))
    return "\n".join(lines)


def activity(view: StatusView, now: datetime | None = None) -> str:
    """What the bot is doing now, in one line."""
    if view.venue_down_since is not None:
        return "📡 " + _("Now: waiting for the exchange to answer; open positions keep their orders on it.")
    if view.trading_state != "active":
        return "⏸ " + _("Now: no new entries; managing {n} open position(s).").format(n=view.open_positions)
    if view.mode == "signal-only":
        doing = _("Now: scanning {symbols} markets and sending signal cards only (no orders).")
    elif view.mode == "auto":
        doing = _("Now: scanning {symbols} markets and trading the signals automatically.")
    else:
        doing = _("Now: scanning {symbols} markets and sending signal cards for you to confirm.")
    text = "🔎 " + doing.format(symbols=view.symbols)
    if view.open_positions:
        text += " " + _("Managing {n} open position(s).").format(n=view.open_positions)
    return text


def targets_hit(position: Position) -> str:
    total = len(position.targets)
    hit = ", ".join(f"TP{n}" for n in range(1, position.targets_hit + 1))
    return _("targets hit: {hit}").format(hit=hit or "—") + f" ({position.targets_hit}/{total})"


def position_line(view: PositionView, paper: bool, now: datetime | None = None) -> str:
    """An open position: PnL and %, time open, distance from the mark to the stop and to the next target."""
    pos = view.position
    head = (f"{side_icon(pos.side)} <b>{side_word(pos.side)} {fmt.esc(pos.symbol)}</b> ×{pos.leverage}"
            f"{fmt.esc(paper_tag(paper))}")
    lines = [head]
    pnl = fmt.position_pnl(view.unrealized, pos.symbol, pos.entry_price, pos.remaining, pos.leverage)
    lines.append(_("PnL {pnl}").format(pnl=f"<b>{fmt.esc(pnl)}</b>"))
    lines.append(_("Entry {entry} · mark {mark}").format(entry=fmt.price(pos.entry_price), mark=fmt.price(view.mark)))
    ref = view.mark if view.mark is not None else pos.entry_price
    stop = _("Stop {price} ({pct})").format(price=fmt.price(pos.stop_price),
                                            pct=fmt.pct(fmt.change_pct(ref, pos.stop_price)))
    if pos.breakeven:
        stop += " · " + _("breakeven")
    lines.append(stop)
    if pos.targets_hit < len(pos.targets):
        target = pos.targets[pos.targets_hit]
        lines.append(_("Next: TP{n} {price} ({pct})").format(
            n=pos.targets_hit + 1, price=fmt.price(target.price), pct=fmt.pct(fmt.change_pct(ref, target.price))))
    lines.append(fmt.esc(targets_hit(pos)))
    opened = pos.opened_at or pos.created_at
    if now is not None and opened is not None:
        lines.append(_("Open for {duration}").format(duration=duration((now - opened).total_seconds())))
    if is_ashare_symbol(pos.symbol):
        lines.append(_("Size {qty} shares (open {remaining}) · CNY").format(qty=fmt.qty(pos.qty),
                                                                          remaining=fmt.qty(pos.remaining)))
    else:
        lines.append(_("Size {qty} (open {remaining})").format(qty=fmt.qty(pos.qty), remaining=fmt.qty(pos.remaining)))
    lines += [cards.running_line(r.kind, r.entry, r.done, r.slices, r.avg_price) for r in view.running]
    if view.sellable_from is not None:
        lines.append(_("Cannot exit yet (T+1): stop and targets armed from {when}").format(
            when=fmt.esc(view.sellable_from.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")) + " Asia/Shanghai"))
    return "\n".join(lines)


def no_positions() -> str:
    return _("No open positions.")


def balance(bal: Balance, paper: bool) -> str:
    lines = ["<b>" + fmt.esc(_("Balance")) + "</b>" + fmt.esc(paper_tag(paper))]
    lines.append(_("Wallet: {v}").format(v=fmt.esc(fmt.money(bal.wallet, bal.currency))))
    lines.append(_("Equity: {equity}").format(equity=fmt.esc(fmt.money(bal.equity, bal.currency))))
    lines.append(_("Free: {v}").format(v=fmt.esc(fmt.money(bal.free, bal.currency))))
    return "\n".join(lines)


def period_name(period: str) -> str:
    names = {"today": _("today"), "7d": _("7 days"), "30d": _("30 days"), "all": _("all time")}
    return names.get(period, period)


def pnl(stats: PnlStats, currency: str) -> str:
    lines = ["<b>" + fmt.esc(_("PnL, {period}").format(period=period_name(stats.period))) + "</b>"]
    base = stats.equity_curve[-1][1] - stats.net_pnl if stats.equity_curve else None
    lines.append(_("Net: {pnl} (fees {fees})").format(
        pnl=fmt.esc(fmt.pnl(stats.net_pnl, currency, base)), fees=fmt.esc(fmt.money(stats.fees, currency))))
    lines.append(_("Trades: {n} · won {wins} · lost {losses} · win rate {rate}").format(
        n=stats.trades, wins=stats.wins, losses=stats.losses, rate=fmt.pct(stats.win_rate * 100, signed=False, places=0)))
    return "\n".join(lines)


def pnl_usage() -> str:
    return _("Usage: /pnl [today|7d|30d|all]")


def history(positions: list[Position]) -> str:
    if not positions:
        return _("No closed trades yet.")
    title = _("Last closed trade") if len(positions) == 1 else _("Last {n} closed trades").format(n=len(positions))
    lines = ["<b>" + fmt.esc(title) + "</b>"]
    for pos in positions:
        exit_price = pos.exits[-1].price if pos.exits else None
        reason = word(CLOSE, pos.close_reason) if pos.close_reason else "—"
        pnl = fmt.position_pnl(pos.realized_pnl, pos.symbol, pos.entry_price, pos.qty, pos.leverage)
        lines.append(
            f"{result_icon(pos.realized_pnl)} {fmt.esc(pos.symbol)} {side_word(pos.side)} "
            f"{fmt.price(pos.entry_price)} → {fmt.price(exit_price)} · "
            f"<b>{fmt.esc(pnl)}</b> · {fmt.esc(reason)} · {fmt.when(pos.closed_at)}")
    return "\n".join(lines)


def history_usage() -> str:
    return _("Usage: /history [n], n from 1 to 50")


def scan_result(result: ScanResult) -> str:
    text = _("Scanned {symbols} symbols: {n} signal(s).").format(symbols=result.symbols, n=len(result.raised))
    if result.errors:
        text += "\n" + _("Failed: {list}").format(list=fmt.esc(", ".join(result.errors[:10])))
    return text
