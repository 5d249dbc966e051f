# The one place that knows which output fields vary between runs.
# Keep in step with shell/render.c; each rule names what it hides.
#
# date line of every show command:        Thu 2026-11-26 18:40:02 UTC
s/^[A-Z][a-z][a-z] [0-9]\{4\}-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9] [A-Z+0-9-]*$/DAY YYYY-MM-DD HH:MM:SS TZ/
# timing footer:                          Completed in 0.01 seconds
s/^Completed in [0-9]*\.[0-9][0-9] seconds$/Completed in N.NN seconds/
# durations:                              0 hrs 0 min 5 sec
s/[0-9][0-9]* hrs [0-9][0-9]* min [0-9][0-9]* sec/H hrs M min S sec/g
# process ids:                            svrd pid 1234
s/svrd pid [0-9][0-9]*/svrd pid PID/
# system library and kernel versions
s/^\(  OpenSSL: *\).*/\1OPENSSL-VERSION/
s/^\(  libyang: *\).*/\1LIBYANG-VERSION/
s/^\(  Kernel: *\).*/\1KERNEL-VERSION/
# times in tables (show config history):  2026-11-26 18:40:02
# (not 2020: the test certificates' fixed dates are shown as they are)
s/\(202[1-9]\|20[3-9][0-9]\|21[0-9][0-9]\)-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]/YYYY-MM-DD HH:MM:SS/g
# times in JSON (seconds since the epoch): "time": 1795727568
s/"time": [0-9][0-9]*/"time": EPOCH/
# the user in tables is whoever ran the test
s/^\([0-9][0-9]*  *\)[a-z_][a-z0-9_-]* \( *YYYY\)/\1admin\2/
# times in the operational state (YANG date-and-time): "time": "2026-12-01T20:00:00Z"
s/"time": "[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[^"]*"/"time": "DATE-AND-TIME"/
# the deadline of a commit confirmed, in local time:  rolls back at 2026-12-01 20:50:00 UTC
s/rolls back at YYYY-MM-DD HH:MM:SS [A-Z+0-9-]*/rolls back at YYYY-MM-DD HH:MM:SS TZ/
