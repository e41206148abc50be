"""Property tests: garbage never escapes as anything but StraceparseError, a bad line costs only itself, and generated lines render back."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from straceparse import StraceparseError, Syscall, parse_lines
from straceparse.values import CString, Symbol, render

GOOD_FIRST = "14293 19:25:08.540474 brk(NULL)         = 0x56362b524000 <0.000008>"
GOOD_SECOND = "14300 19:25:09.334917 close(4</srv/lab/trace-captures/exim/spool/msglog/1xZYu5-0003id-0z>(deleted)) = 0 <0.000018>"

# Lines of any text; '>' and '|' are left out because a line made of them can
# be a valid -k frame or hexdump line, which belongs to the call before it.
garbage_lines = st.lists(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r>|"),
        max_size=80,
    ),
    max_size=6,
)


def _without_lines(event):
    data = event.to_dict()
    data.pop("lines")
    return data


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=120), max_size=12))
def test_garbage_raises_only_own_errors(lines):
    try:
        for event in parse_lines(lines):
            event.to_dict()
            if event.kind in ("syscall", "signal", "exit"):
                event.render()
    except StraceparseError:
        pass


@settings(max_examples=300, deadline=None)
@given(garbage_lines)
def test_garbage_leaves_neighbours_unchanged(garbage):
    clean = [event for event in parse_lines([GOOD_FIRST, GOOD_SECOND]) if isinstance(event, Syscall)]
    noisy = list(parse_lines([GOOD_FIRST] + garbage + [GOOD_SECOND]))
    first = [event for event in noisy if 1 in event.lines][0]
    second = [event for event in noisy if len(garbage) + 2 in event.lines][0]
    assert first.lines == (1,)
    assert second.lines == (len(garbage) + 2,)
    assert _without_lines(first) == _without_lines(clean[0])
    assert _without_lines(second) == _without_lines(clean[1])


values = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**64),
    st.binary(max_size=20).map(CString),
    st.from_regex(r"[A-Z][A-Z0-9_]{0,12}", fullmatch=True).map(Symbol),
)
prefixes = st.tuples(
    st.sampled_from(["", "bracket", "bare"]),
    st.integers(min_value=1, max_value=4194304),
    st.sampled_from(["", "relative", "clock", "epoch"]),
    st.integers(min_value=0, max_value=86399 * 10**6),
    st.integers(min_value=1, max_value=3),
)


def _prefix(form, pid, stamp_kind, micros, gap):
    text = {"": "", "bracket": "[pid %5d] " % pid, "bare": "%d " % pid}[form]
    seconds, fraction = divmod(micros, 10**6)
    if stamp_kind == "relative":
        text += "%6d.%06d" % (seconds % 100, fraction) + " " * gap
    elif stamp_kind == "clock":
        text += "%02d:%02d:%02d.%06d" % (seconds // 3600, seconds // 60 % 60, seconds % 60, fraction) + " " * gap
    elif stamp_kind == "epoch":
        text += "%d.%06d" % (1700000000 + seconds, fraction) + " " * gap
    return text


@settings(max_examples=300, deadline=None)
@given(
    prefixes,
    st.from_regex(r"[a-z_][a-z0-9_]{0,15}", fullmatch=True),
    st.lists(values, max_size=5),
    st.one_of(st.integers(min_value=0, max_value=2**31).map(str), st.sampled_from(["-1 ENOENT (No such file or directory)", "? ERESTARTSYS (To be restarted if SA_RESTART is set)", "0 (Timeout)"])),
    st.integers(min_value=1, max_value=40),
    st.one_of(st.none(), st.integers(min_value=0, max_value=10**9)),
)
def test_generated_call_renders_back(prefix, name, args, retval_text, eq_gap, duration):
    line = _prefix(*prefix) + "%s(%s)%s= %s" % (name, ", ".join(render(value) for value in args), " " * eq_gap, retval_text)
    if duration is not None:
        line += " <%d.%06d>" % divmod(duration, 10**6)
    (event,) = list(parse_lines([line]))
    assert event.syscall == name
    assert event.args == tuple(args)
    assert event.retval_text == retval_text
    assert event.render() == [line]

