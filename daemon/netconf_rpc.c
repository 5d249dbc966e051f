/* NETCONF operations (RFC 6241): each one parsed on the NETCONF thread,
 * its datastore part done on svrd's thread (a job, see netconf.c), its
 * reply built back on the NETCONF thread.
 *
 * What the datastore does not say itself:
 * - edit-config is all or nothing (rollback-on-error is the only
 *   error-option); on running it needs a candidate without uncommitted
 *   changes, and commits at once;
 * - a commit confirmed made over NETCONF without <persist> is rolled back
 *   when its session ends, and only that session may confirm or cancel it;
 *   with <persist>, any session that gives the token as <persist-id>;
 * - lock takes the datastore's one lock (the shell's "configure
 *   exclusive"): on the candidate only while it holds no uncommitted
 *   changes (RFC 6241 7.5).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conductor.h"
#include "datastore.h"
#include "event.h"
#include "json.h"
#include "log.h"
#include "nc_edit.h"
#include "nc_filter.h"
#include "strbuf.h"
#include "netconf_int.h"

/* What an operation's job carries besides struct nc_job. */
struct op_args {
	const char *source;	/* running | candidate */
	struct lyd_node *edit;	/* edit-config's, NETCONF context */
	const char *default_op; /* edit-config's default-operation */
	bool confirmed;
	uint32_t timeout; /* seconds */
	const char *persist, *persist_id;
	char *text;	  /* out: a datastore as JSON */
	char *state;	  /* out: the operational state as JSON */
	struct ds_errs e; /* out: the datastore's errors */
	/* edit-config: what the strict parse said, for an edit it cannot take */
	NC_ERR edit_tag;
	char edit_path[512], edit_msg[512];
};

static struct op_args *args_of(struct nc_job *j)
{
	return j->arg;
}

/* ---- helpers -------------------------------------------------------------- */

static const char *leaf(const struct lyd_node *rpc, const char *path)
{
	struct lyd_node *n = NULL;

	if (lyd_find_path(rpc, path, 0, &n) != LY_SUCCESS || !n)
		return NULL;
	return n->schema && (n->schema->nodetype & LYD_NODE_TERM) ? lyd_get_value(n) : "";
}

/* The name of the one datastore under a "source" or "target" choice. */
static const char *datastore_of(const struct lyd_node *rpc, const char *which)
{
	struct lyd_node *n = NULL;

	if (lyd_find_path(rpc, which, 0, &n) != LY_SUCCESS || !n || !lyd_child(n))
		return NULL;
	return LYD_NAME(lyd_child(n));
}

static struct lyd_node *errs_to_nc(const struct ly_ctx *ctx, const struct ds_errs *e, NC_ERR tag,
				   struct nc_server_reply **reply)
{
	for (size_t i = 0; i < e->n; i++) {
		struct lyd_node *err;
		char msg[2048];

		if (e->v[i].warning)
			continue;
		err = nc_err(ctx, tag, NC_ERR_TYPE_APP);
		if (e->v[i].path && *e->v[i].path)
			snprintf(msg, sizeof(msg), "%s: %s", e->v[i].path, e->v[i].msg);
		else
			snprintf(msg, sizeof(msg), "%s", e->v[i].msg);
		nc_err_set_msg(err, msg, "en");
		if (!*reply)
			*reply = nc_server_reply_err(err);
		else
			nc_server_reply_add_err(*reply, err);
	}
	return NULL;
}

static struct nc_server_reply *job_error(const struct ly_ctx *ctx, const struct nc_job *j)
{
	struct lyd_node *err;

	switch (j->tag) {
	case NC_ERR_DATA_EXISTS:
	case NC_ERR_DATA_MISSING:
	case NC_ERR_MALFORMED_MSG:
		err = nc_err(ctx, j->tag);
		break;
	case NC_ERR_LOCK_DENIED:
		err = nc_err(ctx, j->tag, (uint32_t)0);
		break;
	case NC_ERR_BAD_ATTR:
		err = nc_err(ctx, j->tag, NC_ERR_TYPE_PROT, "operation", "config");
		break;
	case NC_ERR_MISSING_ELEM:
		err = nc_err(ctx, j->tag, NC_ERR_TYPE_PROT, j->path);
		break;
	default:
		err = nc_err(ctx, j->tag, NC_ERR_TYPE_APP);
		break;
	}
	if (!err)
		return nc_server_reply_err(nc_err(ctx, NC_ERR_OP_FAILED, NC_ERR_TYPE_APP));
	if (*j->path && j->tag != NC_ERR_MISSING_ELEM)
		nc_err_set_path(err, j->path);
	if (*j->msg)
		nc_err_set_msg(err, j->msg, "en");
	if (j->app_tag)
		nc_err_set_app_tag(err, j->app_tag);
	return nc_server_reply_err(err);
}

/* The reply: errors of the datastore, a job error, or ok. */
static struct nc_server_reply *reply_of(const struct ly_ctx *ctx, struct nc_job *j, NC_ERR ds_tag)
{
	struct nc_server_reply *r = NULL;

