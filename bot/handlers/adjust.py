"""Managing an open trade from the chat: ``/close SYMBOL 50%`` (or a quantity), ``/stop SYMBOL PRICE``,
``/be SYMBOL``, ``/tp SYMBOL N PRICE``, ``/add SYMBOL QTY``, and the Close 50 % / Move stop to BE
buttons under a position's entry alert. Admins only.

Each is checked by the engine first (nothing sent), then asked: the confirm button carries a
one-time request id (``bot.adjust_desk``); the tap acts. A looser stop is asked with a warning and
its own button, the only way the stop ever loosens.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal, InvalidOperation

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot import keyboards
from bot.adjust_desk import AdjustDesk, AdjustRequest
from bot.callbacks import AdjustAction, AdjustCb, PositionAction, PositionCb
from bot.delivery import Delivery
from bot.filters import IsAdmin, SymbolArg, SymbolArgument, bad_arg
from bot.handlers.common import args, card_place, who
from bot.presenters import actions
from bot.presenters import adjust as texts
from engine.domain.models import Position
from engine.domain.reasons import AdjustReason
from engine.facade import AdjustResult, Engine


def number(word: str) -> Decimal | None:
    """A positive finite decimal (``0.5``, ``64210``, ``64_210``); None for anything else."""
    try:
        value = Decimal(word.replace("_", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() and value > 0 else None


def amount(word: str) -> tuple[Decimal | None, Decimal | None] | None:
    """``50%`` → (50, None); ``0.5`` → (None, 0.5); None when neither."""
    if word.endswith("%"):
        pct = number(word[:-1])
        return (pct, None) if pct is not None and pct <= 100 else None
    qty = number(word)
    return (None, qty) if qty is not None else None


async def call(engine: Engine, req: AdjustRequest, by: str, confirm: bool) -> AdjustResult:
    pid = req.position_id
    if req.kind == "close" and req.algo is not None:
        return await engine.close_by_algo(pid, by=by, algo=req.algo, pct=req.pct, qty=req.qty, confirm=confirm)
    if req.kind == "close":
        return await engine.close_part(pid, by=by, pct=req.pct, qty=req.qty, confirm=confirm)
    if req.kind == "stop":
        assert req.price is not None
        return await engine.move_stop(pid, req.price, by=by, loosen=req.loosen, confirm=confirm)
    if req.kind == "be":
        return await engine.stop_to_breakeven(pid, by=by, confirm=confirm)
    if req.kind == "tp":
        assert req.price is not None
        return await engine.move_target(pid, req.n, req.price, by=by, confirm=confirm)
    assert req.qty is not None
    return await engine.add_to_position(pid, req.qty, by=by, confirm=confirm)


def prompt(req: AdjustRequest, pos: Position, result: AdjustResult, paper: bool) -> str:
    if req.kind == "close" and req.algo is not None:
        return texts.close_algo_prompt(pos, req.algo, result, paper)
    if req.kind == "close":
        return texts.close_part_prompt(pos, result, paper)
    if req.kind == "stop":
        return texts.stop_prompt(pos, result, paper)
    if req.kind == "be":
        return texts.breakeven_prompt(pos, result, paper)
    if req.kind == "tp":
        return texts.target_prompt(pos, req.n, result, paper)
    return texts.add_prompt(pos, result, paper)


async def ask(engine: Engine, delivery: Delivery, desk: AdjustDesk, req: AdjustRequest, by: str, chat: int,
              reply_to: int | None = None) -> None:
    """Check with the engine; then the question with its confirm button, or why not."""
    result = await call(engine, req, by, confirm=False)
    if result.reason is AdjustReason.LOOSEN_NEEDS_CONFIRM:
        req = replace(req, loosen=True)
        result = await call(engine, req, by, confirm=False)
    if not result.ok or result.position is None:
        delivery.send_text(chat, texts.refused(result), reply_to=reply_to)
        return
    request_id = desk.request(req)
    delivery.send_text(chat, prompt(req, result.position, result, engine.paper),
                       keyboards.adjust_confirm(request_id, loosen=result.loosened), reply_to=reply_to)


async def _position(message: Message, engine: Engine, delivery: Delivery, arg: SymbolArgument) -> Position | None:
    if arg.problem:
        delivery.send_text(message.chat.id, bad_arg(arg))
        return None
    pos = await engine.find_open_position(arg.symbol)
    if pos is None:
        delivery.send_text(message.chat.id, actions.no_open_position(arg.symbol))
    return pos


async def close_part_command(message: Message, engine: Engine, delivery: Delivery, adjust_desk: AdjustDesk,
                             pos: Position, word: str) -> None:
    """``/close SYMBOL 50%`` or ``/close SYMBOL 0.5``, then optionally ``twap`` or ``iceberg``: in slices
    (called by ``/close`` when an amount follows)."""
    words = word.split()
    algo = words[1].lower() if len(words) == 2 else None
    parsed = amount(words[0]) if words and len(words) <= 2 else None
    if parsed is None or algo not in (None, "twap", "iceberg"):
        delivery.send_text(message.chat.id, texts.usage("close"))
        return
    await ask(engine, delivery, adjust_desk, AdjustRequest("close", pos.id, pct=parsed[0], qty=parsed[1], algo=algo),
              who(message.from_user), message.chat.id)


async def stop_command(message: Message, engine: Engine, delivery: Delivery, adjust_desk: AdjustDesk,
                       arg: SymbolArgument) -> None:
    words = args(message)
    price = number(words[1]) if len(words) == 2 else None
    if not arg.problem and price is None:
        delivery.send_text(message.chat.id, texts.usage("stop"))
        return
    pos = await _position(message, engine, delivery, arg)
    if pos is not None and price is not None:
        await ask(engine, delivery, adjust_desk, AdjustRequest("stop", pos.id, price=price), who(message.from_user),
                  message.chat.id)


async def be_command(message: Message, engine: Engine, delivery: Delivery, adjust_desk: AdjustDesk,
                     arg: SymbolArgument) -> None:
    pos = await _position(message, engine, delivery, arg)
    if pos is not None:
        await ask(engine, delivery, adjust_desk, AdjustRequest("be", pos.id), who(message.from_user), message.chat.id)


async def tp_command(message: Message, engine: Engine, delivery: Delivery, adjust_desk: AdjustDesk,
                     arg: SymbolArgument) -> None:
    words = args(message)
    n = int(words[1]) if len(words) == 3 and words[1].isdigit() else 0
    price = number(words[2]) if len(words) == 3 else None
    if not arg.problem and (n < 1 or price is None):
        delivery.send_text(message.chat.id, texts.usage("tp"))
        return
    pos = await _position(message, engine, delivery, arg)
    if pos is not None and price is not None:
        await ask(engine, delivery, adjust_desk, AdjustRequest("tp", pos.id, price=price, n=n),
                  who(message.from_user), message.chat.id)


async def add_command(message: Message, engine: Engine, delivery: Delivery, adjust_desk: AdjustDesk,
                      arg: SymbolArgument) -> None:
    words = args(message)
    qty = number(words[1]) if len(words) == 2 else None
    if not arg.problem and qty is None:
        delivery.send_text(message.chat.id, texts.usage("add"))
        return
    pos = await _position(message, engine, delivery, arg)
    if pos is not None and qty is not None:
        await ask(engine, delivery, adjust_desk, AdjustRequest("add", pos.id, qty=qty), who(message.from_user),
                  message.chat.id)


async def thread_button(query: CallbackQuery, callback_data: PositionCb, engine: Engine, delivery: Delivery,
                        adjust_desk: AdjustDesk) -> None:
    """Close 50 % or Move stop to BE under a position's alert: asked in the same thread."""
    pos = await engine.get_position(callback_data.id)
    if pos is None or not pos.is_open:
        await query.answer(actions.close_done_missing(), show_alert=True)
        return
    await query.answer()
    place = card_place(query)
    if place is None:
        return
    req = AdjustRequest("close", pos.id, pct=Decimal(50)) if callback_data.action is PositionAction.HALF \
        else AdjustRequest("be", pos.id)
    await ask(engine, delivery, adjust_desk, req, who(query.from_user), place[0], reply_to=place[1])


