"""The public API: what ``import straceparse`` offers."""

import attrs

import straceparse
from straceparse import events


def test_all_names_exist():
    for name in straceparse.__all__:
        assert hasattr(straceparse, name), name


def test_all_lists_public_names():
    public = {name for name in vars(straceparse) if not name.startswith("_") and name[0].isupper()}
    assert public <= set(straceparse.__all__)


def test_events_frozen_and_slotted():
    for cls in (events.Syscall, events.Signal, events.Exit, events.Message, events.Unparsed):
        assert attrs.has(cls)
        assert "__slots__" in vars(cls)
        assert cls.__attrs_attrs__ is not None
        assert getattr(cls, "__setattr__") is not object.__setattr__


def test_parse_text_source():
    found = list(straceparse.parse("brk(NULL) = 0x1\nclose(3) = 0\n"))
    assert [event.syscall for event in found] == ["brk", "close"]
    assert [event.lines for event in found] == [(1,), (2,)]
