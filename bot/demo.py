"""The console demo: with no Telegram token on a replay, defaults that show the product trading within a
minute — auto mode, a fast replay, quiet logs. Each default applies only when its variable was not set:
explicit settings always win."""

from __future__ import annotations

from config.settings import SAMPLE_DATA_DIR, Settings
from engine.run_summary import ReplayWindow

DEMO_REPLAY_SPEED = 200.0  # base candles per second: 5-minute candles → 60,000× real time
TELEGRAM_HINT = ("Telegram is not connected: set SP_TELEGRAM__TOKEN and SP_TELEGRAM__ADMINS (your user id) "
                 "to trade from your phone.")


def console_replay(settings: Settings) -> bool:
    """No Telegram token, paper mode, replayed data: the console front end on a replay."""
    return settings.telegram.token is None and settings.paper and settings.market.source == "replay"


def demo_settings(settings: Settings) -> Settings:
    """The settings with the demo's defaults filled in where the user set nothing."""
    if not console_replay(settings):
        return settings
    update: dict[str, object] = {}
    if "replay_speed" not in settings.market.model_fields_set:
        update["market"] = settings.market.model_copy(update={"replay_speed": DEMO_REPLAY_SPEED})
    if "execution_mode" not in settings.risk.model_fields_set:
        update["risk"] = settings.risk.model_copy(update={"execution_mode": "auto"})
    if "log_level" not in settings.model_fields_set:
        update["log_level"] = "WARNING"
    return settings.model_copy(update=update) if update else settings


def _speed(window: ReplayWindow) -> str:
    if window.speed <= 0:
        return "as fast as it can"
    times = window.speed * window.candle_seconds
    return f"at {window.speed:g} candles/s ({times:,.0f}× real time)"


def banner(settings: Settings, window: ReplayWindow | None, execution_mode: str) -> str:
    """What the console says before the first event."""
    if window is None:
        mode = "paper" if settings.paper else "LIVE"
        return (f"SignalPilot running ({mode}, {settings.market.source} data). {TELEGRAM_HINT} "
                "(Or SP_RISK__EXECUTION_MODE=auto to let it paper-trade on its own.)")
    bundled = settings.market.replay_dir.resolve() == SAMPLE_DATA_DIR.resolve()
    data = "the bundled replay of real Binance candles" if bundled else f"the replay in {settings.market.replay_dir}"
    where = (f"{data} ({', '.join(window.symbols)}; {window.start:%Y-%m-%d %H:%M} → {window.end:%Y-%m-%d %H:%M} UTC) "
             f"{_speed(window)}")
    if execution_mode == "auto":
        head = f"Demo: no Telegram token — auto mode, paper-trading on its own on {where}."
    else:
        head = (f"Console: no Telegram token — {execution_mode} mode on {where}. Signals wait for a confirmation "
                "only Telegram can give (SP_RISK__EXECUTION_MODE=auto lets it paper-trade on its own).")
    lines = [head, TELEGRAM_HINT,
             "Ctrl-C stops (state is saved, a second start resumes); at the end of the replay a summary is printed."]
    if window.done:
        url = settings.database_url
        where = url.split(":///", 1)[1] if url.startswith("sqlite") and ":///" in url else "the database"
        lines.append(f"Nothing left to replay: {where} has played it to the end. Delete it (or set "
                     "SP_DATABASE__URL) to watch the replay again.")
    return "\n".join(lines)