async def confirm_yes(query: CallbackQuery, callback_data: AdjustCb, engine: Engine, delivery: Delivery,
                      adjust_desk: AdjustDesk) -> None:
    req = adjust_desk.take(callback_data.id)
    place = card_place(query)
    if req is None:
        await query.answer(texts.expired(), show_alert=True)
        if place:
            delivery.edit_text(*place, texts.expired())
        return
    result = await call(engine, req, who(query.from_user), confirm=True)
    text = texts.done(result)
    await query.answer(text if len(text) <= 200 else None)
    if place:
        delivery.edit_text(*place, text)


async def confirm_no(query: CallbackQuery, callback_data: AdjustCb, delivery: Delivery,
                     adjust_desk: AdjustDesk) -> None:
    adjust_desk.take(callback_data.id)
    await query.answer(texts.kept())
    place = card_place(query)
    if place:
        delivery.edit_text(*place, texts.kept())


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(stop_command, Command("stop"), IsAdmin(), SymbolArg(texts.USAGE["stop"]))
    router.message.register(be_command, Command("be"), IsAdmin(), SymbolArg(texts.USAGE["be"]))
    router.message.register(tp_command, Command("tp"), IsAdmin(), SymbolArg(texts.USAGE["tp"]))
    router.message.register(add_command, Command("add"), IsAdmin(), SymbolArg(texts.USAGE["add"]))
    router.callback_query.register(thread_button, PositionCb.filter(F.action.in_({PositionAction.HALF,
                                                                                   PositionAction.BE})), IsAdmin())
    router.callback_query.register(confirm_yes, AdjustCb.filter(F.action == AdjustAction.YES), IsAdmin())
    router.callback_query.register(confirm_no, AdjustCb.filter(F.action == AdjustAction.NO))
    return router
