"""Several venues in one engine: named venues from the environment, the single-exchange settings as the
venue ``default``, and a venue whose exchange ccxt lacks refused with the variable named."""

from __future__ import annotations

import pytest

from config.settings import load_settings
from config.variables import unknown_variables
from engine.preflight import startup_problems
from engine.venues import DEFAULT, VenueRegistry, credential_problems, exchange_settings, venue_problems


def test_named_venues_come_from_the_environment_and_the_default_venue_stays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SP_VENUES__ASTER__EXCHANGE", "aster")
    monkeypatch.setenv("SP_VENUES__ASTER__API_KEY", "k-aster")
    monkeypatch.setenv("SP_VENUES__ASTER__BASE_URL", "http://127.0.0.1:9001")
    monkeypatch.setenv("SP_VENUES__BACKPACK__TESTNET", "false")  # exchange = the venue's name
    settings = load_settings(_env_file=None)
    venues = exchange_settings(settings)
    assert list(venues) == [DEFAULT, "aster", "backpack"]
    assert venues[DEFAULT] == settings.exchange and venues[DEFAULT].name == "binanceusdm"
    assert venues["aster"].name == "aster" and venues["aster"].base_url == "http://127.0.0.1:9001"
    assert venues["aster"].api_key is not None and venues["aster"].api_key.get_secret_value() == "k-aster"
    assert "k-aster" not in repr(settings)
    assert venues["backpack"].name == "backpack"
    assert venue_problems(settings) == []
    environ = {"SP_VENUES__ASTER__EXCHANGE": "aster", "SP_VENUES__ASTER__API_SEKRET": "x"}
    assert [name for name, _ in unknown_variables(environ, None)] == ["SP_VENUES__ASTER__API_SEKRET"]


def test_a_venue_whose_exchange_ccxt_lacks_is_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SP_VENUES__MOON__EXCHANGE", "moonex")
    settings = load_settings(_env_file=None)
    [line] = venue_problems(settings)
    assert line.startswith("SP_VENUES__MOON__EXCHANGE='moonex'")
    assert line in startup_problems(settings)


def test_an_unknown_venue_name_says_how_to_add_it() -> None:
    with pytest.raises(KeyError, match="SP_VENUES__OKX__EXCHANGE"):
        VenueRegistry({})["okx"]


def test_live_venues_missing_the_credentials_their_exchange_signs_with_are_named(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # aster signs with a wallet key: an API key and secret are not what it needs
    monkeypatch.setenv("SP_MODE", "live")
    monkeypatch.setenv("SP_EXCHANGE__NAME", "aster")
    monkeypatch.setenv("SP_EXCHANGE__API_KEY", "k")
    monkeypatch.setenv("SP_EXCHANGE__API_SECRET", "s")
    monkeypatch.setenv("SP_VENUES__BP__EXCHANGE", "backpack")
    monkeypatch.setenv("SP_VENUES__BP__API_KEY", "k-bp")
    settings = load_settings(_env_file=None)
    problems = credential_problems(settings)
    assert problems == ["SP_EXCHANGE__PRIVATE_KEY: live trading on aster needs it",
                        "SP_VENUES__BP__API_SECRET: live trading on backpack needs it"]
    assert set(problems) <= set(startup_problems(settings))
    monkeypatch.setenv("SP_EXCHANGE__PRIVATE_KEY", "0x" + "11" * 32)
    monkeypatch.setenv("SP_VENUES__BP__API_SECRET", "s-bp")
    assert credential_problems(load_settings(_env_file=None)) == []
    monkeypatch.setenv("SP_MODE", "paper")  # paper trades on its own account: no keys needed
    monkeypatch.delenv("SP_EXCHANGE__PRIVATE_KEY")
    assert credential_problems(load_settings(_env_file=None)) == []
