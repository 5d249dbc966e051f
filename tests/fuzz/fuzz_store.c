/* Fuzz the datastore's loading of its state directory: commit 1 is a good
 * commit, and the input becomes commit 2's record, commit 2's
 * configuration and confirm.json (three parts separated by a NUL byte; the
 * first byte chooses the open flags).  Whatever is on disk, ds_open must
 * never crash; it either refuses (the newest commit unreadable) or runs a
 * commit that is really there; with DS_OPEN_LAST_READABLE it always opens,
 * and the unreadable files are set aside, not lost. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libyang/libyang.h>

#include "datastore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ds_open makes a YANG context (parsing and compiling the module, which
 * took 95% of each run: ~50 runs a second) and ds_close destroys it.  The
 * context depends on nothing in the input, so the datastore's calls are
 * linked to these (--wrap, see tests/subdir.am): one context, made once,
 * shared by every ds_open of the run.  What is fuzzed, the loading of the
 * state directory into it, is unchanged. */
__typeof__(ly_ctx_new) __real_ly_ctx_new, __wrap_ly_ctx_new;
__typeof__(ly_ctx_destroy) __wrap_ly_ctx_destroy;

LY_ERR __wrap_ly_ctx_new(const char *dir, uint16_t options, struct ly_ctx **ctx)
{
	static struct ly_ctx *shared;

	if (!shared) {
		LY_ERR rc = __real_ly_ctx_new(dir, options, &shared);

		if (rc != LY_SUCCESS)
			return rc;
	}
	*ctx = shared;
	return LY_SUCCESS;
}

void __wrap_ly_ctx_destroy(struct ly_ctx *ctx)
{
	(void)ctx;
}

static void put(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[1024];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || (n && write(fd, p, n) != (ssize_t)n))
		abort();
	close(fd);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

/* The next part of the input, up to a NUL byte or the end. */
static size_t part(const uint8_t **p, size_t *left)
{
	const uint8_t *nul = memchr(*p, 0, *left);
	size_t n = nul ? (size_t)(nul - *p) : *left;

	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char good_meta[] =
		"{\"number\":1,\"user\":\"u\",\"time-ms\":1,\"comment\":\"\","
		"\"confirm-minutes\":0}";
	static const char good_cfg[] =
		"{\"opensvr:authority\":{\"router\":[{\"name\":\"r\",\"location\":\"one\"}]}}";
	const char *tmp = getenv("TMPDIR");
	char dir[512], hist[600], cfgdir[600];
	const uint8_t *p = data;
	size_t left = size, n;
	unsigned flags;
	struct ds_errs e = {0};
	struct ds *ds;

	if (!size)
		return 0;
	flags = data[0] & 1 ? DS_OPEN_LAST_READABLE : 0;
	p++;
	left--;
	snprintf(dir, sizeof(dir), "%s/svrfuzzst.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(cfgdir, sizeof(cfgdir), "%s/config", dir);
	snprintf(hist, sizeof(hist), "%s/config/history", dir);
	if (mkdir(cfgdir, 0700) < 0 || mkdir(hist, 0700) < 0)
		abort();
	put(hist, "00000001.meta", (const uint8_t *)good_meta, strlen(good_meta));
	put(hist, "00000001.json", (const uint8_t *)good_cfg, strlen(good_cfg));
	n = part(&p, &left);
	put(hist, "00000002.meta", p, n);
	p += n + (n < left);
	left -= n + (n < left);
	n = part(&p, &left);
	put(hist, "00000002.json", p, n);
	p += n + (n < left);
	left -= n + (n < left);
	put(cfgdir, "confirm.json", p, left);

	ds = ds_open_flags(SOURCE_YANG_DIR, dir, 1000, flags, &e);
	if (!ds && (flags & DS_OPEN_LAST_READABLE) && errno == EBADMSG)
		__builtin_trap(); /* told to run the last readable commit, and refused */
	if (ds) {
		const struct ds_commit *h;
		size_t nh = ds_history(ds, &h);

		/* running is a commit in the history (or none), the newest one */
		if (nh && h[0].number != 1 && h[0].number != 2 && h[0].number != 3)
			__builtin_trap();
		if (ds_unreadable(ds) && !(flags & DS_OPEN_LAST_READABLE))
			__builtin_trap();
	}
	ds_close(ds);
	ds_errs_free(&e);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
