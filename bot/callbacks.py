"""CallbackData factories. Buttons carry ids and menu indexes only — never prices or amounts:
everything a handler acts on is read back from the engine. Each factory's ``action`` is a
``StrEnum``: a button whose action is not one of them does not unpack and gets the stale-button
answer from the fallback router."""

from __future__ import annotations

import enum

from aiogram.filters.callback_data import CallbackData


class SignalAction(enum.StrEnum):
    CONFIRM = "ok"
    CONFIRM_LOW = "low"  # below the minimum score: the first tap only asks again
    CANCEL = "no"
    TWAP = "tw"  # confirm, the entry executed as a TWAP (SP_RISK__TWAP_BUTTON)


class PositionAction(enum.StrEnum):
    CLOSE = "close"  # asks first
    YES = "yes"  # closes at market
    KEEP = "keep"  # backs out
    HALF = "half"  # close 50 % (asks first)
    BE = "be"  # stop to breakeven (asks first)


class AdjustAction(enum.StrEnum):
    YES = "yes"  # the second tap: do it
    NO = "no"  # backs out


class PanicAction(enum.StrEnum):
    GO = "go"


class HedgeAction(enum.StrEnum):
    STOP = "stop"  # closes both legs at market
    KEEP = "keep"  # backs out


class SettingsAction(enum.StrEnum):
    MENU = "menu"
    KEY = "key"
    SET = "set"
    AUTO = "auto"  # the second tap that switches execution_mode to auto


class SignalCb(CallbackData, prefix="sg"):
    """A signal card's buttons: confirm or cancel."""

    action: SignalAction
    id: str


class PositionCb(CallbackData, prefix="ps"):
    """``close`` asks, ``yes`` closes at market, ``keep`` backs out."""

    action: PositionAction
    id: str


class AdjustCb(CallbackData, prefix="aj"):
    """The second tap on a change to an open position; ``id`` is a one-time request id that expires
    (the request itself — amounts and prices — stays in ``bot.adjust_desk``)."""

    action: AdjustAction
    id: str


class PanicCb(CallbackData, prefix="pn"):
    """The red second tap of /panic; ``id`` is a one-time request id that expires."""

    action: PanicAction
    id: str


class HedgeCb(CallbackData, prefix="hg"):
    """The second tap of /hedge stop: ``id`` is the round's id."""

    action: HedgeAction
    id: str


class SettingsCb(CallbackData, prefix="st"):
    """``menu`` shows the settings, ``key`` the choices for one key, ``set`` applies choice ``idx``."""

    action: SettingsAction
    key: str = "-"
    idx: int = -1


class LangCb(CallbackData, prefix="lg"):
    lang: str
