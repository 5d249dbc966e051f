"""Run "svrsh" on a pseudo-terminal of ROWSxCOLS, type "monitor", let it
draw for SECONDS, and print the CPU seconds (user + system) that svrsh and
the svrd of PID used meanwhile, from /proc.

usage: monitor-cpu.py SECONDS ROWS COLS SVRD-PID COMMAND...
"""
import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time

seconds, rows, cols, svrd = (float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]),
                             int(sys.argv[4]))
HZ = os.sysconf("SC_CLK_TCK")


def cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def drain(fd, until):
    while time.monotonic() < until:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                os.read(fd, 65536)
            except OSError:
                return


pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "xterm"
    os.execvp(sys.argv[5], sys.argv[5:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
drain(fd, time.monotonic() + 1.0)
os.write(fd, b"monitor\r")
drain(fd, time.monotonic() + 2.0)
shell0, svrd0, t0 = cpu(pid), cpu(svrd), time.monotonic()
drain(fd, t0 + seconds)
shell1, svrd1, t1 = cpu(pid), cpu(svrd), time.monotonic()
os.write(fd, b"q")
drain(fd, time.monotonic() + 0.5)
os.write(fd, b"\x04")
drain(fd, time.monotonic() + 0.5)
os.waitpid(pid, 0)
print("%.3f %.3f %.1f" % (shell1 - shell0, svrd1 - svrd0, t1 - t0))
