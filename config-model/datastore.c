/* Configuration datastore: trees, edits, locks, subscribers, commits; see
 * datastore.h (the files are ds_store.c's). */
#include "config.h"

#include <errno.h>
#include <libyang/libyang.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datastore.h"
#include "ds_int.h"
#include "model.h"

/* Take libyang's error records into e, in the operator's words. */
static void take_ly_errors(struct ds *ds, struct ds_errs *e, const char *fallback)
{
	struct ly_err_item *it = ly_err_first(ds->ctx);
	char words[512];
	bool any = false;

	for (; it; it = it->next) {
		if (it->level != LY_LLERR)
			continue;
		words[0] = '\0';
		if (it->path)
			ds_path_words(it->path, words, sizeof(words));
		ds_errs_add(e, false, words[0] ? words : NULL, "%s", model_rephrase(it->msg));
		any = true;
	}
	if (!any)
		ds_errs_add(e, false, NULL, "%s", fallback);
	ly_err_clean(ds->ctx, NULL);
}

int dsi_add_defaults(struct ds *ds, struct lyd_node **tree)
{
	return lyd_validate_module(tree, ds->mod, 0, NULL) == LY_SUCCESS ? 0 : -1;
}

struct lyd_node *ds_parse_json(const struct ds *ds, const char *text, struct ds_errs *e)
{
	struct lyd_node *tree = NULL;

	if (lyd_parse_data_mem(ds->ctx, text, LYD_JSON, LYD_PARSE_STRICT | LYD_PARSE_ONLY, 0,
			       &tree) != LY_SUCCESS) {
		take_ly_errors((struct ds *)ds, e, "the configuration is not valid JSON");
		lyd_free_all(tree);
		return NULL;
	}
	return tree;
}

char *ds_print_json(const struct lyd_node *tree, bool with_defaults)
{
	char *out = NULL;
	uint32_t opts =
		LYD_PRINT_WITHSIBLINGS | (with_defaults ? LYD_PRINT_WD_ALL : LYD_PRINT_WD_EXPLICIT);

	if (!tree)
		return strdup("{}");
	if (lyd_print_mem(&out, tree, LYD_JSON, opts) != LY_SUCCESS)
		return NULL;
	return out ? out : strdup("{}");
}

static struct lyd_node *dup_tree(const struct lyd_node *tree)
{
	struct lyd_node *dup = NULL;

	if (tree)
		lyd_dup_siblings(tree, NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS, &dup);
	return dup;
}

static void set_candidate(struct ds *ds, struct lyd_node *tree, bool dirty)
{
	lyd_free_all(ds->cand);
	ds->cand = tree;
	ds->cand_dirty = dirty;
}

struct ds *ds_open(const char *yang_dir, const char *state_dir, int64_t now_ms, struct ds_errs *e)
{
	return ds_open_flags(yang_dir, state_dir, now_ms, 0, e);
}

