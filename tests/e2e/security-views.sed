# What varies between runs of security-views.sh, hidden; each rule names it.
# the date line of every view:          Tue 2026-12-01 22:59:26 UTC
s/^[A-Z][a-z][a-z] [0-9]\{4\}-[0-9][0-9]-[0-9][0-9] [0-9:]\{8\} [A-Z+0-9-]*$/DAY YYYY-MM-DD HH:MM:SS TZ/
# the timing footer
s/^Completed in [0-9]*\.[0-9][0-9] seconds$/Completed in N.NN seconds/
# times in tables:                      2026-12-01 22:59:26
s/20[2-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]/YYYY-MM-DD HH:MM:SS/g
# durations:                            23 hrs 59 min 10 sec
s/[0-9][0-9]* hrs [0-9][0-9]* min [0-9][0-9]* sec/H hrs M min S sec/g
# salts (random per exchange)
s/\(Salt: *\)[0-9][0-9]*/\1SALT/
s/salt: [0-9a-f]\{16\}/salt: SALT/g
# key fingerprints (the test CA's keys are new each run)
s/[0-9a-f]\{64\}/FINGERPRINT/g
s/\([0-9A-F][0-9A-F]:\)\{31\}[0-9A-F][0-9A-F]/FINGERPRINT/g
# the day before a normalised time:     Tue YYYY-MM-DD HH:MM:SS UTC Retrieving ...
s/^[A-Z][a-z][a-z] YYYY-MM-DD HH:MM:SS/DAY YYYY-MM-DD HH:MM:SS/
