"""The fake Telegram Bot API server, split by purpose; import it from tests.fakes.telegram_api."""

from .records import ApiError, Call, SentMessage, StoredFile, UploadedFile, WaitTimeout
from .server import DEFAULT_TOKEN, FakeTelegram

__all__ = ["DEFAULT_TOKEN", "ApiError", "Call", "FakeTelegram", "SentMessage", "StoredFile", "UploadedFile",
           "WaitTimeout"]
