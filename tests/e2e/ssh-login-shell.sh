#!/bin/sh
# e2e: svrsh as an operator's login shell over SSH.  A private sshd on
# loopback, a throw-away user whose shell is svrsh, a private svrd: one
# command through ssh, then an interactive session on a pseudo-terminal.
# Everything is removed at exit: the user, its group, sshd and svrd.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
need_root "the SSH login-shell test (it adds a user)"
fail() { echo "FAIL: $*"; exit 1; }
[ -x /usr/sbin/sshd ] || { echo "SKIP: no sshd (apt-get install openssh-server)"; exit 77; }
command -v ssh >/dev/null || { echo "SKIP: no ssh client"; exit 77; }

dir=$(test_tmpdir)
chmod 755 "$dir"
user="svrsh$$"
port=$((20000 + $$ % 20000))
trap 'for p in $TEST_PIDS; do kill "$p" 2>/dev/null; done; userdel "$user" 2>/dev/null; groupdel "$user" 2>/dev/null; test_cleanup' EXIT

# svrsh must be reachable by the new user: a copy in the test folder.
cp "$SVRSH" "$dir/svrsh"
chmod 755 "$dir/svrsh"
useradd -M -d "$dir" -U -s "$dir/svrsh" -p "*" "$user" || fail "useradd"

start_svrd "$dir" RTR_EAST_COMBO combo-east-1 >/dev/null || fail "svrd"
# stop it again: it must run with the user's group on its socket
kill "$SVRD_PID"; wait "$SVRD_PID" 2>/dev/null
"$SVRD" --foreground --state-dir "$dir/state" --socket "$dir/svrd.sock" --router RTR_EAST_COMBO \
	--node combo-east-1 --group "$user" --admin-group "$user" >"$dir/svrd.log" 2>&1 &
TEST_PIDS="$TEST_PIDS $!"
for _ in $(seq 100); do [ -S "$dir/svrd.sock" ] && break; sleep 0.05; done

ssh-keygen -q -t ed25519 -N '' -f "$dir/hostkey" || fail "host key"
ssh-keygen -q -t ed25519 -N '' -f "$dir/userkey" || fail "user key"
cp "$dir/userkey.pub" "$dir/authorized_keys"
chmod 644 "$dir/authorized_keys"
mkdir -p /run/sshd
cat >"$dir/sshd_config" <<CFG
ListenAddress 127.0.0.1
Port $port
HostKey $dir/hostkey
AuthorizedKeysFile $dir/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $dir/sshd.pid
SetEnv OPENSVR_SOCKET=$dir/svrd.sock
CFG
/usr/sbin/sshd -D -e -f "$dir/sshd_config" 2>"$dir/sshd.log" &
TEST_PIDS="$TEST_PIDS $!"
for _ in $(seq 100); do
	ssh -q -o BatchMode=yes -o ConnectTimeout=1 -p "$port" 127.0.0.1 true 2>/dev/null
	[ -s "$dir/sshd.pid" ] && break
	sleep 0.05
done
sshopts="-i $dir/userkey -p $port -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"

# one command: sshd runs the login shell with -c
out=$(ssh $sshopts "$user@127.0.0.1" 'show version') || fail "one-shot command: $out $(cat "$dir/sshd.log")"
echo "$out" | grep -q "^  Router: *RTR_EAST_COMBO$" || fail "one-shot output: $out"
ssh $sshopts "$user@127.0.0.1" 'frobnicate' >/dev/null 2>&1 && fail "a failing command exited 0 over ssh"

# an interactive session on a pseudo-terminal
SSHOPTS=$sshopts SSHUSER=$user ${EXPECT:-expect} -c '
	set timeout 10
	eval spawn ssh -tt $env(SSHOPTS) $env(SSHUSER)@127.0.0.1
	expect {
		-re {@combo-east-1\.RTR_EAST_COMBO# $} {}
		timeout { puts "FAIL: no prompt over ssh"; exit 1 }
	}
	send "show ver\t"
	expect -re {version $}
	send "\r"
	expect {
		-re {Router: +RTR_EAST_COMBO} {}
		timeout { puts "FAIL: no show version over ssh"; exit 1 }
	}
	expect -re {# $}
	send "config\r"
	expect -re {\(config\)# $}
	send "set authority router ssh location remote\r"
	expect -re {# $}
	send "commit\r"
	expect {
		-re {\[y/N\]: $} { send "y\r" }
		timeout { puts "FAIL: no commit question over ssh"; exit 1 }
	}
	expect {
		-re {committed} {}
		timeout { puts "FAIL: commit over ssh"; exit 1 }
	}
	send "exit\r"
	expect -re {# $}
	send "\004"
	expect eof
' || fail "interactive session"
# the commit made over ssh is attributed to the ssh user
"$SVRSH" --socket "$dir/svrd.sock" -c 'show config history' | grep -q " $user " ||
	fail "the commit is not recorded as $user's"
echo "PASS"
