"""How an event was laid out on its lines, and rendering events back to those lines.

In: an event from :mod:`straceparse.events` with its :class:`LineLayout` per
line.  Out: the text of the lines it came from, rebuilt from the event's
typed fields (pid, timestamp, syscall, argument text, return value, errno,
duration, stack, hexdump and its buffers) plus the spacing recorded here.  Never raises for
an event the parser built.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

import attrs

__all__ = [
    "LineLayout",
    "format_stamp",
    "render_event",
    "render_frame",
    "render_logical_lines",
    "render_dump",
    "render_dump_line",
    "render_buffer_header",
]


@attrs.frozen(slots=True)
class LineLayout:
    """The spacing and precision of one line's envelope, everything that is not a value.

    ``pid_form`` is ``bracket`` (``[pid  5173] ``), ``bare`` (``14166 ``) or
    empty; ``stamp_form`` is ``seconds`` (``-r``, ``-ttt``), ``clock``
    (``-t``, ``-tt``), ``clock_delta`` (``-t -r``: ``19:25:08 (+ 0.000123)``)
    or empty.  Widths count spaces; ``-1`` digits means the field is absent.
    The parser shares one instance between all lines of the same shape.
    """

    indent: str = ""
    pid_form: str = ""
    pid_pad: int = 0
    pid_gap: int = 0
    stamp_form: str = ""
    stamp_digits: int = -1
    delta_pad: int = 0
    delta_digits: int = -1
    stamp_gap: int = 0
    ip_width: int = 0
    ip_gap: int = 0
    nr_width: int = 0
    nr_gap: int = 0
    eq_gap: int = 1
    duration_digits: int = -1
    unavailable: bool = False
    clock: Optional[float] = None  # under -t -r, the time of day printed before the delta
    stamp_text: Optional[str] = None  # a -ttt stamp with more digits than its float holds, as printed
    # The first half of a split call, as printed: its "<comm>" (-Y) and -i address, which
    # the resumed half the event takes them from may print otherwise; None to use the event's.
    comm_text: Optional[str] = None
    ip_text: Optional[str] = None
    # False for the end of a split call that strace printed without "<... name resumed>" (-z).
    resume_marker: bool = True


def _fixed(value: float, digits: int) -> str:
    if digits <= 0:
        return "%d" % round(value)
    scale = 10**digits
    whole, fraction = divmod(round(value * scale), scale)
    return "%d.%0*d" % (whole, digits, fraction)


def _clock(seconds: float, digits: int) -> str:
    scale = 10 ** max(digits, 0)
    whole, fraction = divmod(round(seconds * scale), scale)
    hours, rest = divmod(whole % 86400, 3600)
    minutes, secs = divmod(rest, 60)
    text = "%02d:%02d:%02d" % (hours, minutes, secs)
    return text + (".%0*d" % (digits, fraction) if digits > 0 else "")


def format_stamp(layout: LineLayout, timestamp: Optional[float], time: Optional[float]) -> str:
    """Render the timestamp column as strace printed it (without the spaces after it)."""
    form = layout.stamp_form
    if layout.stamp_text is not None:
        return layout.stamp_text
    if form == "seconds":
        return _fixed(timestamp, layout.stamp_digits)
    if form == "clock":
        return _clock(timestamp, layout.stamp_digits)
    if form == "clock_delta":
        return "%s (+%s%s)" % (
            _clock(layout.clock if layout.clock is not None else time, layout.stamp_digits),
            " " * layout.delta_pad,
            _fixed(timestamp, layout.delta_digits),
        )
    return ""


def _prefix(layout: LineLayout, event, timestamp, time, number: Optional[int]) -> str:
    out = [layout.indent]
    pid = event.pid
    if layout.comm_text is not None:
        comm = layout.comm_text
    else:
        comm = "<%s>" % event.comm if event.comm is not None else ""
    if layout.pid_form == "bracket":
        out.append("[pid%s%d%s]" % (" " * layout.pid_pad, pid, comm))
    elif layout.pid_form == "bare":
        out.append("%d%s" % (pid, comm))
    out.append(" " * layout.pid_gap)
    if layout.stamp_form:
        out.append(format_stamp(layout, timestamp, time))
        out.append(" " * layout.stamp_gap)
    if layout.nr_width:
        out.append("[%*d]" % (layout.nr_width, number if number is not None else 0))
        out.append(" " * layout.nr_gap)
    if layout.ip_width:
        if layout.ip_text is not None:
            out.append("[%s]" % layout.ip_text)
        else:
            ip = getattr(event, "ip", None)
            out.append("[%s]" % ("?" * layout.ip_width if ip is None else "%0*x" % (layout.ip_width, ip)))
        out.append(" " * layout.ip_gap)
    return "".join(out)


def _result(layout: LineLayout, event) -> str:
    text = ")%s= %s" % (" " * layout.eq_gap, event.retval_text)
    if layout.duration_digits >= 0:
        text += " <%s>" % _fixed(event.duration, layout.duration_digits)
    elif layout.unavailable:
        text += " <unavailable>"
    return text


def render_logical_lines(event) -> List[str]:
    """Render a syscall's logical lines (its start and its resumed half) before its cuts split them into physical lines."""
    layouts = event.layout
    name = event.syscall
    number = event.syscall_number
    head = event.args_text[: event.split] if event.split is not None else event.args_text
    tail = event.args_text[event.split :] if event.split is not None else ""
    lines = []
    if event.started and event.split is not None:
        lines.append(_prefix(layouts[0], event, event.timestamp, event.time, number) + "%s(%s <unfinished ...>" % (name, head))
        if len(layouts) == 1:
            return lines
        resumed_layout = layouts[1]
        stamp, time = event.end_timestamp, event.end_time
    elif event.started:
        layout = layouts[0]
        return [_prefix(layout, event, event.timestamp, event.time, number) + "%s(%s%s" % (name, head, _result(layout, event))]
    else:
        resumed_layout = layouts[0]
        stamp, time = event.timestamp, event.time
        tail = event.args_text
    body = "<... %s resumed>%s" % (name, tail) if resumed_layout.resume_marker else tail
    if not event.finished:
        body += "<unfinished ...>"
    lines.append(_prefix(resumed_layout, event, stamp, time, number) + body + _result(resumed_layout, event))
    return lines


