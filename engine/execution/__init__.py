"""Execution of entries beyond one market order: a limit entry with a timeout and a partial-fill
threshold, and a scale-in over several price levels (``entry``); ``watch`` drives both on ticks."""
