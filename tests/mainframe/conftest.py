"""Helpers for the mainframe tests: a bus, real reporters and a clock that tests move."""

from __future__ import annotations

import pytest

from oocana_local.mainframe.bus import Bus
from oocana_local.mainframe.messages import SessionReporter
from oocana_local.mainframe.recorder import EventList


class Clock:
    """``clock()`` returns ``now``; tests move it with ``advance``."""

    def __init__(self, now: float = 100.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def events() -> EventList:
    return EventList()


@pytest.fixture
def bus(events: EventList) -> Bus:
    return Bus([events])


@pytest.fixture
def session(bus: Bus) -> SessionReporter:
    return SessionReporter(bus, "session-1", "flows/demo")