def _signal_body(event) -> str:
    if event.stopped:
        return "--- stopped by %s ---" % event.signal
    return "--- %s %s ---" % (event.signal, event.info_text)


def _exit_body(event) -> str:
    if event.signal is not None:
        return "+++ killed by %s%s +++" % (event.signal, " (core dumped)" if event.core_dumped else "")
    return "+++ exited with %d +++" % event.status


_BODIES = {"signal": _signal_body, "exit": _exit_body, "message": lambda event: event.text}


def render_frame(frame) -> str:
    """Render one ``-k`` stack frame line: `` > /usr/lib/libc.so.6(poll+0x10) [0xfc230]``."""
    symbol = frame.function or ""
    if frame.offset is not None:
        symbol += "+0x%x" % frame.offset
    text = "%s> %s(%s) [0x%x]" % (frame.indent, frame.module, symbol, frame.address)
    return text + (" " + frame.source if frame.source is not None else "")


def _printable(byte: int) -> str:
    return chr(byte) if 0x20 <= byte < 0x7F else "."


def render_dump(data: bytes) -> List[str]:
    """Render an ``-e read=``/``-e write=`` hexdump: 16 bytes a line, offset, hex and text.

    The offset column is five hex digits wide, or wider for a buffer whose
    length needs more (strace prints ``000000`` from 0x100000 bytes on).
    """
    width = max(5, len("%x" % len(data)))
    return [render_dump_line(offset, data[offset : offset + 16], width) for offset in range(0, len(data), 16)]


def render_dump_line(offset: int, chunk: bytes, width: int = 5) -> str:
    """Render one hexdump line: the ``chunk`` of up to 16 bytes found at ``offset``, the offset ``width`` digits wide."""
    hexes = " ".join("%02x" % byte for byte in chunk[:8])
    if len(chunk) > 8:
        hexes += "  " + " ".join("%02x" % byte for byte in chunk[8:])
    text = "".join(_printable(byte) for byte in chunk)
    return " | %0*x  %-48s  %-16s |" % (width, offset, hexes, text)


def render_buffer_header(size: int, index: int) -> str:
    """Render the line strace prints before each buffer's hexdump of a ``readv``/``writev``-like call."""
    return " * %d bytes in buffer %d" % (size, index)


def _split_cuts(lines: List[str], cuts: Tuple[Tuple[int, int, str, Optional[str]], ...]) -> List[str]:
    """Cut logical lines back into the physical lines noise had split them into.

    A cut whose joiner is None puts text back inside its line (program
    output printed into a ``write``'s line) without starting a new one.
    """
    out: List[str] = []
    for index, line in enumerate(lines):
        start = 0
        pending = ""
        for line_index, position, glued, joiner in cuts:
            if line_index != index:
                continue
            if joiner is None:
                pending += line[start:position] + glued
                start = position
                continue
            out.append(pending + line[start:position] + glued)
            pending = ""
            start = position + len(joiner)
        out.append(pending + line[start:])
    return out


def render_event(event) -> List[str]:
    """Render ``event`` back to the lines it came from, stack frames and hexdump included."""
    if event.kind == "syscall":
        lines = render_logical_lines(event)
    else:
        body = _BODIES[event.kind](event)
        lines = [_prefix(event.layout[0], event, event.timestamp, event.time, event.syscall_number) + body]
    if event.cuts:
        lines = _split_cuts(lines, event.cuts)
    if event.kind == "syscall" and event.dump_buffers is not None:
        for index, data in enumerate(event.dump_buffers):
            lines.append(render_buffer_header(len(data), index))
            lines.extend(render_dump(data))
    elif event.kind == "syscall" and event.dump is not None:
        lines.extend(render_dump(event.dump))
    lines.extend(render_frame(frame) for frame in getattr(event, "stack", ()))
    return lines