struct ds *ds_open_flags(const char *yang_dir, const char *state_dir, int64_t now_ms,
			 unsigned flags, struct ds_errs *e)
{
	struct ds *ds = calloc(1, sizeof(*ds));
	char path[4096];
	int rc = 0;

	if (!ds)
		return NULL;
	if (ly_ctx_new(yang_dir, LY_CTX_NO_YANGLIBRARY, &ds->ctx) != LY_SUCCESS) {
		ds_errs_add(e, false, NULL, "cannot create the YANG context for %s", yang_dir);
		goto fail;
	}
	ly_log_options(LY_LOSTORE);
	ds->mod = ly_ctx_load_module(ds->ctx, MODULE, NULL, NULL);
	if (!ds->mod) {
		take_ly_errors(ds, e, "cannot load the YANG module " MODULE);
		goto fail;
	}
	ds->state = strdup(state_dir);
	snprintf(path, sizeof(path), "%s/config", state_dir);
	ds->dir = strdup(path);
	snprintf(path, sizeof(path), "%s/config/history", state_dir);
	ds->histdir = strdup(path);
	if (dsi_mkdirs(ds->histdir) < 0) {
		ds_errs_add(e, false, NULL, "cannot create %s: %s", ds->histdir, strerror(errno));
		goto fail;
	}
	if (dsi_load_history(ds, e) < 0) {
		ds_errs_add(e, false, NULL, "cannot read %s: %s", ds->histdir, strerror(errno));
		goto fail;
	}
	rc = dsi_load_running(ds, flags, e);
	if (rc < 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/unreadable", ds->dir);
	dsi_count_set_aside(ds, path);
	dsi_add_defaults(ds, &ds->running);
	set_candidate(ds, dup_tree(ds->running), false);
	dsi_load_confirm(ds);
	ds_tick(ds, now_ms, e);
	return ds;
fail:
	ds_close(ds);
	errno = rc == -2 ? EBADMSG : 0;
	return NULL;
}

void ds_close(struct ds *ds)
{
	if (!ds)
		return;
	lyd_free_all(ds->running);
	lyd_free_all(ds->cand);
	free(ds->hist);
	free(ds->state);
	free(ds->dir);
	free(ds->histdir);
	if (ds->ctx)
		ly_ctx_destroy(ds->ctx);
	free(ds);
}

const struct ly_ctx *ds_ctx(const struct ds *ds)
{
	return ds->ctx;
}

const struct lyd_node *ds_running(const struct ds *ds)
{
	return ds->running;
}

const struct lyd_node *ds_candidate(const struct ds *ds)
{
	return ds->cand;
}

bool ds_candidate_changed(const struct ds *ds)
{
	return lyd_compare_siblings(ds->running, ds->cand,
				    LYD_COMPARE_FULL_RECURSION | LYD_COMPARE_DEFAULTS) !=
	       LY_SUCCESS;
}

size_t ds_history(const struct ds *ds, const struct ds_commit **out)
{
	*out = ds->hist;
	return ds->nhist;
}

static int sub_index(const struct ds *ds, const char *name)
{
	for (size_t i = 0; name && i < ds->nsubs; i++)
		if (strcmp(ds->subs[i].name, name) == 0)
			return (int)i;
	return -1;
}

int ds_subscribe(struct ds *ds, const struct ds_sub *sub, struct ds_errs *e)
{
	uint64_t deps = 0;

	if (ds->nsubs >= MAX_SUB) {
		ds_errs_add(e, false, NULL, "too many configuration subscribers");
		return -1;
	}
	if (!sub->name || sub_index(ds, sub->name) >= 0) {
		ds_errs_add(e, false, NULL, "subscriber %s: %s", sub->name ? sub->name : "?",
			    sub->name ? "registered twice" : "no name");
		return -1;
	}
	if (!lys_find_path(ds->ctx, NULL, sub->path, 0)) {
		ly_err_clean(ds->ctx, NULL);
		ds_errs_add(e, false, NULL, "subscriber path %s is not in the schema", sub->path);
		return -1;
	}
	for (const char *const *a = sub->after; a && *a; a++) {
		int k = sub_index(ds, *a);

		if (k < 0) {
			ds_errs_add(e, false, NULL,
				    "subscriber %s runs after %s, which is not registered "
				    "(register %s first)",
				    sub->name, *a, *a);
			return -1;
		}
		deps |= 1ull << k;
	}
	ds->sub_deps[ds->nsubs] = deps;
	ds->subs[ds->nsubs++] = *sub;
	return 0;
}

static int check_lock(struct ds *ds, uint64_t session, struct ds_errs *e)
{
	if (ds->lock && ds->lock != session) {
		ds_errs_add(e, false, NULL,
			    "the configuration is locked by %s (configure exclusive)",
			    ds->lock_holder[0] ? ds->lock_holder : "another session");
		return -1;
	}
	return 0;
}

int ds_set(struct ds *ds, uint64_t session, const char *path, const char *value, struct ds_errs *e)
{
	struct lyd_node *node = NULL;
	LY_ERR rc;
	char words[512];

	if (check_lock(ds, session, e) < 0)
		return -1;
	if (value && model_check_value(ds->ctx, path, value, e) < 0)
		return -1;
	rc = lyd_new_path(ds->cand, ds->ctx, path, value, LYD_NEW_PATH_UPDATE, &node);
	if (rc != LY_SUCCESS && rc != LY_EEXIST) {
		ds_path_words(path, words, sizeof(words));
		take_ly_errors(ds, e, "cannot set this value");
		return -1;
	}
	ly_err_clean(ds->ctx, NULL);
	if (!ds->cand && node) {
		while (node->parent)
			node = lyd_parent(node);
		ds->cand = node;
	}
	ds->cand = ds->cand ? lyd_first_sibling(ds->cand) : NULL;
	ds->cand_dirty = true;
	return 0;
}

int ds_delete(struct ds *ds, uint64_t session, const char *path, struct ds_errs *e)
{
	struct lyd_node *match = NULL;
	char words[512];
	LY_ERR rc;

	if (check_lock(ds, session, e) < 0)
		return -1;
	rc = lyd_find_path(ds->cand, path, 0, &match);
	/* LY_EINCOMPLETE points at an existing ancestor: the node itself is
	 * not there, and freeing the ancestor would delete too much. */
	if (rc != LY_SUCCESS || !match || (match->flags & LYD_DEFAULT)) {
		ly_err_clean(ds->ctx, NULL);
		ds_path_words(path, words, sizeof(words));
		ds_errs_add(e, false, words, "nothing to delete: not configured");
		return -1;
	}
	if (match == ds->cand)
		ds->cand = ds->cand->next;
	lyd_free_tree(match);
	dsi_add_defaults(ds, &ds->cand);
	ds->cand_dirty = true;
	return 0;
}

int ds_replace_candidate(struct ds *ds, uint64_t session, struct lyd_node *tree, struct ds_errs *e)
{
	if (check_lock(ds, session, e) < 0) {
		lyd_free_all(tree);
		return -1;
	}
	dsi_add_defaults(ds, &tree);
	set_candidate(ds, tree, true);
	return 0;
}

int ds_discard(struct ds *ds, uint64_t session, struct ds_errs *e)
{
	if (check_lock(ds, session, e) < 0)
		return -1;
	set_candidate(ds, dup_tree(ds->running), false);
	return 0;
}

int ds_lock(struct ds *ds, uint64_t session, const char *holder, struct ds_errs *e)
{
	if (ds->lock && ds->lock != session) {
		ds_errs_add(e, false, NULL, "the configuration is already locked by %s",
			    ds->lock_holder[0] ? ds->lock_holder : "another session");
		return -1;
	}
	if (ds->cand_dirty && ds_candidate_changed(ds)) {
		ds_errs_add(e, false, NULL,
			    "the shared candidate has uncommitted changes; commit or discard them "
			    "(restore config running) first");
		return -1;
	}
	ds->lock = session;
	snprintf(ds->lock_holder, sizeof(ds->lock_holder), "%s", holder ? holder : "");
	return 0;
}

uint64_t ds_lock_owner(const struct ds *ds)
{
	return ds ? ds->lock : 0;
}

void ds_unlock(struct ds *ds, uint64_t session)
{
	if (ds && ds->lock == session)
		ds->lock = 0;
}

/* The tree that would be committed: a copy of the candidate with derived
 * entries regenerated, validated by libyang and by the model's rules. */
static struct lyd_node *prepare_tree(struct ds *ds, struct ds_errs *e)
{
	struct lyd_node *tree = dup_tree(ds->cand);

	model_generate(ds->ctx, &tree);
	if (lyd_validate_module(&tree, ds->mod, 0, NULL) != LY_SUCCESS) {
		take_ly_errors(ds, e, "the candidate configuration is not valid");
		lyd_free_all(tree);
		return NULL;
	}
	model_validate(ds->ctx, tree, e);
	if (ds_errs_count(e)) {
		lyd_free_all(tree);
		return NULL;
	}
	return tree;
}

/* Does the diff touch the subtree at schema path sp?  A created or deleted
 * subtree is in the diff whole, so looking for changed nodes inside sp is
 * enough. */
static bool diff_touches(const struct lyd_node *diff, const char *sp, size_t splen)
{
	const struct lyd_node *n;

	LY_LIST_FOR(diff, n)
	{
		char *p = lysc_path(n->schema, LYSC_PATH_DATA, NULL, 0);
		bool inside =
			p && strncmp(p, sp, splen) == 0 && (p[splen] == '\0' || p[splen] == '/');
		struct lyd_meta *m = lyd_find_meta(n->meta, NULL, "yang:operation");

		free(p);
		if (inside && (!m || strcmp(lyd_get_meta_value(m), "none") != 0))
			return true;
		if (diff_touches(lyd_child(n), sp, splen))
			return true;
	}
	return false;
}

/* The subscribers a diff touches: their own path, or one they run after. */
static void touched_subs(const struct ds *ds, const struct lyd_node *diff, bool *touched)
{
	for (size_t i = 0; i < ds->nsubs; i++) {
		touched[i] = diff && diff_touches(diff, ds->subs[i].path, strlen(ds->subs[i].path));
		for (size_t k = 0; k < i; k++)
			touched[i] |= touched[k] && (ds->sub_deps[i] >> k & 1);
	}
}

/* Abort, newest first, the touched subscribers below upto. */
static void abort_subs(const struct ds *ds, const bool *touched, size_t upto)
{
	for (size_t k = upto; k-- > 0;)
		if (touched[k] && ds->subs[k].abort)
			ds->subs[k].abort(ds->subs[k].arg);
}

/* Prepare the touched subscribers in order; 0, or -1 with every one
 * prepared so far (the failing one too) aborted. */
static int prepare_subs(const struct ds *ds, const struct lyd_node *diff,
			const struct lyd_node *tree, const bool *touched, unsigned flags,
			struct ds_errs *e)
{
	for (size_t i = 0; i < ds->nsubs; i++) {
		if (!touched[i] || !ds->subs[i].prepare)
			continue;
		if (ds->subs[i].prepare(ds->subs[i].arg, diff, tree, flags, e) < 0 ||
		    ds_errs_count(e)) {
			if (!ds_errs_count(e))
				ds_errs_add(e, false, NULL, "%s refused the change",
					    ds->subs[i].name);
			abort_subs(ds, touched, i + 1);
			return -1;
		}
	}
	return 0;
}

static struct lyd_node *diff_of(struct ds *ds, const struct lyd_node *tree, struct ds_errs *e)
{
	struct lyd_node *diff = NULL;

	if (lyd_diff_siblings(ds->running, tree, 0, &diff) != LY_SUCCESS) {
		take_ly_errors(ds, e, "cannot compare the candidate with running");
		return NULL;
	}
	return diff;
}

int ds_validate(struct ds *ds, struct ds_errs *e)
{
	struct lyd_node *tree = prepare_tree(ds, e), *diff;
	bool touched[MAX_SUB] = {false};
	int rc = -1;

	if (!tree)
		return -1;
	diff = diff_of(ds, tree, e);
	if (!ds_errs_count(e)) {
		touched_subs(ds, diff, touched);
		if (prepare_subs(ds, diff, tree, touched, DS_PREPARE_CHECK, e) == 0) {
			abort_subs(ds, touched, ds->nsubs);
			rc = 0;
		}
	}
	lyd_free_all(diff);
	lyd_free_all(tree);
	return rc;
}

static int commit_tree(struct ds *ds, struct lyd_node *tree, const char *user, const char *comment,
		       const struct ds_commit *confirm, int64_t now_ms, uint32_t *number,
		       struct ds_errs *e)
{
	struct lyd_node *diff = diff_of(ds, tree, e);
	bool touched[MAX_SUB] = {false};
	int rc = -1;

	if (ds_errs_count(e)) {
		lyd_free_all(tree);
		return -1;
	}
	touched_subs(ds, diff, touched);
	if (prepare_subs(ds, diff, tree, touched, 0, e) < 0) {
		lyd_free_all(tree);
		goto out;
	}
	if (dsi_record_commit(ds, tree, user, comment, confirm, now_ms, number, e) < 0) {
		abort_subs(ds, touched, ds->nsubs);
		lyd_free_all(tree);
		goto out;
	}
	lyd_free_all(ds->running);
	ds->running = tree;
	for (size_t i = 0; i < ds->nsubs; i++)
		if (touched[i] && ds->subs[i].apply)
			ds->subs[i].apply(ds->subs[i].arg, diff, ds->running);
	set_candidate(ds, dup_tree(ds->running), false);
	rc = 0;
out:
	lyd_free_all(diff);
	return rc;
}

int ds_commit(struct ds *ds, uint64_t session, const char *user, const char *comment,
	      uint32_t confirm_minutes, int64_t now_ms, uint32_t *number, struct ds_errs *e)
{
	return ds_commit_seconds(ds, session, user, comment, confirm_minutes * 60u, now_ms, number,
				 e);
}

int ds_commit_seconds(struct ds *ds, uint64_t session, const char *user, const char *comment,
		      uint32_t confirm_seconds, int64_t now_ms, uint32_t *number, struct ds_errs *e)
{
	/* the history shows whole minutes, rounded up; the deadline is exact */
	uint32_t confirm_minutes = (confirm_seconds + 59u) / 60u;
	struct lyd_node *tree;
	uint32_t previous = ds->nhist ? ds->hist[0].number : 0;
	bool confirming = ds->confirm_number != 0;
	struct ds_commit confirm = {0};

	*number = 0;
	if (check_lock(ds, session, e) < 0)
		return -1;
	tree = prepare_tree(ds, e);
	if (!tree)
		return -1;
	if (lyd_compare_siblings(ds->running, tree,
				 LYD_COMPARE_FULL_RECURSION | LYD_COMPARE_DEFAULTS) == LY_SUCCESS &&
	    ds->nhist) {
		lyd_free_all(tree);
		set_candidate(ds, dup_tree(ds->running), false);
		/* Nothing new: as in Junos, this confirms a pending commit --
		 * once the confirmation is on disk, or a restart would roll
		 * back what the operator was told is confirmed. */
		if (confirming && !confirm_minutes) {
			if (dsi_save_confirmed(ds, ds->confirm_number) < 0) {
				ds_errs_add(
					e, false, NULL,
					"cannot record the confirmation of commit %u: %s; it is "
					"still pending",
					ds->confirm_number, strerror(errno));
				return -1;
			}
			ds->confirm_number = 0;
		}
		return 0;
	}
	if (confirm_minutes) {
		/* A confirmed commit on top of a pending one rolls back to
		 * the state before the first. */
		confirm.confirm_minutes = confirm_minutes;
		confirm.confirm_previous = confirming ? ds->confirm_previous : previous;
		confirm.confirm_deadline_ms = now_ms + (int64_t)confirm_seconds * 1000;
	}
	if (commit_tree(ds, tree, user, comment, &confirm, now_ms, number, e) < 0)
		return -1;
	ds->confirm_number = confirm_minutes ? *number : 0;
	ds->confirm_previous = confirm.confirm_previous;
	ds->confirm_deadline = confirm.confirm_deadline_ms;
	return 0;
}

/* An expired commit confirmed is rolled back by a new commit of the one
 * before it; until that commit is recorded the pending state stays (a
 * failure is tried again at the next tick, a crash at the next start). */
/* Go back to the commit before the pending commit confirmed, now. */
static int rollback_pending(struct ds *ds, int64_t now_ms, const char *comment, struct ds_errs *e)
{
	struct lyd_node *tree;
	uint32_t n;

	tree = ds->confirm_previous ? dsi_load_commit(ds, ds->confirm_previous, e) : NULL;
	if (!tree && ds->confirm_previous)
		return -1;
	dsi_add_defaults(ds, &tree);
	if (commit_tree(ds, tree, "svrd", comment, NULL, now_ms, &n, e) < 0)
		return -1;
	ds->confirm_number = 0;
	return 1;
}

int ds_tick(struct ds *ds, int64_t now_ms, struct ds_errs *e)
{
	char comment[128];

	if (!ds->confirm_number || now_ms < ds->confirm_deadline)
		return 0;
	snprintf(comment, sizeof(comment), "automatic rollback: commit %u was not confirmed",
		 ds->confirm_number);
	return rollback_pending(ds, now_ms, comment, e);
}

int ds_cancel_confirmed(struct ds *ds, int64_t now_ms, const char *why, struct ds_errs *e)
{
	char comment[256];

	if (!ds->confirm_number) {
		ds_errs_add(e, false, NULL, "no commit confirmed is pending");
		return -1;
	}
	snprintf(comment, sizeof(comment), "rollback: commit %u %s", ds->confirm_number,
		 why ? why : "was cancelled");
	return rollback_pending(ds, now_ms, comment, e) < 0 ? -1 : 0;
}

int ds_rollback(struct ds *ds, uint64_t session, uint32_t number, struct ds_errs *e)
{
	struct lyd_node *tree;

	if (!dsi_find_commit(ds, number)) {
		ds_errs_add(e, false, NULL, "no commit %u in the history (show config history)",
			    number);
		return -1;
	}
	if (check_lock(ds, session, e) < 0)
		return -1;
	tree = dsi_load_commit(ds, number, e);
	if (!tree)
		return -1;
	set_candidate(ds, tree, true);
	return 0;
}