	if (j->tag)
		return job_error(ctx, j);
	if (ds_errs_count(&args_of(j)->e)) {
		errs_to_nc(ctx, &args_of(j)->e, ds_tag, &r);
		return r;
	}
	return nc_server_reply_ok();
}

/* <data> for rpc's reply, taking tree.  The data goes as XML text we
 * print ourselves (with the with-defaults mode applied here): libyang
 * 2.1's printer, writing a data tree inside the reply through
 * libnetconf2's callback, can read a buffer it has just reallocated
 * (a list entry with only its keys, as a filter selects, does it). */
static struct nc_server_reply *reply_data(const struct lyd_node *rpc, struct lyd_node *tree,
					  NC_WD_MODE wd)
{
	static const uint32_t wd_flags[] = {
		[NC_WD_UNKNOWN] = LYD_PRINT_WD_EXPLICIT,  [NC_WD_ALL] = LYD_PRINT_WD_ALL,
		[NC_WD_ALL_TAG] = LYD_PRINT_WD_ALL_TAG,	  [NC_WD_TRIM] = LYD_PRINT_WD_TRIM,
		[NC_WD_EXPLICIT] = LYD_PRINT_WD_EXPLICIT,
	};
	struct lyd_node *out = NULL, *any = NULL;
	char *xml = NULL;

	if ((tree && lyd_print_mem(&xml, tree, LYD_XML,
				   LYD_PRINT_WITHSIBLINGS | LYD_PRINT_SHRINK | wd_flags[wd]) !=
			     LY_SUCCESS) ||
	    lyd_dup_single(rpc, NULL, 0, &out) != LY_SUCCESS ||
	    /* nothing selected: an empty <data/> */
	    lyd_new_any(out, NULL, "data", xml, 1, xml ? LYD_ANYDATA_XML : LYD_ANYDATA_DATATREE, 1,
			&any) != LY_SUCCESS) {
		free(xml);
		lyd_free_all(out);
		lyd_free_all(tree);
		return nc_server_reply_err(nc_err(LYD_CTX(rpc), NC_ERR_OP_FAILED, NC_ERR_TYPE_APP));
	}
	lyd_free_all(tree);
	return nc_server_reply_data(out, NC_WD_EXPLICIT, NC_PARAMTYPE_FREE);
}

static NC_WD_MODE wd_mode(const struct lyd_node *rpc)
{
	const char *wd = leaf(rpc, "ietf-netconf-with-defaults:with-defaults");

	if (!wd)
		return NC_WD_EXPLICIT;
	if (strcmp(wd, "report-all") == 0)
		return NC_WD_ALL;
	if (strcmp(wd, "report-all-tagged") == 0)
		return NC_WD_ALL_TAG;
	if (strcmp(wd, "trim") == 0)
		return NC_WD_TRIM;
	return NC_WD_EXPLICIT;
}

/* JSON text of the datastore's context as a tree of the NETCONF one in
 * *t (NULL for an empty one): 0, or -1 with msg. */
static int nc_tree(struct ly_ctx *ctx, const char *text, struct lyd_node **t, char *msg, size_t len)
{
	*t = NULL;
	if (text && lyd_parse_data_mem(ctx, text, LYD_JSON, LYD_PARSE_ONLY | LYD_PARSE_STRICT, 0,
				       t) != LY_SUCCESS) {
		const struct ly_err_item *it = ly_err_last(ctx);

		snprintf(msg, len, "%s", it ? it->msg : "cannot read the datastore");
		ly_err_clean(ctx, NULL);
		lyd_free_all(*t);
		*t = NULL;
		return -1;
	}
	return 0;
}

/* The data path of a libyang error ('Data location "/a/b", line number
 * 1.' in libyang 2.1), or NULL. */
static const char *ly_path_of(const struct ly_err_item *it, char *buf, size_t len)
{
	const char *q = it && it->path ? strchr(it->path, '"') : NULL;
	const char *end = q ? strchr(q + 1, '"') : NULL;

	if (!end)
		return it && it->path && it->path[0] == '/' ? it->path : NULL;
	snprintf(buf, len, "%.*s", (int)(end - q - 1), q + 1);
	return buf;
}

/* ---- get-config and get --------------------------------------------------- */

static void main_read(struct netconf *n, struct nc_job *j)
{
	struct op_args *a = args_of(j);
	const struct lyd_node *t =
		strcmp(a->source, "candidate") == 0 ? ds_candidate(n->d->ds) : ds_running(n->d->ds);

	a->text = t ? ds_print_json(t, false) : NULL;
	if (!strcmp(LYD_NAME(j->rpc), "get")) {
		const struct mgmt_op *op = mgmt_op_find("get-state");
		struct json *data = NULL, *error = NULL;

		if (op && op->fn(n->d, &j->sess->peer, NULL, &data, &error) == 0)
			a->state = json_print(json_get(data, "state"));
		json_free(data);
		json_free(error);
	}
}

