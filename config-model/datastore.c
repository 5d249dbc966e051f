/* Configuration datastore; see datastore.h. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libyang/libyang.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datastore.h"
#include "json.h"
#include "model.h"

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

/* ---- errors ------------------------------------------------------------ */

void ds_errs_add(struct ds_errs *e, bool warning, const char *path, const char *fmt, ...)
{
	struct ds_err *nv;
	char msg[1024];
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nv = realloc(e->v, (e->n + 1) * sizeof(*nv));
	if (!nv)
		return;
	e->v = nv;
	e->v[e->n].path = path ? strdup(path) : NULL;
	e->v[e->n].msg = strdup(msg);
	e->v[e->n].warning = warning;
	e->n++;
}

size_t ds_errs_count(const struct ds_errs *e)
{
	size_t n = 0;

	for (size_t i = 0; e && i < e->n; i++)
		n += !e->v[i].warning;
	return n;
}

void ds_errs_free(struct ds_errs *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].path);
		free(e->v[i].msg);
	}
	free(e->v);
	e->v = NULL;
	e->n = 0;
}

void ds_path_words(const char *path, char *buf, size_t len)
{
	size_t o = 0;
	const char *p = path;

	if (!len)
		return;
	while (*p && o + 1 < len) {
		if (*p == '/') {
			p++;
			if (o)
				buf[o++] = ' ';
			/* drop a module prefix */
			const char *colon = strchr(p, ':');
			const char *next = strpbrk(p, "/[");

			if (colon && (!next || colon < next))
				p = colon + 1;
			continue;
		}
		if (*p == '[') {
			/* [name='x'] -> " x" */
			const char *q = strchr(p, '=');
			const char *end = strchr(p, ']');

			if (!q || !end)
				break;
			q++;
			if (*q == '\'' || *q == '"')
				q++;
			if (o + 1 < len)
				buf[o++] = ' ';
			while (q < end && *q != '\'' && *q != '"' && o + 1 < len)
				buf[o++] = *q++;
			p = end + 1;
			continue;
		}
		buf[o++] = *p++;
	}
	buf[o] = '\0';
}

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

/* ---- files ------------------------------------------------------------- */

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Write path atomically: temp file, fsync, rename, fsync the directory. */
static int write_atomic(const char *dir, const char *name, const char *data)
{
	char tmp[4096], path[4096];
	size_t len = strlen(data), off = 0;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		off += (size_t)n;
	}
	if (fsync(fd) < 0)
		goto fail;
	close(fd);
	if (rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return fsync_dir(dir);
fail:
	close(fd);
	unlink(tmp);
	return -1;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else if (buf) {
			buf[n] = '\0';
		}
	}
	fclose(f);
	return buf;
}

static int mkdirs(const char *path)
{
	char tmp[4096];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0750) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0750) < 0 && errno != EEXIST ? -1 : 0;
}

/* ---- trees ------------------------------------------------------------- */

static int add_defaults(struct ds *ds, struct lyd_node **tree)
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

/* ---- history ----------------------------------------------------------- */

static int parse_meta(const char *text, struct ds_commit *c)
{
	struct json *j = json_parse(text, strlen(text), NULL, 0);

	if (!j)
		return -1;
	memset(c, 0, sizeof(*c));
	c->number = (uint32_t)json_get_int(j, "number", 0);
	c->time_ms = json_get_int(j, "time-ms", 0);
	c->confirm_minutes = (uint32_t)json_get_int(j, "confirm-minutes", 0);
	c->confirm_previous = (uint32_t)json_get_int(j, "confirm-previous", 0);
	c->confirm_deadline_ms = json_get_int(j, "confirm-deadline-ms", 0);
	snprintf(c->user, sizeof(c->user), "%s", json_get_str(j, "user", ""));
	snprintf(c->comment, sizeof(c->comment), "%s", json_get_str(j, "comment", ""));
	json_free(j);
	return c->number ? 0 : -1;
}

static int cmp_commit_desc(const void *a, const void *b)
{
	const struct ds_commit *x = a, *y = b;

	return x->number < y->number ? 1 : x->number > y->number ? -1 : 0;
}

static void hist_path(const struct ds *ds, uint32_t n, const char *ext, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%08u.%s", ds->histdir, n, ext);
}

/* Read every commit record.  A configuration without its record and
 * numbered above every record is an unfinished commit (a crash before the
 * commit point) and is removed; any other file is kept, readable or not.
 * A record that cannot be read is left out of the history but counts for
 * newest_on_disk: ds_open decides what an unreadable newest commit means. */
