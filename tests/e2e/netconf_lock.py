#!/usr/bin/python3
"""Hold the candidate of a router locked over NETCONF (ncclient):

    netconf_lock.py HOST USER KEY

prints "locked" once it holds the lock, then keeps it until it is ended
(or 60 s pass); the lock goes with the session."""
import sys
import time

from ncclient import manager

m = manager.connect(host=sys.argv[1], port=830, username=sys.argv[2], key_filename=sys.argv[3],
                    hostkey_verify=False, allow_agent=False, look_for_keys=False, timeout=20)
m.lock(target="candidate")
print("locked", flush=True)
time.sleep(60)
