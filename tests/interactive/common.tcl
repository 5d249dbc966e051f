# Shared by every interactive test: helpers, then source the test itself.
# A test fails by calling fail (exit 1); reaching the end passes.
set timeout 5
log_user 1
proc fail {msg} {
	puts "\nFAIL: $msg"
	exit 1
}
# Wait for pattern (regexp) or fail naming what was expected.
proc want {pattern what} {
	expect {
		-re $pattern {}
		timeout { fail "timed out waiting for $what" }
		eof { fail "svrsh exited while waiting for $what" }
	}
}
set prompt {@combo-east-1\.RTR_EAST_COMBO# $}
proc start_shell {} {
	global spawn_id prompt
	spawn $::env(SVRSH)
	want $prompt "the operational prompt"
}
source [lindex $argv 0]
puts "\nPASS"
exit 0
