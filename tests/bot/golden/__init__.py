"""Golden texts of the bot's messages (see tests/bot/test_golden_messages.py)."""
