"""A cancel token shared between a caller (GUI, CLI) and a long-running core call."""

import threading

from core.errors import Cancelled


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled")


def check(token: "CancelToken | None") -> None:
    if token is not None:
        token.raise_if_cancelled()
