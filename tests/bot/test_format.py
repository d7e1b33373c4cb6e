"""Numbers read right (BTC-quoted prices keep their digits) and long messages split at line breaks."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bot import format as fmt


def test_btc_quoted_prices_keep_significant_digits() -> None:
    assert fmt.price(Decimal("0.098123456")) == "0.0981235"
    assert fmt.price(Decimal("0.0981")) == "0.0981"
    assert fmt.price(Decimal("43251.5")) == "43,251.5"
    assert fmt.price(Decimal("1234567.891")) == "1,234,567.89"
    assert fmt.price(None) == "—"


def test_money_is_sensible_for_btc_and_usd_balances() -> None:
    assert fmt.money(Decimal("1.0123456")) == "1.01235"  # 1 BTC of equity is not shown as 1.01
    assert fmt.money(Decimal("10000")) == "10,000.00"
    assert fmt.money(Decimal("0.00012345"), signed=True) == "+0.00012345"
    assert fmt.money(Decimal("-0.5"), signed=True) == "-0.50"
    assert fmt.money(Decimal("0"), signed=True) == "+0.00"
    assert fmt.money(Decimal("-0.0000000")) == "0.00"


def test_percentages_and_shares() -> None:
    assert fmt.pct(fmt.change_pct(Decimal("100"), Decimal("98"))) == "-2.00%"
    assert fmt.pct(Decimal("4")) == "+4.00%"
    assert fmt.share(Decimal("0.5")) == "50%"
    assert fmt.share(Decimal("0.333")) == "33.3%"


def test_times_are_utc_with_date_when_not_today() -> None:
    ts = datetime(2026, 3, 1, 12, 45, tzinfo=UTC)
    assert fmt.when(ts, ts) == "12:45 UTC"
    assert fmt.when(ts, datetime(2026, 3, 2, tzinfo=UTC)) == "2026-03-01 12:45 UTC"


def test_escaping_neutralises_html() -> None:
    assert fmt.esc("<b>x</b> & y") == "&lt;b&gt;x&lt;/b&gt; &amp; y"


def test_long_text_is_split_at_line_breaks_without_losing_anything() -> None:
    lines = [f"line {i:04d} " + "x" * 90 for i in range(200)]  # ~20,000 characters
    text = "\n".join(lines)
    parts = fmt.split_text(text, 4096)
    assert len(parts) >= 5
    assert all(len(p) <= 4096 for p in parts)
    assert "\n".join(parts) == text  # every line kept, in order, none broken
    assert all(p.split("\n")[0].startswith("line ") for p in parts)


def test_a_single_overlong_line_is_cut_hard() -> None:
    parts = fmt.split_text("a" * 5000 + "\nend", 4096)
    assert [len(p) for p in parts] == [4096, 908]
    assert "".join(parts) == "a" * 5000 + "\nend"
    assert fmt.split_text("short") == ["short"]


def test_amounts_carry_their_currency_rounded_for_it() -> None:
    assert fmt.money(Decimal("12.3456"), "USDT") == "12.35 USDT"
    assert fmt.money(Decimal("-0.000346794"), "BTC", signed=True) == "-0.000346794 BTC"
    assert fmt.money(Decimal("1.0123456"), "BTC") == "1.01235 BTC"
    assert fmt.pnl(Decimal("5"), "USDT", Decimal("200")) == "+5.00 USDT (+2.50%)"
    assert fmt.position_pnl(Decimal("1"), "ETH/USDT:USDT", Decimal(100), Decimal(1), 5) == "+1.00 USDT (+5.00%)"
    assert fmt.quote_of("ETH/BTC") == "BTC" and fmt.quote_of("BTC/USDT:USDT") == "USDT"
