"""The ``straceparse`` command's entry point, also run by ``python -m straceparse``.

It grows the pipe on standard input before the rest of the package loads.
"""

import os
import stat
import sys

# Linux's F_SETPIPE_SZ (fcntl.F_SETPIPE_SZ from Python 3.10 on).
_F_SETPIPE_SZ = 1031
_PIPE_SIZE = 1 << 20  # 1 MiB: the default /proc/sys/fs/pipe-max-size, which an unprivileged process may set


def _grow_stdin_pipe() -> None:
    """Give a pipe on standard input room for 1 MiB of trace before the reader starts.

    Loading the parser, grammar and rules takes about 0.15 s.  When strace
    fills a 64 KiB pipe in that time, it stops the traced program until the
    pipe drains, and the stop reads as a gap in the trace.  Piped that way,
    ``strace -f -tt -T CMD 2>&1 | straceparse scan -`` showed idle-gap
    findings that the same trace written with ``-o FILE`` did not.
    """
    try:
        if not stat.S_ISFIFO(os.fstat(0).st_mode):
            return
        import fcntl

        fcntl.fcntl(0, getattr(fcntl, "F_SETPIPE_SZ", _F_SETPIPE_SZ), _PIPE_SIZE)
    except (OSError, ValueError):
        # NOTE: not Linux, or a pipe-max-size below 1 MiB: the pipe keeps its size.
        pass


def main() -> int:
    """Run the command line with ``sys.argv``; return the exit status."""
    _grow_stdin_pipe()
    from .cli import main as run

    return run()


if __name__ == "__main__":
    sys.exit(main())