/* An anyxml's content as XML text.  libyang reads what it knows of it
 * against the schema, and its own printer then leaves out an empty
 * container ("<authority-state/>", a whole subtree in a filter): print
 * the content ourselves, keeping those. */
static LY_ERR any_xml(const struct lyd_node *any, char **xml)
{
	const struct lyd_node_any *a = (const struct lyd_node_any *)any;

	*xml = NULL;
	if (a->value_type == LYD_ANYDATA_DATATREE) {
		if (!a->value.tree)
			return LY_SUCCESS;
		return lyd_print_mem(xml, a->value.tree, LYD_XML,
				     LYD_PRINT_WITHSIBLINGS | LYD_PRINT_KEEPEMPTYCONT |
					     LYD_PRINT_SHRINK);
	}
	return lyd_any_value_str(any, xml);
}

/* The filter of a get or get-config applied to tree (which it takes). */
static int apply_filter(const struct lyd_node *rpc, struct lyd_node **tree, struct nc_job *j)
{
	struct lyd_node *f = NULL, *out = NULL;
	struct lyd_meta *m;
	const char *type = "subtree", *select = NULL;
	char *xml = NULL;
	int rc;

	if (lyd_find_path(rpc, "filter", 0, &f) != LY_SUCCESS || !f)
		return 0;
	LY_LIST_FOR(f->meta, m)
	{
		if (!strcmp(m->name, "type"))
			type = lyd_get_meta_value(m);
		else if (!strcmp(m->name, "select"))
			select = lyd_get_meta_value(m);
	}
	if (!strcmp(type, "xpath")) {
		if (!select) {
			nc_job_error(j, NC_ERR_MISSING_ATTR, "filter",
				     "an xpath filter needs a select attribute");
			return -1;
		}
		rc = nc_filter_xpath(*tree, select, &out, j->msg, sizeof(j->msg));
	} else {
		if (any_xml(f, &xml) != LY_SUCCESS) {
			nc_job_error(j, NC_ERR_INVALID_VALUE, "filter", "cannot read the filter");
			return -1;
		}
		rc = nc_filter_subtree(LYD_CTX(rpc), *tree, xml ? xml : "", &out, j->msg,
				       sizeof(j->msg));
		free(xml);
	}
	if (rc < 0) {
		j->tag = NC_ERR_INVALID_VALUE;
		snprintf(j->path, sizeof(j->path), "filter");
		return -1;
	}
	lyd_free_all(*tree);
	*tree = out;
	return 0;
}

/* more (taken) beside *tree, which may be empty (NULL) */
static void join(struct lyd_node **tree, struct lyd_node *more)
{
	if (!*tree)
		*tree = more;
	else if (more && lyd_merge_siblings(tree, more, LYD_MERGE_DESTRUCT) != LY_SUCCESS)
		lyd_free_all(more);
}

static struct nc_server_reply *op_read(struct netconf *n, struct lyd_node *rpc, struct nc_sess *ss)
{
	struct op_args a = {.source = "running"};
	struct nc_job j = {.fn = main_read, .sess = ss, .rpc = rpc, .arg = &a};
	struct lyd_node *tree = NULL, *state = NULL;
	NC_WD_MODE wd = wd_mode(rpc);

	if (!strcmp(LYD_NAME(rpc), "get-config")) {
		a.source = datastore_of(rpc, "source");
		if (!a.source || (strcmp(a.source, "running") && strcmp(a.source, "candidate")))
			return nc_server_reply_err(
				nc_err(n->ctx, NC_ERR_OP_NOT_SUPPORTED, NC_ERR_TYPE_PROT));
	}
	if (nc_run(n, &j) < 0)
		goto out;
	if (nc_tree(n->ctx, a.text, &tree, j.msg, sizeof(j.msg)) < 0) {
		j.tag = NC_ERR_OP_FAILED;
		goto out;
	}
	if (a.state) {
		struct lyd_node *lib = NULL;

		if (nc_tree(n->ctx, a.state, &state, j.msg, sizeof(j.msg)) == 0)
			join(&tree, state);
		/* the modules: YANG 1.1 ones are announced only here (RFC 7950) */
		if (ly_ctx_get_yanglib_data(n->ctx, &lib, "%u", ly_ctx_get_change_count(n->ctx)) ==
		    LY_SUCCESS)
			join(&tree, lib);
	}
	if (wd == NC_WD_ALL || wd == NC_WD_ALL_TAG)
		lyd_new_implicit_all(&tree, n->ctx, a.state ? 0 : LYD_IMPLICIT_NO_STATE, NULL);
	if (apply_filter(rpc, &tree, &j) < 0)
		goto out;
	free(a.text);
	free(a.state);
	return reply_data(rpc, tree, wd);
out:
	lyd_free_all(tree);
	free(a.text);
	free(a.state);
	return job_error(n->ctx, &j);
}

/* ---- edit-config ---------------------------------------------------------- */

/* svrd's thread: the candidate (or running) edited, replaced whole. */
/* Local override (doc/conductor.md): the conductor's changes are held
 * aside, with an error its push knows by the app tag. */
