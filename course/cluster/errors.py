"""The one exception cluster tooling raises: a message plus the command that fixes it."""

from __future__ import annotations


class ClusterError(Exception):
    """A cluster problem the user can act on; `hint` names the fix."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\nHint: {self.hint}" if self.hint else self.message
