"""Inline keyboards. Button labels are translated; callback data comes from ``bot.callbacks``."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.callbacks import (
    AdjustAction,
    AdjustCb,
    HedgeAction,
    HedgeCb,
    LangCb,
    PanicAction,
    PanicCb,
    PositionAction,
    PositionCb,
    SettingsAction,
    SettingsCb,
    SignalAction,
    SignalCb,
)
from bot.presenters.words import SETTING, word

# Preset choices per runtime setting; any other valid value can be sent with /settings KEY VALUE.
SETTING_CHOICES: dict[str, tuple[str, ...]] = {
    "execution_mode": ("signal-only", "confirm", "auto"),
    "min_score": ("60", "65", "70", "75", "80", "85", "90"),
    "max_leverage": ("1", "2", "3", "5", "10", "20"),
    "risk_per_trade_pct": ("0.25", "0.5", "1", "1.5", "2", "3"),
    "max_positions": ("1", "2", "3", "5", "8", "10"),
    "scan_interval_min": ("5", "15", "30", "60", "120", "240"),
    "chart_theme": ("dark", "light"),
}


def _button(text: str, data: str, style: str | None = None) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data, style=style)


def signal_card(signal_id: str, twap: bool = False) -> InlineKeyboardMarkup:
    """Confirm / Cancel; with ``twap`` (SP_RISK__TWAP_BUTTON) an "Execute as TWAP" row under them."""
    rows = [[
        _button("✅ " + _("Confirm"), SignalCb(action=SignalAction.CONFIRM, id=signal_id).pack(), "success"),
        _button("❌ " + _("Cancel"), SignalCb(action=SignalAction.CANCEL, id=signal_id).pack(), "danger"),
    ]]
    if twap:
        rows.append([_button("⏱ " + _("Execute as TWAP"), SignalCb(action=SignalAction.TWAP, id=signal_id).pack())])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def signal_card_low(signal_id: str) -> InlineKeyboardMarkup:
    """A card scoring below the minimum: Confirm takes a second tap (the first one only warns)."""
    return InlineKeyboardMarkup(inline_keyboard=[[
        _button("⚠️ " + _("Confirm"), SignalCb(action=SignalAction.CONFIRM_LOW, id=signal_id).pack()),
        _button("❌ " + _("Cancel"), SignalCb(action=SignalAction.CANCEL, id=signal_id).pack(), "danger"),
    ]])


def position_close(position_id: str, label: str) -> list[InlineKeyboardButton]:
    return [_button("✖️ " + _("Close {symbol}").format(symbol=label),
                    PositionCb(action=PositionAction.CLOSE, id=position_id).pack())]


def positions(rows: list[tuple[str, str]]) -> InlineKeyboardMarkup | None:
    """One Close button per (position id, symbol)."""
    if not rows:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[position_close(pid, label) for pid, label in rows])


def close_confirm(position_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        _button("✅ " + _("Yes, close"), PositionCb(action=PositionAction.YES, id=position_id).pack(), "danger"),
        _button("↩️ " + _("Keep"), PositionCb(action=PositionAction.KEEP, id=position_id).pack()),
    ]])


def position_controls(position_id: str) -> InlineKeyboardMarkup:
    """Under a position's entry alert: Close 50 % · Move stop to BE · Close all (each asks first)."""
    return InlineKeyboardMarkup(inline_keyboard=[[
        _button(_("Close 50 %"), PositionCb(action=PositionAction.HALF, id=position_id).pack()),
        _button(_("Move stop to BE"), PositionCb(action=PositionAction.BE, id=position_id).pack()),
        _button(_("Close all"), PositionCb(action=PositionAction.CLOSE, id=position_id).pack(), "danger"),
    ]])


def adjust_confirm(request_id: str, loosen: bool = False) -> InlineKeyboardMarkup:
    yes = ("⚠️ " + _("Yes, loosen the stop")) if loosen else ("✅ " + _("Yes"))
    return InlineKeyboardMarkup(inline_keyboard=[[
        _button(yes, AdjustCb(action=AdjustAction.YES, id=request_id).pack(), "danger" if loosen else "success"),
        _button("↩️ " + _("Keep"), AdjustCb(action=AdjustAction.NO, id=request_id).pack()),
    ]])


def panic(request_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        _button("🚨 " + _("Yes, close everything"), PanicCb(action=PanicAction.GO, id=request_id).pack(), "danger"),
    ]])


def hedge_stop(round_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        _button("✅ " + _("Yes, close both legs"), HedgeCb(action=HedgeAction.STOP, id=round_id).pack(), "danger"),
        _button("↩️ " + _("Keep"), HedgeCb(action=HedgeAction.KEEP, id=round_id).pack()),
    ]])


def settings_menu(keys: list[str]) -> InlineKeyboardMarkup:
    rows = [[_button(word(SETTING, key), SettingsCb(action=SettingsAction.KEY, key=key).pack())] for key in keys]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def auto_confirm() -> InlineKeyboardMarkup:
    """Switching to auto mode takes a second tap."""
    return InlineKeyboardMarkup(inline_keyboard=[[
        _button("⚙️ " + _("Yes, switch to auto"), SettingsCb(action=SettingsAction.AUTO, key="execution_mode").pack(),
                "danger"),
        _button("↩️ " + _("Back"), SettingsCb(action=SettingsAction.MENU).pack()),
    ]])


def setting_choices(key: str, current: str) -> InlineKeyboardMarkup:
    buttons = []
    for idx, value in enumerate(SETTING_CHOICES.get(key, ())):
        mark = "• " if value == current else ""
        buttons.append(_button(mark + value, SettingsCb(action=SettingsAction.SET, key=key, idx=idx).pack()))
    rows = [buttons[i:i + 3] for i in range(0, len(buttons), 3)]
    rows.append([_button("↩️ " + _("Back"), SettingsCb(action=SettingsAction.MENU).pack())])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def languages() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        _button("English", LangCb(lang="en").pack()),
        _button("简体中文", LangCb(lang="zh").pack()),
    ]])
