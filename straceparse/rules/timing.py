"""The resolution of a log's clock, and time differences measured on it.

Rules that subtract two timestamps use these helpers, so a difference the
clock cannot resolve is reported as unknown rather than as a measurement.
"""

from __future__ import annotations

from typing import Optional, Tuple

from ..events import Event, Syscall

__all__ = ["clock_resolution", "resolution_note", "resolved_difference", "measured_duration"]

#: The tick of a stamp printed without a fraction (``strace -t``: ``19:25:08``).
WHOLE_SECOND = 1.0


def clock_resolution(event: Event) -> float:
    """Return the tick of the clock that gave ``event.time``, in seconds; 0.0 when the event has no stamp.

    ``-tt`` and ``-ttt`` print microseconds (a 1e-6 s tick) and ``-t`` whole
    seconds (1 s).  Under ``-t -r`` the event's time is the running sum of
    the ``-r`` deltas, so the tick is the delta's.  An event built without a layout (not by the parser) counts as
    whole seconds when its time-of-day or epoch stamp is a whole number.
    """
    if event.time is None:
        return 0.0
    if event.layout:
        layout = event.layout[0]
        if not layout.stamp_form:
            return 0.0
        # Under -t -r the parser sums the deltas, so their fraction sets the tick.
        digits = layout.delta_digits if layout.stamp_form == "clock_delta" else layout.stamp_digits
        return WHOLE_SECOND if digits <= 0 else 10.0 ** -digits
    stamp = event.timestamp
    if event.timestamp_kind in ("clock", "epoch") and stamp is not None and float(stamp).is_integer():
        return WHOLE_SECOND
    return 0.0


def resolved_difference(seconds: float, *events: Event) -> Optional[float]:
    """Return ``seconds``, a difference of the stamps of ``events``, or None when their clock cannot resolve it.

    Each stamp is only known to within one tick, so a difference of one tick
    or less (a whole-second clock that moved by 0 or 1) may be anything from
    nothing to two ticks, and is no measurement.
    """
    tick = max(clock_resolution(event) for event in events)
    if seconds <= tick and tick > 0.0:
        return None
    return seconds


def resolution_note(*events: Event) -> str:
    """Return a message suffix that gives the error of a stamp difference on a whole-second clock, or ''."""
    tick = max(clock_resolution(event) for event in events)
    if tick < WHOLE_SECOND:
        return ""
    return " (to within %g s: the log's clock prints whole seconds)" % tick


def measured_duration(event: Syscall, next_time: Optional[float] = None) -> Tuple[Optional[float], str]:
    """Return how long ``event`` took and where that number came from.

    ``duration`` is strace's ``-T`` value.  ``timestamps`` is the resumed
    line's time minus the call's time, or else ``next_time`` (the same pid's
    next event) minus the call's time.  A ``timestamps`` measure the log's
    clock cannot resolve (see :func:`resolved_difference`), or no clock at
    all, gives ``(None, "unknown")``.  The scan's test for
    :meth:`~straceparse.rules.engine.Rule.min_seconds` repeats the first two
    measures inline, without the resolution check.
    """
    if event.duration is not None:
        return event.duration, "duration"
    if event.time is None:
        return None, "unknown"
    if event.end_time is not None:
        seconds = event.end_time - event.time
    elif next_time is not None:
        seconds = next_time - event.time
    else:
        return None, "unknown"
    if resolved_difference(seconds, event) is None:
        return None, "unknown"
    return seconds, "timestamps"
