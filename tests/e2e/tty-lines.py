"""Type LINE into PROGRAM on a pseudo-terminal COLS columns wide, then
Ctrl-D, and print what came back, one line per terminal line, with the
terminal's escape sequences taken out: what an operator at a terminal of
that width sees, to check it fits.

usage: tty-lines.py COLS LINE PROGRAM ARG...
"""
import fcntl
import os
import pty
import re
import select
import struct
import sys
import termios
import time

cols, line = int(sys.argv[1]), sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "vt220"
    os.execvp(sys.argv[3], sys.argv[3:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, cols, 0, 0))
out = b""


def pump(seconds, until=None):
    global out
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if until and until(out):
            return
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                out += os.read(fd, 65536)
            except OSError:
                return


pump(10, lambda o: o.rstrip().endswith(b"#"))
start = len(out)
os.write(fd, line.encode() + b"\r")
# the prompt again, after the output
pump(10, lambda o: o[start:].count(b"\n") >= 2 and o[start:].rstrip().endswith(b"#"))
os.write(fd, b"\x04")
pump(2)
os.waitpid(pid, 0)
text = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", out[start:]).decode("utf-8", "replace")
for piece in text.split("\r\n"):
    print(piece.split("\r")[-1])
