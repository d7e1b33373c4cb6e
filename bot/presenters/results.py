"""Results over time: /profit, /daily and /weekly, /performance, /version, and the one line the
admins get when SignalPilot starts or stops."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from bot import format as fmt
from bot.presenters.words import MODE, duration, result_icon, word
from engine.facade import About, PairResult, Performance, PeriodTable, ProfitView


def _pair(pair: PairResult, currency: str) -> str:
    return (f"{fmt.esc(pair.symbol)} {fmt.esc(fmt.money(pair.net_pnl, currency, signed=True))}"
            f" ({fmt.pct(pair.return_pct)})")


def profit(view: ProfitView) -> str:
    ccy = view.currency
    lines = ["💰 <b>" + fmt.esc(_("Profit, all closed trades")) + "</b>"]
    if not view.trades:
        lines.append(_("No closed trades yet."))
        return "\n".join(lines)
    lines.append(_("Return: {pct} ({pnl})").format(
        pct=f"<b>{fmt.pct(view.return_pct)}</b>", pnl=fmt.esc(fmt.money(view.net_pnl, ccy, signed=True))))
    lines.append(_("Fees paid: {fees}").format(fees=fmt.esc(fmt.money(view.fees, ccy))))
    lines.append(_("Trades: {n} · won {wins} · lost {losses} · win rate {rate}").format(
        n=view.trades, wins=view.wins, losses=view.losses, rate=fmt.pct(view.win_rate, signed=False, places=0)))
    factor = f"{view.profit_factor:.2f}" if view.profit_factor is not None else _("no losing trade")
    lines.append(_("Profit factor: {factor}").format(factor=factor))
    lines.append(_("Average duration: {duration}").format(duration=duration(view.avg_duration_s)))
    if view.best is not None:
        lines.append(_("Best pair: {pair}").format(pair=_pair(view.best, ccy)))
    if view.worst is not None:
        lines.append(_("Worst pair: {pair}").format(pair=_pair(view.worst, ccy)))
    if view.first_trade_at is not None:
        lines.append(_("Since {when}").format(when=fmt.when(view.first_trade_at)))
    return "\n".join(lines)


def period_title(kind: str) -> str:
    return fmt.esc(_("Daily PnL") if kind == "daily" else _("Weekly PnL"))


def periods(table: PeriodTable) -> str:
    """A monospace table: one row per day (or week), its trades, PnL and return."""
    title = _("Daily PnL") if table.kind == "daily" else _("Weekly PnL")
    head = (_("Day") if table.kind == "daily" else _("Week"), _("Trades"), _("PnL") + f" {table.currency}", "%")
    body = [(row.start.isoformat(), str(row.trades), fmt.amounts.number(row.net_pnl, table.currency, signed=True),
             fmt.pct(row.return_pct)) for row in reversed(table.rows)]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(4)]
    text_rows = ["  ".join([r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)])
                 for r in [head, *body]]
    icons = ["  "] + [result_icon(row.net_pnl) if row.trades else "⚪" for row in reversed(table.rows)]
    table_text = "\n".join(f"{icon} {line}" for icon, line in zip(icons, text_rows, strict=True))
    return "📅 <b>" + fmt.esc(title) + "</b>\n<pre>" + fmt.esc(table_text) + "</pre>"


def periods_usage(kind: str) -> str:
    return _("Usage: /{command} [n], n from 1 to 60").format(command=kind)


def performance(perf: Performance) -> str:
    lines = ["🏆 <b>" + fmt.esc(_("Performance per pair")) + "</b>"]
    if not perf.pairs:
        lines.append(_("No closed trades yet."))
        return "\n".join(lines)
    for n, pair in enumerate(perf.pairs, start=1):
        lines.append(f"{n}. {result_icon(pair.net_pnl)} " + _pair(pair, perf.currency) + " · "
                     + _("trades: {n}, won: {wins}").format(n=pair.trades, wins=pair.wins))
    return "\n".join(lines)


def _where(about: About) -> str:
    kind = _("paper") if about.paper else _("LIVE")
    return _("{kind} · mode {mode} · {venue} · {markets} markets").format(
        kind=kind, mode=word(MODE, about.mode), venue=about.venue, markets=about.markets)


def version(about: About) -> str:
    return "ℹ️ <b>SignalPilot " + fmt.esc(about.version) + "</b>\n" + fmt.esc(_where(about))


def started(about: About) -> str:
    return "🟢 " + fmt.esc(_("SignalPilot {version} started: {where}.").format(
        version=about.version, where=_where(about)))


def stopped(about: About) -> str:
    return "🔴 " + fmt.esc(_("SignalPilot {version} stopped: {where}.").format(
        version=about.version, where=_where(about)))