static bool overridden(struct netconf *n, struct nc_job *j)
{
	int64_t since;

	if (!j->sess->conductor || !(since = enrolment_local_override(n->d)))
		return false;
	nc_job_error(j, NC_ERR_OP_FAILED, NULL,
		     "local override is on (since %lld): the conductor's changes are held aside "
		     "until it is off",
		     (long long)since);
	j->app_tag = "local-override";
	return true;
}

static void main_edit(struct netconf *n, struct nc_job *j)
{
	struct op_args *a = args_of(j);
	struct ds *ds = n->d->ds;
	bool running = !strcmp(a->source, "running");
	char *text = NULL;
	struct lyd_node *t, *back;
	struct nc_edit_err err = {0};
	uint32_t num;
	int rc;

	if (overridden(n, j))
		return;
	if (running && ds_candidate_changed(ds)) {
		nc_job_error(j, NC_ERR_IN_USE, NULL,
			     "the candidate holds uncommitted changes: edit the candidate, or "
			     "commit or discard them first");
		return;
	}
	text = ds_candidate(ds) ? ds_print_json(ds_candidate(ds), false) : NULL;
	rc = nc_tree(n->ctx, text, &t, j->msg, sizeof(j->msg));
	free(text);
	if (rc < 0) {
		j->tag = NC_ERR_OP_FAILED;
		return;
	}
	if (nc_edit_apply(&t, a->edit, a->default_op, &err) < 0) {
		static const NC_ERR tags[] = {NC_ERR_OP_FAILED, NC_ERR_DATA_EXISTS,
					      NC_ERR_DATA_MISSING, NC_ERR_BAD_ATTR,
					      NC_ERR_INVALID_VALUE};

		if (err.tag == NC_EDIT_INVALID && a->edit_tag) /* what the strict parse said */
			nc_job_error(j, a->edit_tag, a->edit_path, "%s", a->edit_msg);
		else
			nc_job_error(j, tags[err.tag < 5 ? err.tag : 0], err.path, "%s", err.msg);
		lyd_free_all(t);
		return;
	}
	text = NULL;
	if (t)
		lyd_print_mem(&text, t, LYD_JSON, LYD_PRINT_WITHSIBLINGS);
	lyd_free_all(t);
	back = text ? ds_parse_json(ds, text, &a->e) : NULL;
	free(text);
	if (ds_errs_count(&a->e))
		return;
	if (ds_replace_candidate(ds, j->sess->peer.id, back, &a->e) < 0 || !running)
		return;
	if (ds_commit(ds, j->sess->peer.id, j->sess->peer.user, "NETCONF edit-config running", 0,
		      (int64_t)ev_wallclock_ms(), &num, &a->e) < 0)
		ds_discard(ds, j->sess->peer.id, NULL); /* running and candidate as before */
}

/* The edit as a tree of the NETCONF context.  Strict first: a value
 * the model refuses is an error naming it.  A leaf to delete may come
 * empty (<mtu nc:operation="delete"/>), which only an opaque node can
 * hold, so the edit is read again keeping such nodes; nc_edit takes an
 * opaque node only as that, and for anything else the strict error
 * stands (main_edit).  Never OPAQ without STRICT (libyang trips on some
 * such input). */
static int parse_edit(struct ly_ctx *ctx, const char *xml, struct op_args *a)
{
	const uint32_t strict = LYD_PARSE_ONLY | LYD_PARSE_STRICT | LYD_PARSE_NO_STATE;
	const struct ly_err_item *it;

	if (lyd_parse_data_mem(ctx, xml ? xml : "", LYD_XML, strict, 0, &a->edit) == LY_SUCCESS)
		return 0;
	it = ly_err_last(ctx);
	a->edit_tag = NC_ERR_INVALID_VALUE;
	snprintf(a->edit_msg, sizeof(a->edit_msg), "%s",
		 it ? it->msg : "the configuration cannot be read");
	ly_path_of(it, a->edit_path, sizeof(a->edit_path));
	ly_err_clean(ctx, NULL);
	lyd_free_all(a->edit);
	a->edit = NULL;
	if (lyd_parse_data_mem(ctx, xml ? xml : "", LYD_XML, strict | LYD_PARSE_OPAQ, 0,
			       &a->edit) == LY_SUCCESS)
		return 0;
	ly_err_clean(ctx, NULL);
	lyd_free_all(a->edit);
	a->edit = NULL;
	return -1;
}

static struct nc_server_reply *op_edit(struct netconf *n, struct lyd_node *rpc, struct nc_sess *ss)
{
	struct op_args a = {.default_op = leaf(rpc, "default-operation")};
	struct nc_job j = {.fn = main_edit, .sess = ss, .rpc = rpc, .arg = &a};
	const char *test = leaf(rpc, "test-option");
	struct lyd_node *cfg = NULL;
	char *xml = NULL;
	struct nc_server_reply *r;

