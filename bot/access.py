"""Who may do what: admins trade and change settings, users read, everyone else is refused."""

from __future__ import annotations

import enum
from collections.abc import Iterable


class Role(enum.StrEnum):
    ADMIN = "admin"
    USER = "user"


class Access:
    def __init__(self, admins: Iterable[int], users: Iterable[int]) -> None:
        self.admins = frozenset(admins)
        self.users = frozenset(users) | self.admins

    def role(self, user_id: int | None) -> Role | None:
        if user_id is None:
            return None
        if user_id in self.admins:
            return Role.ADMIN
        if user_id in self.users:
            return Role.USER
        return None

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admins