static int load_history(struct ds *ds, struct ds_errs *e)
{
	DIR *d = opendir(ds->histdir);
	struct dirent *de;
	char path[4096];
	uint32_t *orphans = NULL;
	size_t norphans = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL) {
		unsigned n;
		char ext[8], tail;
		struct ds_commit c, *nh;
		char *text;

		if (sscanf(de->d_name, "%8u.%7[a-z]%c", &n, ext, &tail) != 2 || !n)
			continue;
		if (strcmp(ext, "json") == 0) {
			hist_path(ds, n, "meta", path, sizeof(path));
			if (access(path, F_OK) != 0) {
				uint32_t *no = realloc(orphans, (norphans + 1) * sizeof(*no));

				if (no) {
					orphans = no;
					orphans[norphans++] = n;
				}
			}
			continue;
		}
		if (strcmp(ext, "meta") != 0)
			continue;
		if (n > ds->newest_on_disk)
			ds->newest_on_disk = n;
		hist_path(ds, n, "meta", path, sizeof(path));
		text = read_file(path);
		if (!text || parse_meta(text, &c) < 0 || c.number != n) {
			ds_errs_add(e, true, NULL, "commit %u: the commit record %s is unreadable",
				    n, path);
			free(text);
			continue;
		}
		free(text);
		nh = realloc(ds->hist, (ds->nhist + 1) * sizeof(*nh));
		if (!nh)
			break;
		ds->hist = nh;
		ds->hist[ds->nhist++] = c;
	}
	closedir(d);
	for (size_t i = 0; i < norphans; i++) {
		if (orphans[i] <= ds->newest_on_disk)
			continue; /* not a commit in flight: keep it for the operator */
		hist_path(ds, orphans[i], "json", path, sizeof(path));
		unlink(path);
	}
	free(orphans);
	if (ds->nhist)
		qsort(ds->hist, ds->nhist, sizeof(*ds->hist), cmp_commit_desc);
	return 0;
}

static struct lyd_node *load_commit(struct ds *ds, uint32_t n, struct ds_errs *e)
{
	char path[4096];
	char *text;
	struct lyd_node *tree;

	hist_path(ds, n, "json", path, sizeof(path));
	text = read_file(path);
	if (!text) {
		ds_errs_add(e, false, NULL, "commit %u: cannot read %s: %s", n, path,
			    strerror(errno ? errno : EIO));
		return NULL;
	}
	/* An empty configuration is written as {}: an empty file is damage. */
	if (text[strspn(text, " \t\r\n")] == '\0') {
		ds_errs_add(e, false, NULL, "commit %u: %s is empty", n, path);
		free(text);
		return NULL;
	}
	tree = ds_parse_json(ds, text, e);
	free(text);
	if (tree)
		add_defaults(ds, &tree);
	return tree;
}

static const struct ds_commit *find_commit(const struct ds *ds, uint32_t n)
{
	for (size_t i = 0; i < ds->nhist; i++)
		if (ds->hist[i].number == n)
			return &ds->hist[i];
	return NULL;
}

/* Commit numbers are never used twice, not even those of commits set aside
 * as unreadable. */
static uint32_t next_number(const struct ds *ds)
{
	uint32_t n = ds->nhist ? ds->hist[0].number : 0;

	return (n > ds->newest_on_disk ? n : ds->newest_on_disk) + 1;
}

/* The record of a commit confirmed carries its pending state (the commit
 * to go back to and the deadline): the commit and its "not confirmed yet"
 * mark reach the disk in one rename, so no crash can leave one without the
 * other. */
