/* The datastore's files: the commit history (NNNNNNNN.json then its
 * NNNNNNNN.meta record, the commit point), confirm.json, and the commits
 * set aside as unreadable.  datastore.h says what survives a crash. */
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
#include "ds_int.h"
#include "json.h"

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

int dsi_mkdirs(const char *path)
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
int dsi_load_history(struct ds *ds, struct ds_errs *e)
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

struct lyd_node *dsi_load_commit(struct ds *ds, uint32_t n, struct ds_errs *e)
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
		dsi_add_defaults(ds, &tree);
	return tree;
}

const struct ds_commit *dsi_find_commit(const struct ds *ds, uint32_t n)
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
int dsi_record_commit(struct ds *ds, const struct lyd_node *tree, const char *user,
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

/* A commit confirmed is pending from its record (record_commit) until a
 * later commit or a confirmation.  A later commit is its own record; a
 * confirmation without changes is written to confirm.json as
 * {"confirmed": N}.  A crash before that file is renamed into place
 * leaves the commit pending, as the operator was not told it was
 * confirmed. */
int dsi_save_confirmed(struct ds *ds, uint32_t number)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "{\"confirmed\":%u}", number);
	return write_atomic(ds->dir, "confirm.json", buf);
}

void dsi_load_confirm(struct ds *ds)
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
void dsi_count_set_aside(struct ds *ds, const char *dir)
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

	if (!dsi_find_commit(ds, n)) {
		hist_path(ds, n, "meta", path, sizeof(path));
		fmt(why, len, "its commit record %s cannot be read", path);
		return;
	}
	tree = dsi_load_commit(ds, n, &le);
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
int dsi_load_running(struct ds *ds, unsigned flags, struct ds_errs *e)
{
	uint32_t newest = ds->newest_on_disk, runs = 0;
	size_t i;
	char why[1024], aside[4096], why_run[64];

	for (i = 0; i < ds->nhist; i++) {
		struct ds_errs le = {0};

		ds->running = dsi_load_commit(ds, ds->hist[i].number, &le);
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
	if (dsi_mkdirs(aside) < 0) {
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

int ds_load_commit(struct ds *ds, uint32_t number, struct lyd_node **out, struct ds_errs *e)
{
	*out = NULL;
	if (!dsi_find_commit(ds, number)) {
		ds_errs_add(e, false, NULL, "no commit %u in the history", number);
		return -1;
	}
	*out = dsi_load_commit(ds, number, e);
	return *out || !ds_errs_count(e) ? 0 : -1;
}