	a.source = datastore_of(rpc, "target");
	if (!a.source || (strcmp(a.source, "running") && strcmp(a.source, "candidate")))
		return nc_server_reply_err(
			nc_err(n->ctx, NC_ERR_OP_NOT_SUPPORTED, NC_ERR_TYPE_PROT));
	if (test && !strcmp(test, "test-only")) {
		nc_job_error(&j, NC_ERR_OP_NOT_SUPPORTED, NULL,
			     "test-option test-only is not supported: use validate");
		return job_error(n->ctx, &j);
	}
	if (lyd_find_path(rpc, "config", 0, &cfg) != LY_SUCCESS || !cfg) {
		nc_job_error(&j, NC_ERR_MISSING_ELEM, "config", "edit-config needs a <config>");
		return job_error(n->ctx, &j);
	}
	if (any_xml(cfg, &xml) != LY_SUCCESS) {
		a.edit_tag = NC_ERR_INVALID_VALUE;
		snprintf(a.edit_msg, sizeof(a.edit_msg), "the <config> cannot be read");
	}
	if (a.edit_tag || parse_edit(n->ctx, xml, &a) < 0) {
		nc_job_error(&j, a.edit_tag, a.edit_path[0] ? a.edit_path : NULL, "%s", a.edit_msg);
		free(xml);
		return job_error(n->ctx, &j);
	}
	free(xml);
	nc_run(n, &j);
	lyd_free_all(a.edit);
	r = reply_of(n->ctx, &j, NC_ERR_INVALID_VALUE);
	ds_errs_free(&a.e);
	return r;
}

/* ---- commit, cancel-commit, validate, discard, lock ----------------------- */

/* May this session confirm or cancel the pending commit confirmed? */
static bool ours_pending(struct netconf *n);

static bool may_settle(struct netconf *n, struct nc_job *j, const char *persist_id)
{
	if (!ours_pending(n)) { /* the shell's, or none: anyone may */
		free(n->persist);
		n->persist = NULL;
		n->confirm_peer = 0;
		if (!persist_id)
			return true;
		nc_job_error(j, NC_ERR_INVALID_VALUE, "persist-id",
			     "no commit confirmed with persist is pending");
		return false;
	}
	if (n->persist) {
		if (persist_id && !strcmp(persist_id, n->persist))
			return true;
		nc_job_error(j, NC_ERR_INVALID_VALUE, "persist-id",
			     persist_id
				     ? "the persist-id does not match the pending commit's "
				       "persist"
				     : "the pending commit confirmed was made with persist: give "
				       "its persist-id");
		return false;
	}
	if (persist_id) {
		nc_job_error(j, NC_ERR_INVALID_VALUE, "persist-id",
			     "no commit confirmed with persist is pending");
		return false;
	}
	if (n->confirm_peer && n->confirm_peer != j->sess->peer.id) {
		nc_job_error(j, NC_ERR_IN_USE, NULL,
			     "the pending commit confirmed belongs to another NETCONF session");
		return false;
	}
	return true;
}

static void main_commit(struct netconf *n, struct nc_job *j)
{
	struct op_args *a = args_of(j);
	struct ds *ds = n->d->ds;
	bool pending = ds_confirm_deadline(ds) != 0;
	uint32_t num;

	if (overridden(n, j) || (pending && !may_settle(n, j, a->persist_id)))
		return;
	if (ds_commit_seconds(ds, j->sess->peer.id, j->sess->peer.user, "NETCONF commit",
			      a->confirmed ? a->timeout : 0, (int64_t)ev_wallclock_ms(), &num,
			      &a->e) < 0)
		return;
	free(n->persist);
	n->persist = NULL;
	n->confirm_peer = 0;
	if (a->confirmed && ds_confirm_deadline(ds)) {
		n->confirm_peer = j->sess->peer.id;
		n->confirm_deadline = ds_confirm_deadline(ds);
		n->persist = a->persist ? strdup(a->persist) : NULL;
	}
}

/* Is the pending commit confirmed the one NETCONF made?  (The shell may
 * have confirmed it since, and made one of its own.) */
static bool ours_pending(struct netconf *n)
{
	return n->confirm_peer && ds_confirm_deadline(n->d->ds) &&
	       ds_confirm_deadline(n->d->ds) == n->confirm_deadline;
}

static void main_cancel(struct netconf *n, struct nc_job *j)
{
	struct op_args *a = args_of(j);

	if (!ds_confirm_deadline(n->d->ds)) {
		nc_job_error(j, NC_ERR_OP_FAILED, NULL, "no commit confirmed is pending");
		return;
	}
	if (!may_settle(n, j, a->persist_id))
		return;
	if (ds_cancel_confirmed(n->d->ds, (int64_t)ev_wallclock_ms(),
				"was cancelled (NETCONF cancel-commit)", &a->e) == 0) {
		free(n->persist);
		n->persist = NULL;
		n->confirm_peer = 0;
	}
}

static void main_validate(struct netconf *n, struct nc_job *j)
{
	if (!strcmp(args_of(j)->source, "candidate"))
		ds_validate(n->d->ds, &args_of(j)->e);
}

static void main_discard(struct netconf *n, struct nc_job *j)
{
	ds_discard(n->d->ds, j->sess->peer.id, &args_of(j)->e);
}

