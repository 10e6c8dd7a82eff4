"""The progress throttle on an injected clock: first at once, then one per period,
newest wins, nothing after close."""

from __future__ import annotations

from collections.abc import Callable

from oocana_local.context.throttle import ProgressThrottle


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.timers: list[tuple[float, Callable[[], None], list[bool]]] = []

    def clock(self) -> float:
        return self.now

    def timer(self, delay: float, fn: Callable[[], None]) -> object:
        cancelled = [False]
        self.timers.append((self.now + delay, fn, cancelled))

        class Handle:
            def cancel(self) -> None:
                cancelled[0] = True

        return Handle()

    def advance(self, seconds: float) -> None:
        self.now += seconds
        due = [t for t in self.timers if t[0] <= self.now and not t[2][0]]
        self.timers = [t for t in self.timers if t not in due]
        for _, fn, _ in due:
            fn()


def throttled() -> tuple[ProgressThrottle, list[int], FakeTime]:
    time = FakeTime()
    sent: list[int] = []
    return ProgressThrottle(sent.append, 0.3, clock=time.clock, timer=time.timer), sent, time


def test_first_report_goes_at_once_then_the_newest_after_the_period() -> None:
    throttle, sent, time = throttled()
    throttle(0)
    for value in (10, 20, 30):
        time.advance(0.05)
        throttle(value)
    assert sent == [0]
    time.advance(0.2)
    assert sent == [0, 30]


def test_one_report_per_period_however_many_calls() -> None:
    throttle, sent, time = throttled()
    for value in range(100):  # one call every 10 ms for one second
        throttle(value)
        time.advance(0.01)
    time.advance(1)
    assert sent[0] == 0 and sent[-1] == 99
    assert len(sent) == 5  # at 0, 0.3, 0.6, 0.9 and the trailing newest


def test_close_sends_the_pending_value_and_nothing_after() -> None:
    throttle, sent, time = throttled()
    throttle(1)
    throttle(2)
    throttle.close()
    throttle(3)
    time.advance(1)
    assert sent == [1, 2]
