/* Persistent monotonic counters; see pcounter.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcounter.h"

#define MAGIC "opensvr-counter 1\n"

struct pcounter {
	char *path;
	uint64_t next, ceiling, step;
};

/* 1 and the ceiling, 0 when there is no file, -1 when it cannot be read. */
static int read_ceiling(const char *path, uint64_t *out, char *err, size_t errlen)
{
	char buf[128], *end;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf[n] = '\0';
	errno = 0;
	if (strncmp(buf, MAGIC, strlen(MAGIC)) != 0 || buf[strlen(MAGIC)] < '0' ||
	    buf[strlen(MAGIC)] > '9' || (*out = strtoull(buf + strlen(MAGIC), &end, 10), errno) ||
	    *end != '\n' || end[1] != '\0' || *out == 0) {
		snprintf(err, errlen,
			 "%s: not a counter file (it is kept: remove it only "
			 "knowing that its numbers start over)",
			 path);
		return -1;
	}
	return 1;
}

/* Write the ceiling: a temporary file, fsync, rename, fsync the folder. */
static int write_ceiling(const char *path, uint64_t ceiling)
{
	char tmp[4200], dir[4200], text[64];
	char *slash;
	int fd, len, rc = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	len = snprintf(text, sizeof(text), MAGIC "%" PRIu64 "\n", ceiling);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, text, (size_t)len) == len && fsync(fd) == 0)
		rc = 0;
	if (close(fd) < 0 || rc < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	fd = open(slash ? (*dir ? dir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

struct pcounter *pcounter_open(const char *path, uint64_t step, char *err, size_t errlen)
{
	struct pcounter *c;
	uint64_t ceiling = 1;
	int have = read_ceiling(path, &ceiling, err, errlen);

	if (have < 0)
		return NULL;
	if (step == 0 || ceiling > UINT64_MAX - step) {
		snprintf(err, errlen, "%s: the counter is exhausted", path);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path))) {
		free(c);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->step = step;
	c->next = ceiling;
	c->ceiling = ceiling + step;
	if (write_ceiling(path, c->ceiling) < 0) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		pcounter_close(c);
		return NULL;
	}
	return c;
}

int pcounter_reserve(struct pcounter *c, uint64_t n, uint64_t *first)
{
	uint64_t need;

	if (!c || n == 0 || c->next > UINT64_MAX - n)
		return -1;
	need = c->next + n;
	if (need > c->ceiling) {
		uint64_t ceiling = need > UINT64_MAX - c->step ? UINT64_MAX : need + c->step;

		if (write_ceiling(c->path, ceiling) < 0)
			return -1;
		c->ceiling = ceiling;
	}
	*first = c->next;
	c->next = need;
	return 0;
}

void pcounter_close(struct pcounter *c)
{
	if (!c)
		return;
	free(c->path);
	free(c);
}