static void main_lock(struct netconf *n, struct nc_job *j)
{
	struct ds *ds = n->d->ds;
	char holder[128];

	if (!strcmp(LYD_NAME(j->rpc), "unlock")) {
		if (ds_lock_owner(ds) != j->sess->peer.id)
			nc_job_error(j, NC_ERR_OP_FAILED, NULL,
				     "this session does not hold the lock");
		else
			ds_unlock(ds, j->sess->peer.id);
		return;
	}
	if (ds_lock_owner(ds) && ds_lock_owner(ds) != j->sess->peer.id) {
		nc_job_error(j, NC_ERR_LOCK_DENIED, NULL, "another session holds the lock");
		return;
	}
	if (!strcmp(args_of(j)->source, "candidate") && ds_candidate_changed(ds)) {
		nc_job_error(j, NC_ERR_LOCK_DENIED, NULL,
			     "the candidate holds uncommitted changes (commit or discard them "
			     "first)");
		return;
	}
	snprintf(holder, sizeof(holder), "%s, NETCONF session %u", j->sess->peer.user,
		 j->sess->nc_id);
	if (ds_lock(ds, j->sess->peer.id, holder, &args_of(j)->e) < 0 && !j->tag)
		nc_job_error(j, NC_ERR_LOCK_DENIED, NULL, "%s",
			     args_of(j)->e.n ? args_of(j)->e.v[0].msg : "lock denied");
}

void nc_session_gone(struct netconf *n, struct nc_job *j)
{
	struct ds_errs e = {0};

	if (n->confirm_peer == j->sess->peer.id && !n->persist && ours_pending(n)) {
		if (ds_cancel_confirmed(n->d->ds, (int64_t)ev_wallclock_ms(),
					"was not confirmed: its NETCONF session ended", &e) == 0)
			log_info("netconf: session %u ended: its commit confirmed rolled back",
				 j->sess->nc_id);
		n->confirm_peer = 0;
	}
	ds_errs_free(&e);
	config_session_end(n->d, &j->sess->peer);
}

/* The operations that take only a job and give ok or errors. */
static struct nc_server_reply *op_simple(struct netconf *n, struct lyd_node *rpc,
					 struct nc_sess *ss,
					 void (*fn)(struct netconf *, struct nc_job *))
{
	struct op_args a = {.source = "candidate"};
	struct nc_job j = {.fn = fn, .sess = ss, .rpc = rpc, .arg = &a};
	const char *t = leaf(rpc, "confirm-timeout");
	struct nc_server_reply *r;

	if (!strcmp(LYD_NAME(rpc), "validate"))
		a.source = datastore_of(rpc, "source");
	else if (!strcmp(LYD_NAME(rpc), "lock") || !strcmp(LYD_NAME(rpc), "unlock"))
		a.source = datastore_of(rpc, "target");
	if (!a.source)
		a.source = "";
	a.confirmed = leaf(rpc, "confirmed") != NULL;
	a.timeout = t ? (uint32_t)strtoul(t, NULL, 10) : 600;
	a.persist = leaf(rpc, "persist");
	a.persist_id = leaf(rpc, "persist-id");
	nc_run(n, &j);
	r = reply_of(n->ctx, &j, NC_ERR_OP_FAILED);
	ds_errs_free(&a.e);
	return r;
}

/* ---- the model's operations (opensvr RPCs) --------------------------------- */

struct model_rpc {
	struct json *args;  /* name and input, as the management socket's rpc */
	struct json *data;  /* out */
	struct json *error; /* out */
};

static void main_model_rpc(struct netconf *n, struct nc_job *j)
{
	struct model_rpc *m = j->arg;
	const struct mgmt_op *op = mgmt_op_find("rpc");

	if (op)
		op->fn(n->d, &j->sess->peer, m->args, &m->data, &m->error);
}

/* The output leaves of data (an object) under a copy of rpc. */
static struct nc_server_reply *model_output(const struct lyd_node *rpc, const struct json *data)
{
	struct lyd_node *out = NULL;
	bool any = false;

	if (lyd_dup_single(rpc, NULL, 0, &out) != LY_SUCCESS)
		return nc_server_reply_err(nc_err(LYD_CTX(rpc), NC_ERR_OP_FAILED, NC_ERR_TYPE_APP));
	for (size_t i = 0; i < json_len(data); i++) {
		const char *key = json_key_at(data, i);
		const struct json *v = json_at(data, i);
		bool list = json_type(v) == JSON_ARRAY; /* a leaf-list */

		for (size_t k = 0; k < (list ? json_len(v) : 1); k++) {
			const struct json *e = list ? json_at(v, k) : v;
			const char *val = json_str(e);
			char num[32];

			if (!val && json_is_int(e)) {
				snprintf(num, sizeof(num), "%lld", (long long)json_int(e));
				val = num;
			}
			if (key && val && lyd_new_term(out, NULL, key, val, 1, NULL) == LY_SUCCESS)
				any = true;
			ly_err_clean((struct ly_ctx *)LYD_CTX(rpc), NULL);
		}
	}
	if (!any) {
		lyd_free_all(out);
		return nc_server_reply_ok();
	}
	return nc_server_reply_data(out, NC_WD_EXPLICIT, NC_PARAMTYPE_FREE);
}

