"""Several venues in one engine: named venues from the environment, the single-exchange settings as the
venue ``default``, and a venue whose exchange ccxt lacks refused with the variable named."""

from __future__ import annotations

import pytest

from config.settings import load_settings
from config.variables import unknown_variables
from engine.preflight import startup_problems
from engine.venues import DEFAULT, VenueRegistry, exchange_settings, venue_problems


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
