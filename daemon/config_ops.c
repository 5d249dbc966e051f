/* DOC: configuration operations
 *
 * The management operations on the datastore (config-model/datastore.h):
 * reading configuration in JSON or PCLI text, editing the shared candidate
 * by path or by PCLI line (each connection keeps its own current level),
 * validate, commit (confirmed), rollback, history, compare, lock, export
 * and import.  doc/management-api.md documents the arguments and replies.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libyang/libyang.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conductor.h"
#include "datastore.h"
#include "event.h"
#include "model.h"
#include "strbuf.h"
#include "json.h"
#include "mgmt.h"
#include "pcli.h"
#include "svrd.h"

struct json *config_errors_json(const struct ds_errs *e)
{
	struct json *o, *list;
	const struct ds_err *first = NULL;

	if (!ds_errs_count(e))
		return NULL;
	list = json_new_array();
	for (size_t i = 0; i < e->n; i++) {
		struct json *it = json_new_object();

		if (!e->v[i].warning && !first)
			first = &e->v[i];
		if (e->v[i].path)
			json_set(it, "path", json_new_str(e->v[i].path));
		json_set(it, "message", json_new_str(e->v[i].msg));
		json_set(it, "warning", json_new_bool(e->v[i].warning));
		json_append(list, it);
	}
	o = mgmt_error_obj(MGMT_E_INVALID, first->path, "%s", first->msg);
	json_set(o, "errors", list);
	return o;
}

static struct json *warnings_json(const struct ds_errs *e)
{
	struct json *list = json_new_array();

	for (size_t i = 0; e && i < e->n; i++) {
		struct json *it = json_new_object();

		if (!e->v[i].warning)
			continue;
		if (e->v[i].path)
			json_set(it, "path", json_new_str(e->v[i].path));
		json_set(it, "message", json_new_str(e->v[i].msg));
		json_append(list, it);
	}
	return list;
}

int config_finish(struct ds_errs *e, struct json **data, struct json **error)
{
	if (ds_errs_count(e)) {
		*error = config_errors_json(e);
		ds_errs_free(e);
		return -1;
	}
	if (!*data)
		*data = json_new_object();
	json_set(*data, "warnings", warnings_json(e));
	ds_errs_free(e);
	return 0;
}

static struct pcli_session *session_pcli(struct svrd *d, const struct mgmt_peer *peer)
{
	struct mgmt_peer *p = (struct mgmt_peer *)peer;

	if (!p->pcli)
		p->pcli = pcli_session_new(d->ds, p->id);
	return p->pcli;
}

void config_session_end(struct svrd *d, struct mgmt_peer *peer)
{
	if (d->ds)
		ds_unlock(d->ds, peer->id);
	pcli_session_free(peer->pcli);
	peer->pcli = NULL;
}

/* The tree named by "running", "candidate" or a commit number. */
static struct lyd_node *pick_tree(struct svrd *d, const char *which, bool *owned, struct ds_errs *e)
{
	char *end;
	unsigned long n;
	const struct ds_commit *h;
	size_t nh = ds_history(d->ds, &h);

	*owned = false;
	if (!which || strcmp(which, "running") == 0)
		return (struct lyd_node *)ds_running(d->ds);
	if (strcmp(which, "candidate") == 0)
		return (struct lyd_node *)ds_candidate(d->ds);
	n = strtoul(which, &end, 10);
	if (*end || !n) {
		ds_errs_add(e, false, NULL, "'%s' is not running, candidate or a commit number",
			    which);
		return NULL;
	}
	for (size_t i = 0; i < nh; i++) {
		if (h[i].number == n) {
			struct lyd_node *t = NULL;

			*owned = true;
			if (ds_load_commit(d->ds, (uint32_t)n, &t, e) < 0)
				return NULL;
			return t;
		}
	}
	ds_errs_add(e, false, NULL, "no commit %lu in the history", n);
	return NULL;
}

static unsigned text_flags(const struct json *args)
{
	unsigned f = 0;

	if (json_get_bool(args, "verbose", false))
		f |= PCLI_VERBOSE;
	if (strcmp(json_get_str(args, "format", "pcli"), "flat") == 0)
		f |= PCLI_FLAT;
	return f;
}

static int op_get_config(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
			 struct json **data, struct json **error)
{
	struct ds_errs e = {0};
	bool owned;
	struct lyd_node *t = pick_tree(d, json_get_str(args, "datastore", "running"), &owned, &e);
	const char *fmt = json_get_str(args, "format", "pcli");
	char *text;