static struct nc_server_reply *op_model(struct netconf *n, struct lyd_node *rpc, struct nc_sess *ss)
{
	struct model_rpc m = {0};
	struct nc_job j = {.fn = main_model_rpc, .sess = ss, .rpc = rpc, .arg = &m};
	struct nc_server_reply *r;
	struct json *whole = NULL, *input;
	char *text = NULL, key[160], err[256];

	snprintf(key, sizeof(key), "opensvr:%s", LYD_NAME(rpc));
	if (lyd_print_mem(&text, rpc, LYD_JSON, LYD_PRINT_SHRINK) == LY_SUCCESS && text)
		whole = json_parse(text, strlen(text), err, sizeof(err));
	free(text);
	input = whole ? json_take(whole, key) : NULL;
	m.args = json_new_object();
	json_set(m.args, "name", json_new_str(LYD_NAME(rpc)));
	json_set(m.args, "input", input ? input : json_new_object());
	json_free(whole);
	if (nc_run(n, &j) < 0) {
		r = job_error(n->ctx, &j);
	} else if (m.error) {
		nc_job_error(&j, NC_ERR_OP_FAILED, NULL, "%s",
			     json_get_str(m.error, "message", "the operation failed"));
		r = job_error(n->ctx, &j);
	} else {
		r = model_output(rpc, m.data);
	}
	json_free(m.args);
	json_free(m.data);
	json_free(m.error);
	return r;
}

/* ---- enrol (a router with its token, on the conductor) -------------------- */

struct enrol_job {
	const char *csr;
	struct json *out;
	char err[256];
};

static void main_enrol(struct netconf *n, struct nc_job *j)
{
	struct enrol_job *e = j->arg;

	if (conductor_enrol(n->d, j->sess->peer.user, e->csr, &e->out, e->err, sizeof(e->err)) < 0)
		nc_job_error(j, NC_ERR_OP_FAILED, NULL, "%s", e->err);
}

static struct nc_server_reply *op_enrol(struct netconf *n, struct lyd_node *rpc, struct nc_sess *ss)
{
	struct enrol_job e = {.csr = leaf(rpc, "certificate-request")};
	struct nc_job j = {.fn = main_enrol, .sess = ss, .rpc = rpc, .arg = &e};
	struct nc_server_reply *r;

	if (!e.csr) {
		nc_job_error(&j, NC_ERR_MISSING_ELEM, "certificate-request",
			     "enrol needs a certificate-request");
		return job_error(n->ctx, &j);
	}
	if (nc_run(n, &j) < 0 || j.tag)
		r = job_error(n->ctx, &j);
	else
		r = model_output(rpc, e.out);
	json_free(e.out);
	return r;
}

/* ---- create-subscription (RFC 5277) ----------------------------------------- */

static struct nc_server_reply *op_subscribe(struct netconf *n, struct lyd_node *rpc,
					    struct nc_session *session, struct nc_sess *ss)
{
	struct nc_job j = {0};
	const char *stream = leaf(rpc, "stream");
	struct lyd_node *f = NULL, *copy = NULL;
	const struct lyd_node_any *a;

	if (nc_session_get_notif_status(session))
		nc_job_error(&j, NC_ERR_IN_USE, NULL, "this session has a subscription already");
	else if (stream && strcmp(stream, "NETCONF"))
		nc_job_error(&j, NC_ERR_INVALID_VALUE, "stream",
			     "no stream %s: the one stream is NETCONF", stream);
	else if (leaf(rpc, "startTime"))
		nc_job_error(&j, NC_ERR_OP_NOT_SUPPORTED, "startTime",
			     "replay is not supported: a subscription starts now");
	else if (lyd_find_path(rpc, "filter", 0, &f) == LY_SUCCESS && f &&
		 (a = (const struct lyd_node_any *)f)->value_type == LYD_ANYDATA_DATATREE &&
		 a->value.tree &&
		 lyd_dup_siblings(a->value.tree, NULL, LYD_DUP_RECURSIVE, &copy) != LY_SUCCESS)
		nc_job_error(&j, NC_ERR_RES_DENIED, "filter", "cannot keep the filter");
	if (j.tag)
		return job_error(n->ctx, &j);
	ss->filter = copy;
	nc_session_inc_notif_status(session);
	log_info("netconf: session %u subscribed to notifications", ss->nc_id);
	return nc_server_reply_ok();
}

/* ---- get-schema (RFC 6022) -------------------------------------------------- */

/* text with <, > and & written as XML entities (malloc'd). */
static char *xml_escape(const char *text)
{
	struct strbuf sb = STRBUF_INIT;

	for (const char *p = text; *p; p++)
		if (*p == '<')
			strbuf_adds(&sb, "&lt;");
		else if (*p == '>')
			strbuf_adds(&sb, "&gt;");
		else if (*p == '&')
			strbuf_adds(&sb, "&amp;");
		else
			strbuf_addc(&sb, *p);
	return strbuf_steal(&sb);
}

