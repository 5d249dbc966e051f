/* The datastore's private header: its state as its two files see it
 * (datastore.h is the API).
 *
 *   datastore.c  the trees, edits, locks, subscribers and commits
 *   ds_store.c   persistence: the history files and their meta records,
 *                confirm.json, the commits set aside as unreadable
 */
#ifndef SVR_DS_INT_H
#define SVR_DS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "datastore.h"

struct ly_ctx;
struct lyd_node;
struct lys_module;

#define MODULE	"opensvr"
#define MAX_SUB 64

struct ds {
	struct ly_ctx *ctx;
	const struct lys_module *mod;
	char *state;   /* STATE: relative file names in the configuration */
	char *dir;     /* STATE/config */
	char *histdir; /* STATE/config/history */
	struct lyd_node *running;
	struct lyd_node *cand;
	bool cand_dirty;	/* edited since the last commit/discard */
	uint64_t lock;		/* session holding "configure exclusive", or 0 */
	char lock_holder[128];	/* who that is, for the others' errors */
	struct ds_commit *hist; /* newest first */
	size_t nhist;
	struct ds_sub subs[MAX_SUB];
	uint64_t sub_deps[MAX_SUB]; /* bit k: runs after subscriber k */
	size_t nsubs;
	/* pending commit confirmed */
	uint32_t confirm_number;
	uint32_t confirm_previous;
	int64_t confirm_deadline;
	/* newest commit number seen on disk (readable or not) */
	uint32_t newest_on_disk;
	char unreadable[512]; /* why the newest commits were set aside, or "" */
};

/* ---- datastore.c ---- */

/* Complete tree with the schema's defaults (and validate it). */
int dsi_add_defaults(struct ds *ds, struct lyd_node **tree);

/* ---- ds_store.c ---- */

/* mkdir -p (0750). */
int dsi_mkdirs(const char *path);
/* Read the history's meta records (newest first), discarding an
 * unfinished commit. */
int dsi_load_history(struct ds *ds, struct ds_errs *e);
/* Commit n's configuration, with defaults, or NULL with why in e. */
struct lyd_node *dsi_load_commit(struct ds *ds, uint32_t n, struct ds_errs *e);
const struct ds_commit *dsi_find_commit(const struct ds *ds, uint32_t n);
/* Save tree as the next commit (its configuration, then its meta record:
 * the commit point) and put it at the head of the history. */
int dsi_record_commit(struct ds *ds, const struct lyd_node *tree, const char *user,
		      const char *comment, const struct ds_commit *confirm, int64_t now_ms,
		      uint32_t *number, struct ds_errs *e);
/* A commit confirmed without changes: confirm.json. */
int dsi_save_confirmed(struct ds *ds, uint32_t number);
/* The pending commit confirmed, from the newest record and confirm.json. */
void dsi_load_confirm(struct ds *ds);
/* Commit numbers set aside in dir count as taken. */
void dsi_count_set_aside(struct ds *ds, const char *dir);
/* Running from the newest commit (see ds_open_flags); -2 when the newest
 * is unreadable and the caller did not ask for the last readable one. */
int dsi_load_running(struct ds *ds, unsigned flags, struct ds_errs *e);

#endif