static int record_commit(struct ds *ds, const struct lyd_node *tree, const char *user,
			 const char *comment, const struct ds_commit *confirm, int64_t now_ms,
			 uint32_t *number, struct ds_errs *e)
{
	uint32_t n = next_number(ds);
	char name[32], *cfg = ds_print_json(tree, false), *meta;
	struct json *m = json_new_object();
	struct ds_commit c = {.number = n, .time_ms = now_ms};
	struct ds_commit *nh;
	int rc = -1;

	if (confirm && confirm->confirm_minutes) {
		c.confirm_minutes = confirm->confirm_minutes;
		c.confirm_previous = confirm->confirm_previous;
		c.confirm_deadline_ms = confirm->confirm_deadline_ms;
	}
	json_set(m, "number", json_new_int(n));
	json_set(m, "user", json_new_str(user ? user : ""));
	json_set(m, "time-ms", json_new_int(now_ms));
	json_set(m, "comment", json_new_str(comment ? comment : ""));
	json_set(m, "confirm-minutes", json_new_int(c.confirm_minutes));
	if (c.confirm_minutes) {
		json_set(m, "confirm-previous", json_new_int(c.confirm_previous));
		json_set(m, "confirm-deadline-ms", json_new_int(c.confirm_deadline_ms));
	}
	meta = json_print(m);
	json_free(m);
	snprintf(name, sizeof(name), "%08u.json", n);
	if (!cfg || !meta || write_atomic(ds->histdir, name, cfg) < 0) {
		ds_errs_add(e, false, NULL, "cannot save the configuration: %s", strerror(errno));
		goto out;
	}
	snprintf(name, sizeof(name), "%08u.meta", n);
	if (write_atomic(ds->histdir, name, meta) < 0) {
		ds_errs_add(e, false, NULL, "cannot save the commit record: %s", strerror(errno));
		goto out;
	}
	snprintf(c.user, sizeof(c.user), "%s", user ? user : "");
	snprintf(c.comment, sizeof(c.comment), "%s", comment ? comment : "");
	nh = realloc(ds->hist, (ds->nhist + 1) * sizeof(*nh));
	if (!nh)
		goto out;
	ds->hist = nh;
	memmove(ds->hist + 1, ds->hist, ds->nhist * sizeof(*nh));
	ds->hist[0] = c;
	ds->nhist++;
	/* Keep DS_HISTORY_KEEP; the meta goes first so a crash leaves no half commit. */
	while (ds->nhist > DS_HISTORY_KEEP) {
		char path[4096];
		uint32_t old = ds->hist[--ds->nhist].number;

		hist_path(ds, old, "meta", path, sizeof(path));
		unlink(path);
		hist_path(ds, old, "json", path, sizeof(path));
		unlink(path);
	}
	*number = n;
	rc = 0;
out:
	free(cfg);
	free(meta);
	return rc;
}

/* ---- commit confirmed state -------------------------------------------- */

/* A commit confirmed is pending from its record (record_commit) until a
 * later commit or a confirmation.  A later commit is its own record; a
 * confirmation without changes is written to confirm.json as
 * {"confirmed": N}.  A crash before that file is renamed into place
 * leaves the commit pending, as the operator was not told it was
 * confirmed. */
static int save_confirmed(struct ds *ds, uint32_t number)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "{\"confirmed\":%u}", number);
	return write_atomic(ds->dir, "confirm.json", buf);
}

static void load_confirm(struct ds *ds)
{
	char path[4096], *text;
	struct json *j = NULL;
	const struct ds_commit *c = ds->nhist ? &ds->hist[0] : NULL;

	ds->confirm_number = 0;
	snprintf(path, sizeof(path), "%s/confirm.json", ds->dir);
	text = read_file(path);
	if (text)
		j = json_parse(text, strlen(text), NULL, 0);
	free(text);
	/* Only the newest commit can still be waiting for its confirmation. */
	if (c && c->confirm_minutes && c->confirm_deadline_ms) {
		if (json_get_int(j, "confirmed", 0) != c->number) {
			ds->confirm_number = c->number;
			ds->confirm_previous = c->confirm_previous;
			ds->confirm_deadline = c->confirm_deadline_ms;
		}
	} else if (c && c->confirm_minutes && json_get_int(j, "commit", 0) == c->number) {
		/* a record written before the pending state moved into it */
		ds->confirm_number = c->number;
		ds->confirm_previous = (uint32_t)json_get_int(j, "previous", 0);
		ds->confirm_deadline = json_get_int(j, "deadline-ms", 0);
	}
	json_free(j);
}

int64_t ds_confirm_deadline(const struct ds *ds)
{
	return ds->confirm_number ? ds->confirm_deadline : 0;
}

/* ---- unreadable commits ------------------------------------------------ */

/* Move histdir/NNNNNNNN.ext into STATE/config/unreadable under a name that
 * is not taken yet: link() never replaces a file, so nothing the operator
 * may need is ever overwritten. */
