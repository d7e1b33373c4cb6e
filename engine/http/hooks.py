"""``POST /hook/tradingview/<secret>``: the secret compared in constant time (a wrong one is a 404,
counted), the body parsed (JSON or the plain-text template, see ``engine.intake.tradingview``), then
``IntakeService.submit``. Answers: 201 raised, 200 duplicate, 400 unreadable (with the field), 422
unknown symbol or impossible levels, 429 rate-limited (Retry-After), 503 no price or halted."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from aiohttp import web

from engine.http.server import error, json_body
from engine.intake.model import ParseFailure
from engine.intake.result import IntakeOutcome, IntakeResult
from engine.intake.service import IntakeService
from engine.intake.tradingview import parse_body

SOURCE = "tradingview"
STATUS = {
    IntakeOutcome.RAISED: 201, IntakeOutcome.DUPLICATE: 200, IntakeOutcome.INVALID: 422,
    IntakeOutcome.UNKNOWN_SYMBOL: 422, IntakeOutcome.RATE_LIMITED: 429, IntakeOutcome.NO_PRICE: 503,
    IntakeOutcome.HALTED: 503,
}


def tradingview_routes(intake: IntakeService, secret: str | None, halted: Callable[[], bool],
                       on_bad_secret: Callable[[], None]) -> list[web.RouteDef]:
    async def hook(request: web.Request) -> web.StreamResponse:
        given = request.match_info["secret"]
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            on_bad_secret()
            return error(404, "not found")
        body = await request.read()
        parsed = parse_body(body, request.content_type)
        if isinstance(parsed, ParseFailure):
            await intake.refuse(SOURCE, IntakeResult(IntakeOutcome.INVALID, field=parsed.field,
                                                     detail=parsed.detail))
            return error(400, _reason(parsed.field, parsed.detail), field=parsed.field)
        if halted():
            await intake.refuse(SOURCE, IntakeResult(IntakeOutcome.HALTED))
            return error(503, "the engine takes no new entries now")
        key = parsed.ext_id if parsed.ext_id is not None else intake.minute_key(body)
        result = await intake.submit(parsed, SOURCE, key, may_execute=True)
        return _answer(result)

    return [web.post("/hook/tradingview/{secret}", hook)]


def _reason(field: str, detail: str) -> str:
    if field == "body":
        return f"unreadable body: {detail}" if detail else "empty body"
    return f"{field}: {detail}" if detail else f"{field} is missing"


def _answer(result: IntakeResult) -> web.StreamResponse:
    status = STATUS[result.outcome]
    if status >= 400:
        headers = {"Retry-After": str(int(result.retry_after + 0.999))} if result.retry_after else None
        reason = {IntakeOutcome.RATE_LIMITED: "too many signals from this source; try again later",
                  IntakeOutcome.UNKNOWN_SYMBOL: f"unknown symbol {result.detail}",
                  IntakeOutcome.NO_PRICE: f"no price for {result.detail} yet",
                  IntakeOutcome.HALTED: "the engine takes no new entries now"}.get(
            result.outcome, _reason(result.field or "body", result.detail))
        response = error(status, reason, field=result.field) if result.field else error(status, reason)
        if headers:
            response.headers.update(headers)
        return response
    signal = result.signal
    assert signal is not None
    return json_body({"status": result.outcome.value, "signal": signal.id, "state": signal.status.value,
                      "symbol": signal.symbol, "side": signal.side.value, "entry": str(signal.entry),
                      "stop": str(signal.stop), "targets": [str(t.price) for t in signal.targets],
                      "leverage": signal.leverage}, status)
