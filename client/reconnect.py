"""When and how the live client opens its session on the node again: exponential backoff, the
conversation resumed where the node still has it, and the refusals no retry can fix.
"""

from __future__ import annotations

import asyncio

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from client.connection import ClientSession, NoNode, SessionRefused
from client.live_config import LiveConfig
from client.ui import Ui

GONE_CONVERSATION = frozenset({"session_not_found", "invalid_session_id", "forbidden"})
"""Refusal codes saying the conversation to resume is gone: start a new one at once."""
CONNECT_ERRORS = (OSError, ConnectionError, TimeoutError, InvalidHandshake, ConnectionClosed)
"""Failures to open a connection that a later try may not meet."""


class Reconnect:
    """Opens the live session, retrying with a delay that doubles from ``backoff_min_s`` up to
    ``backoff_max_s`` and starts over once a session is open."""

    def __init__(self, config: LiveConfig, ui: Ui) -> None:
        self.config = config
        self.ui = ui
        self.delay_s = config.backoff_min_s
        """The next retry's delay (s)."""
        self.session_id: str | None = None
        """The conversation to resume after a dropped connection."""

    def next_wait_s(self, at_least_s: float = 0.0) -> float:
        """The delay before the next try (s), at least ``at_least_s``; the one after doubles."""
        wait = max(self.delay_s, at_least_s)
        self.delay_s = min(self.config.backoff_max_s, self.delay_s * 2)
        return wait

    async def open(self) -> ClientSession:
        """A session on the node, resuming the known conversation; retries until one opens.

        Raises InvalidURI: no retry can fix a bad URL.
        """
        cfg = self.config
        while True:
            self.ui.connecting(cfg.url)
            try:
                session = await ClientSession.open(
                    cfg.url,
                    pipeline=cfg.pipeline,
                    client="edge-voice-desktop",
                    token=cfg.token,
                    session_id=self.session_id,
                )
            except InvalidURI:
                raise
            except SessionRefused as exc:
                if self.session_id is not None and exc.code in GONE_CONVERSATION:
                    self.session_id = None  # that conversation is gone: start a new one at once
                    self.ui.info(f"the server no longer has the conversation ({exc.code}); starting a new one")
                    continue
                wait = self.next_wait_s(at_least_s=(exc.retry_after_ms or 0) / 1000.0)
                self.ui.disconnected(f"refused ({exc.code})", wait)
                await asyncio.sleep(wait)
                continue
            except NoNode as exc:
                wait = self.next_wait_s()
                self.ui.no_node(cfg.url, exc.reason, wait)
                await asyncio.sleep(wait)
                continue
            except CONNECT_ERRORS as exc:
                wait = self.next_wait_s()
                self.ui.disconnected(f"cannot connect ({exc.__class__.__name__}: {exc})", wait)
                await asyncio.sleep(wait)
                continue
            self.delay_s = cfg.backoff_min_s
            self.session_id = session.ready.session_id
            return session

    async def wait_after_drop(self, reason: str) -> None:
        """Tell the user the open connection was lost (``reason``) and wait the next delay."""
        wait = self.next_wait_s()
        self.ui.disconnected(reason, wait)
        await asyncio.sleep(wait)