static int set_aside(struct ds *ds, const char *dir, uint32_t n, const char *ext)
{
	char src[4096], dst[4096];

	hist_path(ds, n, ext, src, sizeof(src));
	if (access(src, F_OK) != 0)
		return 0;
	for (int k = 0; k < 1000; k++) {
		if (k)
			snprintf(dst, sizeof(dst), "%s/%08u.%s.%d", dir, n, ext, k);
		else
			snprintf(dst, sizeof(dst), "%s/%08u.%s", dir, n, ext);
		if (link(src, dst) == 0)
			return fsync_dir(dir) < 0 || unlink(src) < 0 ? -1 : fsync_dir(ds->histdir);
		if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

/* Commits set aside keep their numbers: a new commit never reuses one. */
static void count_set_aside(struct ds *ds, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)) != NULL) {
		unsigned n;

		if (sscanf(de->d_name, "%8u.", &n) == 1 && n > ds->newest_on_disk)
			ds->newest_on_disk = n;
	}
	if (d)
		closedir(d);
}

static void fmt(char *buf, size_t len, const char *f, ...) __attribute__((format(printf, 3, 4)));

/* snprintf that may cut: the messages built here are bounded on purpose. */
static void fmt(char *buf, size_t len, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	if (vsnprintf(buf, len, f, ap) < 0 && len)
		buf[0] = '\0';
	va_end(ap);
}

/* Why commit n cannot be loaded, in one line naming its file. */
static void unreadable_why(struct ds *ds, uint32_t n, char *why, size_t len)
{
	struct ds_errs le = {0};
	struct lyd_node *tree;
	char path[4096];

	if (!find_commit(ds, n)) {
		hist_path(ds, n, "meta", path, sizeof(path));
		fmt(why, len, "its commit record %s cannot be read", path);
		return;
	}
	tree = load_commit(ds, n, &le);
	hist_path(ds, n, "json", path, sizeof(path));
	if (le.n && strncmp(le.v[0].msg, "commit ", 7) == 0 && strstr(le.v[0].msg, ": "))
		fmt(why, len, "%s", strstr(le.v[0].msg, ": ") + 2);
	else
		fmt(why, len, "%s: %s%s%s", path, le.n && le.v[0].path ? le.v[0].path : "",
		    le.n && le.v[0].path ? ": " : "", le.n ? le.v[0].msg : "not valid");
	lyd_free_all(tree);
	ds_errs_free(&le);
}

/* Running is the newest commit.  When it (or several of the newest) cannot
 * be read, svrd would otherwise run an older configuration without anyone
 * knowing: refuse, unless the caller asked for the last readable commit;
 * then the unreadable commits' files are moved aside for the operator and
 * ds_unreadable() says what happened. */
static int load_running(struct ds *ds, unsigned flags, struct ds_errs *e)
{
	uint32_t newest = ds->newest_on_disk, runs = 0;
	size_t i;
	char why[1024], aside[4096], why_run[64];

	for (i = 0; i < ds->nhist; i++) {
		struct ds_errs le = {0};

		ds->running = load_commit(ds, ds->hist[i].number, &le);
		if (ds->running || !ds_errs_count(&le)) {
			ds_errs_free(&le);
			runs = ds->hist[i].number;
			break;
		}
		ds_errs_free(&le);
	}
	if (newest <= runs)
		return 0;
	unreadable_why(ds, newest, why, sizeof(why));
	snprintf(aside, sizeof(aside), "%s/unreadable", ds->dir);
	if (!(flags & DS_OPEN_LAST_READABLE)) {
		ds_errs_add(e, false, NULL,
			    "commit %u, the newest, is unreadable (%s); the newest readable commit "
			    "is %s%.0u",
			    newest, why, runs ? "" : "none", runs);
		return -2;
	}
	if (mkdirs(aside) < 0) {
		ds_errs_add(e, false, NULL, "cannot create %s: %s", aside, strerror(errno));
		return -1;
	}
	for (uint32_t n = newest; n > runs; n--) {
		if (set_aside(ds, aside, n, "json") < 0 || set_aside(ds, aside, n, "meta") < 0) {
			ds_errs_add(e, false, NULL, "cannot move commit %u's files to %s: %s", n,
				    aside, strerror(errno));
			return -1;
		}
	}
	/* drop the set-aside commits whose record was readable */
	memmove(ds->hist, ds->hist + i, (ds->nhist - i) * sizeof(*ds->hist));
	ds->nhist -= i;
	if (runs)
		fmt(why_run, sizeof(why_run), "commit %u", runs);
	else
		fmt(why_run, sizeof(why_run), "an empty configuration");
	fmt(ds->unreadable, sizeof(ds->unreadable),
	    "commit %u is unreadable, running %s instead (files kept in %s): %s", newest, why_run,
	    aside, why);
	ds_errs_add(e, true, NULL, "%s", ds->unreadable);
	return 0;
}

