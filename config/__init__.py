"""Typed settings for SignalPilot (pydantic-settings, env prefix ``SP_``)."""

from config.settings import Settings, SettingsError, load_settings

__all__ = ["Settings", "SettingsError", "load_settings"]
