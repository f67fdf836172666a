"""Errors a service raises for a person to read: the message is shown as it is."""

from __future__ import annotations


class DomainError(Exception):
    """A request the rules refuse; the message is Chinese and meant for the user."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IllegalTransition(DomainError):
    code = "illegal_transition"


class NotAllowed(DomainError):
    code = "not_allowed"


class InvalidInput(DomainError):
    code = "invalid_input"