	const char *words = json_get_str(args, "path", NULL);
	struct lyd_node *sub = NULL;

	(void)peer;
	if (ds_errs_count(&e))
		return config_finish(&e, data, error);
	if (words && *words) {
		/* only the subtree at PATH, with the levels that lead to it */
		char *dpath = pcli_resolve(d->ds, words, &e);
		struct lyd_node *m = NULL;

		if (dpath && (lyd_find_path(t, dpath, 0, &m) != LY_SUCCESS || !m))
			ds_errs_add(&e, false, words, "nothing is configured here");
		ly_err_clean((struct ly_ctx *)ds_ctx(d->ds), NULL);
		if (m && !ds_errs_count(&e) &&
		    lyd_dup_single(m, NULL,
				   LYD_DUP_RECURSIVE | LYD_DUP_WITH_PARENTS | LYD_DUP_WITH_FLAGS,
				   &sub) == LY_SUCCESS) {
			while (sub->parent)
				sub = lyd_parent(sub);
		}
		free(dpath);
		if (owned)
			lyd_free_all(t);
		if (ds_errs_count(&e)) {
			lyd_free_all(sub);
			return config_finish(&e, data, error);
		}
		t = sub;
		owned = true;
	}
	*data = json_new_object();
	if (strcmp(fmt, "json") == 0) {
		text = ds_print_json(t, json_get_bool(args, "verbose", false));
		json_set(*data, "format", json_new_str("json"));
	} else {
		text = pcli_print(t, text_flags(args));
	}
	json_set(*data, "text", json_new_str(text ? text : ""));
	free(text);
	if (owned)
		lyd_free_all(t);
	return config_finish(&e, data, error);
}

static void add_status(struct svrd *d, const struct mgmt_peer *peer, struct json *o)
{
	json_set(o, "candidate-changed", json_new_bool(ds_candidate_changed(d->ds)));
	if (peer->pcli) {
		json_set(o, "config-mode", json_new_bool(pcli_in_config(peer->pcli)));
		json_set(o, "where", json_new_str(pcli_where(peer->pcli)));
		json_set(o, "level", json_new_str(pcli_label(peer->pcli)));
		{
			char *sp = pcli_schema_path(peer->pcli);

			json_set(o, "schema-path", json_new_str(sp ? sp : ""));
			free(sp);
		}
	}
}

static int op_status(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
		     struct json **data, struct json **error)
{
	(void)args;
	(void)error;
	const struct ds_commit *h;
	size_t n = ds_history(d->ds, &h);

	*data = json_new_object();
	add_status(d, peer, *data);
	json_set(*data, "confirm-deadline-ms", json_new_int(ds_confirm_deadline(d->ds)));
	/* the newest commit (the history is newest first): how a shell
	 * learns of an automatic rollback */
	if (n) {
		struct json *c = json_new_object();

		json_set(c, "number", json_new_int(h[0].number));
		json_set(c, "user", json_new_str(h[0].user));
		json_set(c, "comment", json_new_str(h[0].comment));
		json_set(*data, "last-commit", c);
	}
	return 0;
}

static int op_edit(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
		   struct json **data, struct json **error)
{
	struct ds_errs e = {0};
	const char *op = json_get_str(args, "operation", "set");
	const char *path = json_get_str(args, "path", NULL);

	if (!path) {
		*error = mgmt_error_obj(MGMT_E_REQUEST, NULL, "edit needs a \"path\"");
		return -1;
	}
	if (strcmp(op, "set") == 0)
		ds_set(d->ds, peer->id, path, json_get_str(args, "value", NULL), &e);
	else if (strcmp(op, "delete") == 0)
		ds_delete(d->ds, peer->id, path, &e);
	else
		ds_errs_add(&e, false, NULL, "operation must be set or delete, not '%s'", op);
	return config_finish(&e, data, error);
}

/* Who a session is, for the errors of those its lock keeps out. */
static const char *lock_holder(const struct mgmt_peer *peer, char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;
	char at[32];

	gmtime_r(&now, &tm);
	strftime(at, sizeof(at), "%H:%M:%S UTC", &tm);
	snprintf(buf, len, "%s (svrsh pid %d, since %s)", peer->user, (int)peer->pid, at);
	return buf;
}

