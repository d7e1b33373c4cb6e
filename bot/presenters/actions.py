"""Answers to admin actions and to malformed input: close, panic, pause, settings, language,
refusals and errors."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from bot import format as fmt
from bot.presenters.words import CLOSE_FAIL, SETTING, order_leg, paper_tag, side_word, word
from engine.domain.events import PanicCompleted
from engine.domain.models import Position
from engine.facade import CloseResult, SettingUpdate


def refusal(user_id: int | None = None) -> str:
    """A stranger's refusal; in a chat it carries their user id, which an owner setting the bot up needs."""
    text = "⛔ " + _("Sorry, this bot is private.")
    if user_id is not None:
        text += "\n" + _("Your Telegram user id is {user_id}.").format(user_id=user_id)
    return text


def admins_only() -> str:
    return "⛔ " + _("Only admins can do that.")


def slow_down() -> str:
    return _("Too many requests: please wait a few seconds.")


def unknown_command() -> str:
    return _("Unknown command. Send /help for the list.")


def not_a_command() -> str:
    return _("I only understand commands. Send /help for the list.")


def stale_button() -> str:
    return _("This button is no longer valid.")


def internal_error() -> str:
    return "⚠️ " + _("Something went wrong; it has been logged. Please try again.")


def unknown_symbol(text: str) -> str:
    return _("Unknown symbol: {symbol}. Try for example ETH/BTC.").format(symbol=fmt.esc(text))


def symbol_needed(command: str) -> str:
    return _("Which symbol? Usage: {usage}").format(usage=fmt.esc(command))


def unknown_timeframe(text: str) -> str:
    return _("Unknown timeframe: {tf}. Use for example 5m, 15m, 1h, 4h or 1d.").format(tf=fmt.esc(text))


def no_data(symbol: str) -> str:
    return _("No market data for {symbol} yet.").format(symbol=fmt.esc(symbol))


def scanning() -> str:
    return "🔎 " + _("Scanning…")


# --- signals ---------------------------------------------------------------------------------
def toast_opened() -> str:
    return _("Position opened.")


def toast_submitted() -> str:
    return _("Entry order sent.")


def toast_already() -> str:
    return _("Already confirmed: nothing new was done.")


def toast_rejected() -> str:
    return _("Not opened.")


def toast_drift() -> str:
    return _("The price moved: check the new plan.")


def toast_below_minimum(minimum: float) -> str:
    return _("Below your minimum score ({n}). Tap Confirm again to open it anyway.").format(n=round(minimum))


def toast_cancelled() -> str:
    return _("Cancelled.")


def toast_expired() -> str:
    return _("This signal has expired.")


def toast_cancel_failed() -> str:
    return _("This signal can no longer be cancelled.")


# --- positions -------------------------------------------------------------------------------
def close_prompt(position: Position, paper: bool) -> str:
    return "❓ " + _("Close {side} {symbol} at market?").format(
        side=side_word(position.side), symbol=fmt.esc(position.symbol)) + fmt.esc(paper_tag(paper))


def no_open_position(symbol: str) -> str:
    return _("No open position on {symbol}.").format(symbol=fmt.esc(symbol))


def close_kept() -> str:
    return _("Kept open.")


def close_done(result: CloseResult) -> str:
    pos = result.position
    if result.ok and pos is not None:
        return "✅ " + _("Closed {symbol}: PnL {pnl}.").format(
            symbol=fmt.esc(pos.symbol),
            pnl=fmt.position_pnl(pos.realized_pnl, pos.symbol, pos.entry_price, pos.qty, pos.leverage))
    why = word(CLOSE_FAIL, result.detail) if result.detail else "?"
    return "⚠️ " + _("Could not close: {why}.").format(why=fmt.esc(why))


# --- panic / pause ---------------------------------------------------------------------------
def panic_prompt(seconds: int) -> str:
    return "🚨 " + _("Panic: cancel every open order, close every position at market and pause new "
                     "entries? Tap the red button within {n} s.").format(n=seconds)


