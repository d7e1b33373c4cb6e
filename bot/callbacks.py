"""CallbackData factories. Buttons carry ids and menu indexes only — never prices or amounts:
everything a handler acts on is read back from the engine."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class SignalCb(CallbackData, prefix="sg"):
    """A signal card's buttons: ``ok`` (confirm) or ``no`` (cancel)."""

    action: str
    id: str


class PositionCb(CallbackData, prefix="ps"):
    """``close`` asks, ``yes`` closes at market, ``keep`` backs out."""

    action: str
    id: str


class PanicCb(CallbackData, prefix="pn"):
    """The red second tap of /panic; ``id`` is a one-time request id that expires."""

    action: str
    id: str


class SettingsCb(CallbackData, prefix="st"):
    """``menu`` shows the settings, ``key`` the choices for one key, ``set`` applies choice ``idx``."""

    action: str
    key: str = "-"
    idx: int = -1


class LangCb(CallbackData, prefix="lg"):
    lang: str