static int op_cli_config(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
			 struct json **data, struct json **error)
{
	struct ds_errs e = {0};
	struct pcli_session *s = session_pcli(d, peer);
	const char *line = json_get_str(args, "line", NULL);
	enum pcli_result r;
	static const char *const names[] = {"ok", "more", "not-config"};

	if (!line) {
		*error = mgmt_error_obj(MGMT_E_REQUEST, NULL, "cli-config needs a \"line\"");
		return -1;
	}
	/* "configure exclusive": the lock, held until configuration mode ends */
	if (strncmp(line + strspn(line, " \t"), "conf", 4) == 0 && strstr(line, " exclusive")) {
		char w1[16], w2[16], extra[2], holder[128];

		if (sscanf(line, "%15s %15s %1s", w1, w2, extra) == 2 &&
		    (strcmp(w1, "config") == 0 || strcmp(w1, "configure") == 0) &&
		    strcmp(w2, "exclusive") == 0) {
			if (ds_lock(d->ds, peer->id, lock_holder(peer, holder, sizeof(holder)),
				    &e) < 0)
				return config_finish(&e, data, error);
			line = "configure";
		}
	}
	r = pcli_line(s, line, &e);
	if (!pcli_in_config(s))
		ds_unlock(d->ds, peer->id);
	*data = json_new_object();
	json_set(*data, "result", json_new_str(r == PCLI_ERROR ? "error" : names[r]));
	add_status(d, peer, *data);
	return config_finish(&e, data, error);
}

static int op_validate(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
		       struct json **data, struct json **error)
{
	struct ds_errs e = {0};

	(void)peer;
	(void)args;
	ds_validate(d->ds, &e);
	return config_finish(&e, data, error);
}

/* A router managed by a conductor runs the conductor's configuration: a
 * change made here is replaced within a minute, unless local override is
 * on.  Say so at the commit, not at 3 a.m. when it is gone. */
static void managed_warning(struct svrd *d, struct ds_errs *e)
{
	char *conductor = enrolment_link(d, "conductor-name");

	if (conductor && !conductor_role(d) && !enrolment_local_override(d))
		ds_errs_add(e, true, NULL,
			    "this router is managed by conductor %s, which replaces local changes "
			    "within a minute: 'set config local-override' keeps them",
			    conductor);
	free(conductor);
}

static int op_commit(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
		     struct json **data, struct json **error)
{
	struct ds_errs e = {0};
	uint32_t n = 0;
	int64_t confirm = json_get_int(args, "confirmed", 0);

	if (confirm < 0 || confirm > 65535) {
		*error = mgmt_error_obj(MGMT_E_INVALID, NULL,
					"confirmed takes 1..65535 minutes, not %lld",
					(long long)confirm);
		return -1;
	}
	/* best effort: on a conductor, routers that refuse are left out of
	 * sync instead of failing the commit (conductor_push.c) */
	d->commit_best_effort = json_get_bool(args, "best-effort", false);
	if (ds_commit(d->ds, peer->id, peer->user, json_get_str(args, "comment", ""),
		      (uint32_t)confirm, (int64_t)ev_wallclock_ms(), &n, &e) == 0) {
		struct json *skipped = conductor_take_skipped(d);

		*data = json_new_object();
		json_set(*data, "number", json_new_int(n));
		json_set(*data, "confirm-deadline-ms", json_new_int(ds_confirm_deadline(d->ds)));
		if (skipped)
			json_set(*data, "out-of-sync", skipped);
		managed_warning(d, &e);
	}
	d->commit_best_effort = false;
	return config_finish(&e, data, error);
}

static int op_rollback(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
		       struct json **data, struct json **error)
{
	struct ds_errs e = {0};
	int64_t n = json_get_int(args, "number", -1);

	if (n <= 0 || n > UINT32_MAX)
		ds_errs_add(&e, false, NULL,
			    "rollback needs a commit number (show config history)");
	else
		ds_rollback(d->ds, peer->id, (uint32_t)n, &e);
	return config_finish(&e, data, error);
}

static int op_discard(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
		      struct json **data, struct json **error)
{
	struct ds_errs e = {0};

	(void)args;
	ds_discard(d->ds, peer->id, &e);
	return config_finish(&e, data, error);
}

static int op_history(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
		      struct json **data, struct json **error)
{
	const struct ds_commit *h;
	size_t n = ds_history(d->ds, &h);
	struct json *list = json_new_array();

