"""/settings: an inline menu of the runtime settings (admins only). The engine validates and
persists each change; ``/settings KEY VALUE`` sets any valid value directly. The router carries
``IsAdmin``; refusals come from ``bot.handlers.refusals``."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot import keyboards
from bot.callbacks import SettingsAction, SettingsCb
from bot.delivery import Delivery
from bot.filters import IsAdmin
from bot.handlers.common import args, card_place, reply
from bot.presenters import actions
from engine.facade import Engine


def _menu(engine: Engine) -> tuple[str, object]:
    values = engine.runtime_settings()
    return actions.settings_menu(values, engine.setting_sources()), keyboards.settings_menu(list(values))


def _to_auto(engine: Engine, key: str, value: str) -> bool:
    """Switching to auto from the chat asks first."""
    return key == "execution_mode" and value.strip().lower() == "auto" and \
        engine.runtime_settings().get("execution_mode") != "auto"


async def settings(message: Message, engine: Engine, delivery: Delivery) -> None:
    words = args(message)
    if len(words) == 2 and _to_auto(engine, words[0].lower(), words[1]):
        await reply(message, delivery, actions.auto_prompt(), keyboards.auto_confirm())
        return
    if len(words) == 2:
        update = await engine.update_setting(words[0].lower(), words[1])
        await reply(message, delivery, actions.setting_saved(update) if update.ok else actions.setting_failed(update))
        return
    if words:
        await reply(message, delivery, actions.settings_usage(list(engine.runtime_settings())))
        return
    text, markup = _menu(engine)
    await reply(message, delivery, text, markup)  # type: ignore[arg-type]


async def settings_button(query: CallbackQuery, callback_data: SettingsCb, engine: Engine,
                          delivery: Delivery) -> None:
    place = card_place(query)
    values = engine.runtime_settings()
    action, key = callback_data.action, callback_data.key
    if action is SettingsAction.KEY and key in values:
        await query.answer()
        if place:
            delivery.edit_text(*place, actions.settings_choose(key, values[key]),
                               keyboards.setting_choices(key, values[key]))
        return
    if action is SettingsAction.SET and key in values:
        choices = keyboards.SETTING_CHOICES.get(key, ())
        if not 0 <= callback_data.idx < len(choices):
            await query.answer(actions.stale_button(), show_alert=True)
            return
        if _to_auto(engine, key, choices[callback_data.idx]):
            await query.answer()
            if place:
                delivery.edit_text(*place, actions.auto_prompt(), keyboards.auto_confirm())
            return
        update = await engine.update_setting(key, choices[callback_data.idx])
        if not update.ok:
            await query.answer(actions.setting_failed(update)[:200], show_alert=True)
            return
        await query.answer(actions.setting_saved(update)[:200])
    elif action is SettingsAction.AUTO:
        update = await engine.update_setting("execution_mode", "auto")
        await query.answer(actions.setting_saved(update)[:200])
    elif action is not SettingsAction.MENU:
        await query.answer(actions.stale_button(), show_alert=True)
        return
    else:
        await query.answer()
    if place:
        text, markup = _menu(engine)
        delivery.edit_text(*place, text, markup)  # type: ignore[arg-type]


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    router.message.register(settings, Command("settings"))
    router.callback_query.register(settings_button, SettingsCb.filter())
    return router
