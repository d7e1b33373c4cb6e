"""Positions: the pure lifecycle state machine and the manager that persists and executes it."""
