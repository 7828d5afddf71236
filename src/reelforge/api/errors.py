"""Kling's error codes and their HTTP statuses; every error leaves the API in the
``{code, message, request_id, data}`` envelope."""

from __future__ import annotations

AUTH_FAILED = 1000
AUTH_EMPTY = 1001
AUTH_INVALID = 1002
TOKEN_NOT_YET_VALID = 1003
TOKEN_EXPIRED = 1004
OUT_OF_CREDITS = 1102
MODEL_NOT_ALLOWED = 1103
BAD_PARAMETERS = 1200
BAD_PARAMETER_VALUE = 1201
WRONG_METHOD = 1202
NOT_FOUND = 1203
RATE_LIMITED = 1302
TOO_MANY_TASKS = 1303
INTERNAL = 5000

HTTP_STATUS = {
    AUTH_FAILED: 401,
    AUTH_EMPTY: 401,
    AUTH_INVALID: 401,
    TOKEN_NOT_YET_VALID: 401,
    TOKEN_EXPIRED: 401,
    OUT_OF_CREDITS: 429,
    MODEL_NOT_ALLOWED: 403,
    BAD_PARAMETERS: 400,
    BAD_PARAMETER_VALUE: 400,
    WRONG_METHOD: 405,
    NOT_FOUND: 404,
    RATE_LIMITED: 429,
    TOO_MANY_TASKS: 429,
    INTERNAL: 500,
}


class KlingError(Exception):
    """An API error: Kling's ``code``, the HTTP status that goes with it, and a message."""

    def __init__(self, code: int, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or HTTP_STATUS[code]
