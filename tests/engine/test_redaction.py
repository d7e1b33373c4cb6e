"""Secrets never reach log lines or exception texts."""

from __future__ import annotations

import logging

import pytest

from engine.brokers.errors import AuthError
from engine.redaction import RedactingFilter, redact, register_secret


def test_registered_and_secret_shaped_values_are_masked() -> None:
    register_secret("k3yVALUEk3yVALUE")
    text = redact("apiKey=k3yVALUEk3yVALUE&signature=abcdef0123456789 token 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawXYZ")
    assert "k3yVALUE" not in text and "abcdef0123456789" not in text and "AAHdqTcv" not in text
    assert str(AuthError("invalid key k3yVALUEk3yVALUE")) == "invalid key ***"


def test_log_records_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    register_secret("s3cr3t-s3cr3t-s3cr3t")
    logger = logging.getLogger("test.redaction")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="test.redaction"):
        logger.info("connecting with %s", "s3cr3t-s3cr3t-s3cr3t")
        try:
            raise RuntimeError("boom s3cr3t-s3cr3t-s3cr3t")
        except RuntimeError:
            logger.exception("failed")
    assert "s3cr3t" not in caplog.text
    assert "connecting with ***" in caplog.text
