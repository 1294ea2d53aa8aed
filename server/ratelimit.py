"""The one rate-limit helper for per-connection hot paths (Socket.IO flood guard, collab messages).

Limits shared across processes (chat per user) count in Redis instead (``rooms.shared``).
"""

from __future__ import annotations

import time


class TokenBucket:
    """``rate`` per second with a burst of ``burst`` (by default one second's worth); starts full."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float | None = None) -> None:
        if rate <= 0 or (burst is not None and burst < 1):
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else rate)
        self.tokens = self.burst
        self.stamp = time.monotonic()

    def tokens_now(self) -> float:
        """Tokens available now (refilled, nothing spent)."""
        return min(self.burst, self.tokens + (time.monotonic() - self.stamp) * self.rate)

    def take(self, n: int = 1) -> bool:
        """Spend ``n`` tokens if there are that many; ``False`` (and nothing spent) otherwise."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < n:
            return False
        self.tokens -= n
        return True