/* A module's text, escaped here and handed over as XML: the library's own
 * get-schema has libyang 2.1 escape it while it prints through
 * libnetconf2's callback, which reads a reallocated buffer (a module
 * whose text holds '<' does it, and svrd falls). */
static struct nc_server_reply *op_get_schema(struct netconf *n, struct lyd_node *rpc)
{
	const char *id = leaf(rpc, "identifier"), *version = leaf(rpc, "version");
	const char *format = leaf(rpc, "format");
	const struct lys_module *mod = NULL;
	struct lyd_node *out = NULL, *any = NULL;
	char *text = NULL, *escaped;
	struct nc_job j = {0};

	if (id)
		mod = version && *version ? ly_ctx_get_module(n->ctx, id, version)
					  : ly_ctx_get_module_latest(n->ctx, id);
	if (!mod) {
		nc_job_error(&j, NC_ERR_INVALID_VALUE, "identifier", "no module %s%s%s here",
			     id ? id : "", version ? "@" : "", version ? version : "");
		return job_error(n->ctx, &j);
	}
	if (lys_print_mem(&text, mod, format && strstr(format, "yin") ? LYS_OUT_YIN : LYS_OUT_YANG,
			  0) != LY_SUCCESS ||
	    !(escaped = xml_escape(text))) {
		free(text);
		return nc_server_reply_err(nc_err(n->ctx, NC_ERR_OP_FAILED, NC_ERR_TYPE_APP));
	}
	free(text);
	if (lyd_dup_single(rpc, NULL, 0, &out) != LY_SUCCESS ||
	    lyd_new_any(out, NULL, "data", escaped, 1, LYD_ANYDATA_XML, 1, &any) != LY_SUCCESS) {
		free(escaped);
		lyd_free_all(out);
		return nc_server_reply_err(nc_err(n->ctx, NC_ERR_OP_FAILED, NC_ERR_TYPE_APP));
	}
	return nc_server_reply_data(out, NC_WD_EXPLICIT, NC_PARAMTYPE_FREE);
}

/* ---- dispatch ------------------------------------------------------------- */

struct nc_server_reply *nc_rpc_dispatch(struct lyd_node *rpc, struct nc_session *session)
{
	struct netconf *n = nc_server;
	struct nc_sess *ss = nc_session_get_data(session);
	const char *name = LYD_NAME(rpc);
	static const struct {
		const char *name;
		bool write;
		void (*fn)(struct netconf *, struct nc_job *);
	} simple[] = {
		{"commit", true, main_commit},	    {"cancel-commit", true, main_cancel},
		{"validate", false, main_validate}, {"discard-changes", true, main_discard},
		{"lock", true, main_lock},	    {"unlock", true, main_lock},
	};
	bool write = !strcmp(name, "edit-config");

	if (!n || !ss)
		return nc_server_reply_err(nc_err(LYD_CTX(rpc), NC_ERR_OP_FAILED, NC_ERR_TYPE_APP));
	if (ss->enrol != !strcmp(name, "enrol")) {
		struct lyd_node *err = nc_err(n->ctx, NC_ERR_ACCESS_DENIED, NC_ERR_TYPE_APP);

		nc_err_set_msg(err,
			       ss->enrol ? "a session opened with an enrolment token may only enrol"
					 : "enrol is for a new router, with its enrolment token",
			       "en");
		return nc_server_reply_err(err);
	}
	if (ss->enrol)
		return op_enrol(n, rpc, ss);
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
		if (!strcmp(name, simple[i].name))
			write = simple[i].write;
	if (write && !ss->peer.admin) {
		struct lyd_node *err = nc_err(n->ctx, NC_ERR_ACCESS_DENIED, NC_ERR_TYPE_APP);

		nc_err_set_msg(err, "read-only user: this operation needs the admin role", "en");
		return nc_server_reply_err(err);
	}
	if (!strcmp(name, "get-config") || !strcmp(name, "get"))
		return op_read(n, rpc, ss);
	if (!strcmp(name, "get-schema"))
		return op_get_schema(n, rpc);
	if (!strcmp(name, "create-subscription"))
		return op_subscribe(n, rpc, session, ss);
	if (rpc->schema && !strcmp(rpc->schema->module->name, "opensvr")) {
		if (!ss->peer.admin)
			return nc_server_reply_err(
				nc_err(n->ctx, NC_ERR_ACCESS_DENIED, NC_ERR_TYPE_APP));
		return op_model(n, rpc, ss);
	}
	if (!strcmp(name, "edit-config"))
		return op_edit(n, rpc, ss);
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
		if (!strcmp(name, simple[i].name))
			return op_simple(n, rpc, ss, simple[i].fn);
	return nc_server_reply_err(nc_err(n->ctx, NC_ERR_OP_NOT_SUPPORTED, NC_ERR_TYPE_PROT));
}