	(void)peer;
	(void)args;
	(void)error;
	for (size_t i = 0; i < n; i++) {
		struct json *c = json_new_object();

		json_set(c, "number", json_new_int(h[i].number));
		json_set(c, "user", json_new_str(h[i].user));
		json_set(c, "time-ms", json_new_int(h[i].time_ms));
		json_set(c, "comment", json_new_str(h[i].comment));
		json_set(c, "confirm-minutes", json_new_int(h[i].confirm_minutes));
		json_append(list, c);
	}
	*data = json_new_object();
	json_set(*data, "commits", list);
	json_set(*data, "confirm-deadline-ms", json_new_int(ds_confirm_deadline(d->ds)));
	return 0;
}

/* A copy of tree with its generated entries made again, as a commit
 * would (NULL stays NULL: an empty configuration). */
static struct lyd_node *as_committed(struct svrd *d, const struct lyd_node *tree)
{
	struct lyd_node *copy = NULL;

	if (tree && lyd_dup_siblings(tree, NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS, &copy))
		return NULL;
	model_generate(ds_ctx(d->ds), &copy);
	return copy;
}

static int op_compare(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
		      struct json **data, struct json **error)
{
	struct ds_errs e = {0};
	bool own_a = false, own_b = false;
	struct lyd_node *a = pick_tree(d, json_get_str(args, "old", "running"), &own_a, &e);
	struct lyd_node *b =
		ds_errs_count(&e)
			? NULL
			: pick_tree(d, json_get_str(args, "new", "candidate"), &own_b, &e);
	char *text = NULL;

	(void)peer;
	if (!ds_errs_count(&e)) {
		/* as each would be committed: generated peers and adjacencies
		 * are made again from the neighborhoods (an imported file has
		 * none; that is not a change) */
		struct lyd_node *ga = as_committed(d, a), *gb = as_committed(d, b);

		text = pcli_compare(ga, gb);
		lyd_free_all(ga);
		lyd_free_all(gb);
		*data = json_new_object();
		json_set(*data, "text", json_new_str(text ? text : ""));
	}
	free(text);
	if (own_a)
		lyd_free_all(a);
	if (own_b)
		lyd_free_all(b);
	return config_finish(&e, data, error);
}

static int op_lock(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
		   struct json **data, struct json **error)
{
	struct ds_errs e = {0};
	char holder[128];

	if (json_get_bool(args, "unlock", false))
		ds_unlock(d->ds, peer->id);
	else
		ds_lock(d->ds, peer->id, lock_holder(peer, holder, sizeof(holder)), &e);
	return config_finish(&e, data, error);
}

/* Export and import files live under STATE/exports; a name is one word.
 * An export never replaces a file, and there are at most EXPORTS_MAX of
 * them: export is a write operation, but a mistaken script should still not
 * fill the state filesystem or lose an earlier export. */
#define EXPORTS_MAX 256

static int export_path(struct svrd *d, const char *name, char *buf, size_t len, struct ds_errs *e)
{
	if (!name || !*name || strchr(name, '/') || name[0] == '.' || strlen(name) > 128) {
		ds_errs_add(e, false, NULL,
			    "an export name is one word without '/' and not starting with '.'");
		return -1;
	}
	snprintf(buf, len, "%s/exports", d->state_dir);
	mkdir(buf, 0750);
	snprintf(buf, len, "%s/exports/%s", d->state_dir, name);
	return 0;
}

static size_t count_exports(const struct svrd *d)
{
	char dir[4096];
	DIR *dp;
	struct dirent *de;
	size_t n = 0;

	snprintf(dir, sizeof(dir), "%s/exports", d->state_dir);
	dp = opendir(dir);
	while (dp && (de = readdir(dp)))
		if (de->d_name[0] != '.')
			n++;
	if (dp)
		closedir(dp);
	return n;
}

/* Create path (never replacing a file) holding text; nothing is left
 * behind on failure. */
