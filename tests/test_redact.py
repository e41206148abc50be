"""Redaction of real strace lines: what is replaced, with which placeholder, and what is kept."""

import pytest

import straceparse
from straceparse.redact import Redactor, redact_report

from conftest import CAPTURES, EXIM_TRACES

# (real line from the fixtures, the line after redaction by a fresh Redactor)
LINE_CASES = [
    (
        # exim-f-tt-T-yy.strace: -yy decorations carry both endpoints' addresses.
        '14299 19:25:09.514204 write(5<TCP:[127.0.0.1:2525->127.0.0.1:37478]>, "221 vm closing connection\\r\\n", 27) = 27 <0.000089>',
        '14299 19:25:09.514204 write(5<TCP:[[ip-1]:2525->[ip-1]:37478]>, "[data-1]", 27) = 27 <0.000089>',
    ),
    (
        # exim-ff-tt-T/exim.14417: the client's MAIL FROM, an e-mail address inside a read buffer.
        '19:25:23.728784 read(6, "MAIL FROM:<tester@localhost>\\r\\n", 8191) = 30 <0.000045>',
        '19:25:23.728784 read(6, "[data-1]", 8191) = 30 <0.000045>',
    ),
    (
        # exim-ff-tt-T/exim.14417: a truncated write keeps strace's "..." mark.
        '19:25:23.728555 write(5, "250-vm Hello client.test [127.0."..., 142) = 142 <0.000090>',
        '19:25:23.728555 write(5, "[data-1]"..., 142) = 142 <0.000090>',
    ),
    (
        # exim-f-r-s128.strace: a resumed read names its syscall only in the resumed mark.
        '13542      0.000066 <... read resumed>"QUIT\\r\\n", 8191) = 6',
        '13542      0.000066 <... read resumed>"[data-1]", 8191) = 6',
    ),
    (
        # Made-up lines below: the captures hold no home paths or remote sockaddrs.
        # A path argument is not a buffer: only the home directory's user name goes.
        '4242  openat(AT_FDCWD, "/home/alice/.config/app.conf", O_RDONLY) = 3',
        '4242  openat(AT_FDCWD, "/home/[user-1]/.config/app.conf", O_RDONLY) = 3',
    ),
    (
        # -yy names the working directory after AT_FDCWD: the user name ends at the decoration's ">".
        '4242  openat(AT_FDCWD</home/jdoe>, "/home/jdoe/.notes", O_RDONLY) = 3</home/jdoe/.notes>',
        '4242  openat(AT_FDCWD</home/[user-1]>, "/home/[user-1]/.notes", O_RDONLY) = 3</home/[user-1]/.notes>',
    ),
    (
        '4242  connect(3, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.1.2.3")}, 16) = 0',
        '4242  connect(3, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("[ip-1]")}, 16) = 0',
    ),
    (
        # A sockaddr inside a buffer call keeps its address placeholder, not a data one.
        '4242  sendto(3, "\\x12\\x34", 2, 0, {sa_family=AF_INET6, sin6_port=htons(53), inet_pton(AF_INET6, "fe80::1", &sin6_addr)}, 28) = 2',
        '4242  sendto(3, "[data-1]", 2, 0, {sa_family=AF_INET6, sin6_port=htons(53), inet_pton(AF_INET6, "[ip-1]", &sin6_addr)}, 28) = 2',
    ),
    (
        # Clock stamps, library names and version numbers are not addresses or hosts.
        '19:25:23.727008 openat(AT_FDCWD, "/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY|O_CLOEXEC) = 3 <0.000055>',
        '19:25:23.727008 openat(AT_FDCWD, "/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY|O_CLOEXEC) = 3 <0.000055>',
    ),
]


@pytest.mark.parametrize("line, expected", LINE_CASES)
def test_redact_line_real_cases(line, expected):
    assert Redactor().line(line) == expected


TEXT_CASES = [
    ("mail from tester@localhost to sink@example.org", "mail from [email-1] to [email-2]"),
    ("peer ::ffff:10.0.0.1 and 2001:db8::2:1 at 19:25:23.5", "peer [ip-1] and [ip-2] at 19:25:23.5"),
    ("resolved mail.example.org for client.test.", "resolved [host-1] for [host-2]."),
    ("read /etc/exim4/exim-minimal.conf and ld-linux-x86-64.so.2", "read /etc/exim4/exim-minimal.conf and ld-linux-x86-64.so.2"),
    ("MAC aa:bb:cc:dd:ee:ff is not an address", "MAC aa:bb:cc:dd:ee:ff is not an address"),
]


@pytest.mark.parametrize("text, expected", TEXT_CASES)
def test_redact_text_real_cases(text, expected):
    assert Redactor().text(text) == expected


def test_placeholders_stable_per_value():
    redactor = Redactor()
    first = redactor.text("127.0.0.1 talks to 10.0.0.2")
    second = redactor.text("10.0.0.2 answers 127.0.0.1")
    assert first == "[ip-1] talks to [ip-2]"
    assert second == "[ip-2] answers [ip-1]"


def test_buffer_seen_in_line_redacted_in_text():
    redactor = Redactor()
    redactor.line('19:25:23.728102 read(6, "EHLO client.test\\r\\n", 8191) = 18 <0.000022>')
    assert redactor.text('the client sent "EHLO client.test\\r\\n"') == 'the client sent "[data-1]"'


def test_uname_nodename_learned_as_host():
    redactor = Redactor()
    redactor.learn(['uname({sysname="Linux", nodename="vm", ...}) = 0'])
    assert redactor.text("220 vm ESMTP, not vmstat") == "220 [host-1] ESMTP, not vmstat"


def test_whole_exim_trace_leaks_nothing():
    """Every line of a real capture, redacted, keeps none of the session's personal values."""
    path = EXIM_TRACES / "exim-f-tt-T-yy.strace"
    lines = path.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    secrets = ["127.0.0.1", "tester@localhost", "sink@localhost", "client.test", "221 vm closing"]
    joined = "\n".join(lines)
    for secret in secrets:
        assert secret in joined, secret  # the capture does hold them before redaction
    redactor = Redactor(names=["vm"])
    redacted = "\n".join(redactor.line(line) for line in lines)
    for secret in secrets:
        assert secret not in redacted, secret


def test_redact_report_keeps_optional_fields():
    report = straceparse.scan(EXIM_TRACES / "exim-f-tt-T-yy.strace", select=["poll-timeout-before-close"])
    redacted = redact_report(report)
    assert len(redacted.findings) == len(report.findings)
    assert redacted.findings[0].cost_seconds == report.findings[0].cost_seconds
    assert redacted.findings[0].lines == report.findings[0].lines
    assert "127.0.0.1" in report.findings[0].evidence[0].text
    assert "127.0.0.1" not in redacted.findings[0].evidence[0].text


def test_hexdump_line_redacted():
    line = (CAPTURES / "binary" / "gzip-blob-s4096-hexdump-read3-write1.strace").read_text().splitlines()[3]
    assert line.startswith(" | 00000  7f 45 4c 46")
    assert Redactor().line(line) == " | 00000  [dump]"
