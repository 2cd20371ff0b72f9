"""The bounded map behind the answer caches and the kept query plans (hub/kit/bounded.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from hub.kit import bounded
from hub.kit.bounded import BoundedMap


def test_the_least_recently_used_value_goes_first_when_the_map_is_full() -> None:
    held: BoundedMap[str] = BoundedMap(entries=2)
    held.put(("a",), "A")
    held.put(("b",), "B")
    assert held.get(("a",)) == "A"  # "a" is now the most recently used
    held.put(("c",), "C")
    assert held.get(("b",)) is None
    assert (held.get(("a",)), held.get(("c",))) == ("A", "C")


def test_a_value_put_again_is_replaced_and_counted_once() -> None:
    held: BoundedMap[str] = BoundedMap(entries=2)
    held.put(("a",), "A")
    held.put(("a",), "A2")
    held.put(("b",), "B")
    assert (held.get(("a",)), held.get(("b",))) == ("A2", "B")


def test_with_seconds_a_value_is_forgotten_that_long_after_it_was_put(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1000.0]
    monkeypatch.setattr(bounded, "time", SimpleNamespace(monotonic=lambda: now[0]))
    held: BoundedMap[bool] = BoundedMap(entries=8, seconds=60)
    held.put(("plan",), True)
    now[0] += 59.9
    assert held.get(("plan",)) is True  # reading it does not keep it longer
    now[0] += 0.2
    assert held.get(("plan",)) is None


def test_without_seconds_a_value_stays_until_pushed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(bounded, "time", SimpleNamespace(monotonic=lambda: now[0]))
    held: BoundedMap[bytes] = BoundedMap(entries=8)
    held.put(("answer",), b"{}")
    now[0] += 10**9
    assert held.get(("answer",)) == b"{}"
