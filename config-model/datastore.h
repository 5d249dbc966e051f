/* DOC: configuration datastore
 *
 * The one configuration store of a router node, in svrd.  It holds the
 * running configuration, one candidate shared by every shell session
 * (Junos "configure" / PCLI semantics), an optional exclusive lock, the
 * commit history and a pending "commit confirmed".
 *
 * A commit is: copy the candidate, regenerate derived entries (peers from
 * neighborhoods), validate it (libyang, then the model's own rules), diff it
 * against running, run every subscriber's prepare for the paths that
 * changed (any may refuse; nothing has changed yet), persist it, then run
 * apply (which cannot fail) -- or abort on the ones already prepared.
 *
 * Persistence: each commit N is two files under STATE/config/history,
 * NNNNNNNN.json (the configuration) then NNNNNNNN.meta (who, when, why),
 * each written to a temporary file, fsync'ed, renamed and the directory
 * fsync'ed.  The meta file is the commit point: a configuration without
 * its meta, numbered above every meta, is an unfinished commit and is
 * discarded at start.  Running is the newest complete commit, so a crash at
 * any moment leaves either the last commit or the one before, never a torn
 * file.  A newest commit that cannot be read is damage, not a crash: the
 * datastore refuses to open rather than run the one before (see ds_open).
 *
 * A commit confirmed records its pending state (the commit to roll back
 * to, the deadline) in its own meta file, so the commit and its "not
 * confirmed yet" mark are one rename; a confirmation without changes is
 * written to STATE/config/confirm.json.  A crash at any point leaves an
 * unconfirmed commit pending, and it is rolled back at its deadline.
 *
 * The datastore never reads a clock: callers pass the wall-clock time in
 * milliseconds, which is what lets tests expire a commit confirmed in
 * microseconds.
 */
#ifndef SVR_DATASTORE_H
#define SVR_DATASTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ds_errs.h"

struct ly_ctx;
struct lyd_node;

#define DS_HISTORY_KEEP 100 /* commits kept; at least 50 are promised */

struct ds_commit {
	uint32_t number;
	int64_t time_ms; /* wall clock */
	char user[64];
	char comment[256];
	uint32_t confirm_minutes; /* 0 unless committed with "confirmed N" */
	/* with confirm_minutes: the commit an automatic rollback goes back to,
	 * and when (wall clock; 0 in records older than this field) */
	uint32_t confirm_previous;
	int64_t confirm_deadline_ms;
};

/* A subsystem's interest in part of the configuration.  path is a schema
 * path ("/opensvr:authority/security-key-management"); it is checked
 * against the schema when registered.
 *
 * prepare builds the subsystem's new state from the tree that would be
 * committed and acquires everything it needs (certificates, sockets, a
 * forwarder): when it cannot, it says why in e and returns -1, and the
 * commit fails with nothing changed.  apply swaps the prepared state in
 * and cannot fail; abort frees it (also after a prepare that failed
 * halfway).  With DS_PREPARE_CHECK (validate, not commit) prepare checks
 * what it can without disturbing what runs, and abort follows.
 *
 * Subscribers run in the order of their dependencies: after names the
 * subscribers (NULL-terminated) whose prepare and apply must run first;
 * they must be registered before it, so registration order is a valid
 * order and a cycle cannot be made.  A change that touches a subscriber
 * touches those that come after it too. */
#define DS_PREPARE_CHECK 0x1u
struct ds_sub {
	const char *name;
	const char *path;
	const char *const *after;
	int (*prepare)(void *arg, const struct lyd_node *diff, const struct lyd_node *running,
		       unsigned flags, struct ds_errs *e);
	void (*apply)(void *arg, const struct lyd_node *diff, const struct lyd_node *running);
	void (*abort)(void *arg);
	void *arg;
};

struct ds;

/* Open the datastore of state_dir, loading the YANG modules of yang_dir.
 * An expired pending "commit confirmed" is rolled back at once.  When the
 * newest commit cannot be read (damaged, truncated, not valid for the
 * schema), the datastore does not open: running an older configuration
 * without anyone knowing is worse than not starting.  With
 * DS_OPEN_LAST_READABLE it opens with the newest readable commit instead,
 * moves the unreadable commits' files to STATE/config/unreadable (never
 * overwriting a file there) and ds_unreadable() says so.  On failure
 * errno is EBADMSG when the newest commit is unreadable. */