const char *ds_unreadable(const struct ds *ds)
{
	return ds && ds->unreadable[0] ? ds->unreadable : NULL;
}

/* ---- open/close -------------------------------------------------------- */

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
	if (mkdirs(ds->histdir) < 0) {
		ds_errs_add(e, false, NULL, "cannot create %s: %s", ds->histdir, strerror(errno));
		goto fail;
	}
	if (load_history(ds, e) < 0) {
		ds_errs_add(e, false, NULL, "cannot read %s: %s", ds->histdir, strerror(errno));
		goto fail;
	}
	rc = load_running(ds, flags, e);
	if (rc < 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/unreadable", ds->dir);
	count_set_aside(ds, path);
	add_defaults(ds, &ds->running);
	set_candidate(ds, dup_tree(ds->running), false);
	load_confirm(ds);
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

/* ---- edits ------------------------------------------------------------- */

static int check_lock(struct ds *ds, uint64_t session, struct ds_errs *e)
{
	if (ds->lock && ds->lock != session) {
		ds_errs_add(e, false, NULL,
			    "the configuration is locked by another session (configure exclusive)");
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
	add_defaults(ds, &ds->cand);
	ds->cand_dirty = true;
	return 0;
}

int ds_replace_candidate(struct ds *ds, uint64_t session, struct lyd_node *tree, struct ds_errs *e)
{
	if (check_lock(ds, session, e) < 0) {
		lyd_free_all(tree);
		return -1;
	}
	add_defaults(ds, &tree);
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

int ds_lock(struct ds *ds, uint64_t session, struct ds_errs *e)
{
	if (ds->lock && ds->lock != session) {
		ds_errs_add(e, false, NULL,
			    "the configuration is already locked by another session");
		return -1;
	}
	if (ds->cand_dirty && ds_candidate_changed(ds)) {
		ds_errs_add(e, false, NULL,
			    "the shared candidate has uncommitted changes; commit or discard them "
			    "(restore config running) first");
		return -1;
	}
	ds->lock = session;
	return 0;
}

void ds_unlock(struct ds *ds, uint64_t session)
{
	if (ds && ds->lock == session)
		ds->lock = 0;
}

/* ---- validate and commit ----------------------------------------------- */

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
	if (record_commit(ds, tree, user, comment, confirm, now_ms, number, e) < 0) {
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
			if (save_confirmed(ds, ds->confirm_number) < 0) {
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
		confirm.confirm_deadline_ms = now_ms + (int64_t)confirm_minutes * 60000;
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
int ds_tick(struct ds *ds, int64_t now_ms, struct ds_errs *e)
{
	struct lyd_node *tree;
	uint32_t n, expired = ds->confirm_number;
	char comment[128];

	if (!expired || now_ms < ds->confirm_deadline)
		return 0;
	tree = ds->confirm_previous ? load_commit(ds, ds->confirm_previous, e) : NULL;
	if (!tree && ds->confirm_previous)
		return -1;
	add_defaults(ds, &tree);
	snprintf(comment, sizeof(comment), "automatic rollback: commit %u was not confirmed",
		 expired);
	if (commit_tree(ds, tree, "svrd", comment, NULL, now_ms, &n, e) < 0)
		return -1;
	ds->confirm_number = 0;
	return 1;
}

int ds_rollback(struct ds *ds, uint64_t session, uint32_t number, struct ds_errs *e)
{
	struct lyd_node *tree;

	if (!find_commit(ds, number)) {
		ds_errs_add(e, false, NULL, "no commit %u in the history (show config history)",
			    number);
		return -1;
	}
	if (check_lock(ds, session, e) < 0)
		return -1;
	tree = load_commit(ds, number, e);
	if (!tree)
		return -1;
	set_candidate(ds, tree, true);
	return 0;
}

int ds_load_commit(struct ds *ds, uint32_t number, struct lyd_node **out, struct ds_errs *e)
{
	*out = NULL;
	if (!find_commit(ds, number)) {
		ds_errs_add(e, false, NULL, "no commit %u in the history", number);
		return -1;
	}
	*out = load_commit(ds, number, e);
	return *out || !ds_errs_count(e) ? 0 : -1;
}
