"""The monitor on a real pseudo-terminal, read through a terminal emulator
(pyte): drawn at 80x24, at 200x50 after a resize, and showing a peer's
change (its key index after a rekey) within 2 seconds.

usage: monitor-screen.py SVRLAB ROUTER PEER
Runs "SVRLAB exec ROUTER svrsh" (the lab named by $SVRLAB_NAME), prints
what it checks, and exits 1 at the first failure, with the screen.
"""
import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time

import pyte

svrlab, router, peer = sys.argv[1:4]


def fail(msg, screen=None):
    print("FAIL:", msg)
    if screen is not None:
        print("\n".join(line.rstrip() for line in screen.display))
    sys.exit(1)


def winsize(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


pid, fd = pty.fork()
if pid == 0:
    # pyte does not know REP (repeat a character): a terminal without it
    os.environ["TERM"] = "vt220"
    os.execvp(svrlab, [svrlab, "exec", router, "svrsh"])
winsize(fd, 24, 80)
screen = pyte.Screen(80, 24)
stream = pyte.ByteStream(screen)


def pump(seconds):
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return
        ready, _, _ = select.select([fd], [], [], min(left, 0.05))
        if ready:
            try:
                stream.feed(os.read(fd, 65536))
            except OSError:
                return


def until(what, seconds, test):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if test():
            return time.monotonic()
        pump(0.05)
    fail("timed out waiting for " + what, screen)


def row_of(name):
    for line in screen.display:
        if line.startswith(name + " "):
            return line.split()
    return None


def svrsh(command):
    return subprocess.run([svrlab, "exec", router, "svrsh", "-c", command],
                          capture_output=True, text=True, check=True).stdout


def key_index():
    state = json.loads(svrsh("show state"))
    for r in state["opensvr:authority-state"]["router"]:
        for p in r.get("peer-path", []):
            if p["peer"] == peer:
                return p["key-index"]
    fail("no path to %s in the state" % peer)


until("the prompt", 10, lambda: any(l.rstrip().endswith("# ") or
                                    l.rstrip().endswith("#") for l in screen.display))
os.write(fd, b"monitor\r")
until("%s up with MKEY_EXCH_COMP at 80x24" % peer, 10,
      lambda: (row_of(peer) or [])[1:3] == ["up", "MKEY_EXCH_COMP"])
d = screen.display
if "opensvr monitor" not in d[0] or router not in d[0]:
    fail("the title line at 80x24", screen)
if not d[4].split()[:3] == ["PEER", "STATE", "SECURITY"] or "CERTIFICATE" in d[4]:
    fail("the peer table's header at 80x24 (no certificate column)", screen)
if not d[22].startswith("ALARMS (") or "q: quit" not in d[23]:
    fail("the alarms and the key line at the bottom of 24 rows", screen)
print("ok - drawn at 80x24")

winsize(fd, 50, 200)
screen.resize(50, 200)
until("the redraw at 200x50", 5,
      lambda: "CERTIFICATE" in screen.display[4] and
      (row_of(peer) or [""])[-1] == "valid" and "q: quit" in screen.display[49])
if not screen.display[0].rstrip().endswith("UTC") or len(screen.display[0].rstrip()) < 190:
    fail("the title's clock at the right edge of 200 columns", screen)
print("ok - drawn again at 200x50 after the resize")

before = key_index()
if int(row_of(peer)[3]) != before:
    fail("the key index on screen is not the state's %d" % before, screen)
svrsh("security peer-key rekey")
changed = time.monotonic()
after = key_index()
if after == before:
    fail("the rekey did not change the key index")
shown = until("the new key index %d within 2 s" % after, 2.0,
              lambda: (row_of(peer) or ["", "", "", "0"])[3] == str(after))
print("ok - the key index %d -> %d on screen %.2f s after the change"
      % (before, after, shown - changed))

os.write(fd, b"q")
until("the prompt after q, the screen cleared", 5,
      lambda: any(("@%s-1.%s#" % (router, router)) in l for l in screen.display) and
      not any("q: quit" in l or "PEER" in l for l in screen.display))
print("ok - q leaves the monitor")
os.write(fd, b"\x04")
pump(1.0)
os.waitpid(pid, 0)