static int write_new_file(const char *path, const char *name, const char *text, struct ds_errs *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	size_t len = strlen(text), off = 0;

	if (fd < 0 && errno == EEXIST) {
		ds_errs_add(e, false, NULL,
			    "export '%s' already exists (%s); choose another name or remove it "
			    "first",
			    name, path);
		return -1;
	}
	if (fd < 0) {
		ds_errs_add(e, false, NULL, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (off < len || fsync(fd) < 0 || close(fd) < 0) {
		ds_errs_add(e, false, NULL, "cannot write %s: %s", path,
			    off < len && errno == 0 ? "short write" : strerror(errno));
		if (off < len)
			close(fd);
		unlink(path);
		return -1;
	}
	return 0;
}

static int op_export(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
		     struct json **data, struct json **error)
{
	struct ds_errs e = {0};
	char path[4096];
	bool owned;
	struct lyd_node *t = pick_tree(d, json_get_str(args, "datastore", "running"), &owned, &e);
	bool json = strcmp(json_get_str(args, "format", "pcli"), "json") == 0;
	const char *name = json_get_str(args, "name", NULL);
	char *text = NULL;

	(void)peer;
	if (ds_errs_count(&e) || export_path(d, name, path, sizeof(path), &e) < 0)
		goto out;
	if (access(path, F_OK) != 0 && count_exports(d) >= EXPORTS_MAX) {
		ds_errs_add(&e, false, NULL,
			    "there are already %d exports, the limit; remove some from %s/exports "
			    "first",
			    EXPORTS_MAX, d->state_dir);
		goto out;
	}
	text = json ? ds_print_json(t, false) : pcli_print(t, 0);
	if (write_new_file(path, name, text ? text : "", &e) < 0)
		goto out;
	*data = json_new_object();
	json_set(*data, "file", json_new_str(path));
out:
	free(text);
	if (owned)
		lyd_free_all(t);
	return config_finish(&e, data, error);
}

static char *slurp(const char *path, struct ds_errs *e)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int c;

	if (!f) {
		ds_errs_add(e, false, NULL, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	while ((c = fgetc(f)) != EOF) {
		if (len + 2 > cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 4096);

			if (!nb)
				break;
			buf = nb;
		}
		buf[len++] = (char)c;
	}
	fclose(f);
	if (!buf)
		buf = calloc(1, 1);
	else
		buf[len] = '\0';
	return buf;
}

/* Load a text (JSON or PCLI) into the candidate, all or nothing. */
static int load_text(struct svrd *d, const struct mgmt_peer *peer, const char *text, bool replace,
		     struct ds_errs *e)
{
	const char *p = text;
	struct lyd_node *saved = NULL, *tree;

	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	if (*p == '{') {
		tree = ds_parse_json(d->ds, text, e);
		return tree ? ds_replace_candidate(d->ds, peer->id, tree, e) : -1;
	}
	if (ds_candidate(d->ds))
		lyd_dup_siblings(ds_candidate(d->ds), NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS,
				 &saved);
	if (replace && ds_replace_candidate(d->ds, peer->id, NULL, e) < 0) {
		lyd_free_all(saved);
		return -1;
	}
	{
		struct pcli_session *s = pcli_session_new(d->ds, peer->id);
		int rc = pcli_apply_text(s, text, e);

		pcli_session_free(s);
		if (rc == 0) {
			lyd_free_all(saved);
			return 0;
		}
	}
	/* Nothing of a failed load stays in the candidate. */
	ds_replace_candidate(d->ds, peer->id, saved, NULL);
	return -1;
}

static int op_import(struct svrd *d, const struct mgmt_peer *peer, const struct json *args,
		     struct json **data, struct json **error)
{
	struct ds_errs e = {0};
	char path[4096];
	const char *text = json_get_str(args, "text", NULL);
	char *owned = NULL;

	if (!text) {
		if (export_path(d, json_get_str(args, "name", NULL), path, sizeof(path), &e) < 0)
			return config_finish(&e, data, error);
		text = owned = slurp(path, &e);
	}
	if (text)
		load_text(d, peer, text, json_get_bool(args, "replace", true), &e);
	free(owned);
	return config_finish(&e, data, error);
}

static const struct mgmt_op config_ops[] = {
	{"get-config", false, op_get_config},
	{"config-status", false, op_status},
	{"edit", true, op_edit},
	{"cli-config", true, op_cli_config},
	{"validate", false, op_validate},
	{"commit", true, op_commit},
	{"rollback", true, op_rollback},
	{"discard", true, op_discard},
	{"history", false, op_history},
	{"compare", false, op_compare},
	{"lock", true, op_lock},
	{"export", true, op_export},
	{"import", true, op_import},
};

const struct mgmt_op *config_op_find(const char *name)
{
	for (size_t i = 0; i < sizeof(config_ops) / sizeof(config_ops[0]); i++)
		if (strcmp(config_ops[i].name, name) == 0)
			return &config_ops[i];
	return model_op_find(name);
}