def panic_expired() -> str:
    return _("Panic request expired; nothing was done. Send /panic again if needed.")


def panic_running() -> str:
    return _("Panic is already running.")


def panic_result(done: PanicCompleted) -> str:
    lines = ["🚨 <b>" + fmt.esc(_("Panic done")) + "</b>" + fmt.esc(paper_tag(done.paper))]
    if not done.items:
        lines.append(_("Nothing was open."))
    for item in done.items:
        kind = _("position") if item.kind == "position" else _("order")
        leg = order_leg(item.ref) if item.kind == "order" else ""
        symbol = item.symbol + (f" ({leg})" if leg else "")
        if item.ok:
            line = "✅ " + _("{kind} {symbol}: closed").format(kind=kind, symbol=fmt.esc(symbol))
            if item.kind == "position":
                line += ", " + _("PnL {pnl}").format(pnl=fmt.esc(fmt.pnl(item.pnl, fmt.quote_of(item.symbol), item.margin)))
            elif item.kind == "order":
                line = "✅ " + _("{kind} {symbol}: cancelled").format(kind=kind, symbol=fmt.esc(symbol))
        else:
            line = "❌ " + _("{kind} {symbol}: failed ({why})").format(
                kind=kind, symbol=fmt.esc(symbol), why=fmt.esc(item.detail or "?"))
        lines.append(line)
    lines.append(_("New entries are paused. Send /resume to trade again."))
    return "\n".join(lines)


def paused(changed: bool) -> str:
    return "⏸ " + (_("New entries paused. Open positions are still managed.") if changed
                   else _("Already paused."))


def resumed(changed: bool) -> str:
    return "▶️ " + (_("Trading resumed.") if changed else _("Trading was not paused."))


# --- settings --------------------------------------------------------------------------------
def setting_source(source: str) -> str:
    return {"chat": _("set in chat"), "env": _("from the environment"), "default": _("default")}.get(source, source)


def settings_menu(values: dict[str, str], sources: dict[str, str] | None = None) -> str:
    lines = ["⚙️ <b>" + fmt.esc(_("Settings")) + "</b>"]
    for key, value in values.items():
        line = f"{fmt.esc(word(SETTING, key))}: <b>{fmt.esc(value)}</b>"
        if sources and key in sources:
            line += " · " + fmt.esc(setting_source(sources[key]))
        lines.append(line)
    lines.append("")
    lines.append(_("A value set in chat wins over the environment until it is changed again in chat."))
    lines.append(_("Tap a setting to change it, or send /settings KEY VALUE."))
    return "\n".join(lines)


def settings_choose(key: str, current: str) -> str:
    return _("{name}: now {value}. Choose a new value:").format(
        name=fmt.esc(word(SETTING, key)), value=fmt.esc(current))


def setting_saved(update: SettingUpdate) -> str:
    return "✅ " + _("{name} set to {value}.").format(
        name=fmt.esc(word(SETTING, update.key)), value=fmt.esc(update.value or ""))


def setting_failed(update: SettingUpdate) -> str:
    if update.error == "unknown_key":
        text = _("Unknown setting: {key}.").format(key=fmt.esc(update.key))
    else:
        text = _("Invalid value for {name}.").format(name=fmt.esc(word(SETTING, update.key)))
    if update.detail:
        text += " " + _("Allowed: {detail}.").format(detail=fmt.esc(update.detail))
    return "⚠️ " + text


def auto_prompt() -> str:
    return "⚠️ " + _("Switch to auto mode? Every signal at or above the minimum score will be traded "
                     "without asking you. Tap the button to switch.")


def settings_usage(keys: list[str]) -> str:
    return _("Usage: /settings KEY VALUE. Keys: {keys}").format(keys=fmt.esc(", ".join(keys)))


# --- language --------------------------------------------------------------------------------
def lang_set() -> str:
    return _("Language: English.")


def lang_usage() -> str:
    return _("Choose a language: /lang en or /lang zh")


def close_done_missing() -> str:
    return _("This position is no longer open.")