#define DS_OPEN_LAST_READABLE 0x1u
struct ds *ds_open(const char *yang_dir, const char *state_dir, int64_t now_ms, struct ds_errs *e);
struct ds *ds_open_flags(const char *yang_dir, const char *state_dir, int64_t now_ms,
			 unsigned flags, struct ds_errs *e);
/* What ds_open_flags(DS_OPEN_LAST_READABLE) set aside (one line naming the
 * unreadable commit, why, and the commit running instead), or NULL. */
const char *ds_unreadable(const struct ds *ds);
void ds_close(struct ds *ds);

const struct ly_ctx *ds_ctx(const struct ds *ds);
/* The trees, with defaults; NULL when empty.  Owned by the datastore. */
const struct lyd_node *ds_running(const struct ds *ds);
const struct lyd_node *ds_candidate(const struct ds *ds);
bool ds_candidate_changed(const struct ds *ds);

int ds_subscribe(struct ds *ds, const struct ds_sub *sub, struct ds_errs *e);

/* Edits of the candidate by a session (id > 0).  path is a libyang data
 * path; value is NULL for containers and list entries. */
int ds_set(struct ds *ds, uint64_t session, const char *path, const char *value, struct ds_errs *e);
int ds_delete(struct ds *ds, uint64_t session, const char *path, struct ds_errs *e);
/* Replace the candidate by a whole tree (import, rollback); takes tree. */
int ds_replace_candidate(struct ds *ds, uint64_t session, struct lyd_node *tree, struct ds_errs *e);
/* Discard uncommitted changes. */
int ds_discard(struct ds *ds, uint64_t session, struct ds_errs *e);

/* holder: who the session is ("admin, pid 1234, since 20:45:01 UTC"),
 * named in the errors the other sessions get; NULL: "another session". */
int ds_lock(struct ds *ds, uint64_t session, const char *holder, struct ds_errs *e);
void ds_unlock(struct ds *ds, uint64_t session); /* also when a session ends */
/* The session holding the lock, 0 when none does. */
uint64_t ds_lock_owner(const struct ds *ds);

/* Full validation of the candidate (the subscribers' checks included);
 * warnings are reported in e too. */
int ds_validate(struct ds *ds, struct ds_errs *e);
/* Commit the candidate.  confirm_minutes > 0 arms an automatic rollback;
 * a plain commit while one is pending confirms it.  *number is the new
 * commit (0 when there was nothing to commit). */
int ds_commit(struct ds *ds, uint64_t session, const char *user, const char *comment,
	      uint32_t confirm_minutes, int64_t now_ms, uint32_t *number, struct ds_errs *e);
/* The same with the confirmation deadline in seconds (NETCONF's
 * confirm-timeout); the history records it in minutes, rounded up. */
int ds_commit_seconds(struct ds *ds, uint64_t session, const char *user, const char *comment,
		      uint32_t confirm_seconds, int64_t now_ms, uint32_t *number,
		      struct ds_errs *e);
/* Roll the pending commit confirmed back now (NETCONF cancel-commit, or
 * the session that made it ended); why ends the history's comment
 * ("rollback: commit N WHY").  -1 when none is pending. */
int ds_cancel_confirmed(struct ds *ds, int64_t now_ms, const char *why, struct ds_errs *e);
/* Roll back an expired commit confirmed; returns 1 if it did. */
int ds_tick(struct ds *ds, int64_t now_ms, struct ds_errs *e);
/* Wall-clock deadline of the pending commit confirmed, or 0. */
int64_t ds_confirm_deadline(const struct ds *ds);

/* History, newest first. */
size_t ds_history(const struct ds *ds, const struct ds_commit **out);
/* A copy of commit number's configuration (with defaults) in *out. */
int ds_load_commit(struct ds *ds, uint32_t number, struct lyd_node **out, struct ds_errs *e);
/* Load commit number into the candidate. */
int ds_rollback(struct ds *ds, uint64_t session, uint32_t number, struct ds_errs *e);

/* Parse and print whole trees in libyang JSON (the datastore's format). */
struct lyd_node *ds_parse_json(const struct ds *ds, const char *text, struct ds_errs *e);
char *ds_print_json(const struct lyd_node *tree, bool with_defaults);

#endif
