/* Node identity files: see identity.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "identity.h"
#include "pki.h"

/* Certificates and keys are a few kilobytes; a chain a few more. */
#define PEM_FILE_MAX (1u << 20)

/* Wipe and free a file's text (it may hold a key). */
static void free_text(char *text, size_t len)
{
	if (text) {
		crypto_wipe(text, len);
		free(text);
	}
}

/* buf (len bytes) in a buffer of twice its size; buf is wiped and freed. */
static char *grow(char *buf, size_t len, size_t *cap)
{
	char *more = *cap < PEM_FILE_MAX ? malloc(2 * *cap + 1) : NULL;

	if (more)
		memcpy(more, buf, len);
	free_text(buf, len);
	*cap *= 2;
	return more;
}

/* The text of a file, NUL-terminated (malloc'd; *lenp its length), or
 * NULL when it cannot be read or is PEM_FILE_MAX or longer. */
static char *read_text(const char *path, size_t *lenp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0, cap = 4096;
	char *buf = fd < 0 ? NULL : malloc(cap + 1);

	while (buf) {
		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free_text(buf, len);
			buf = NULL;
		} else if (n == 0) {
			buf[len] = '\0';
			*lenp = len;
			break;
		} else if ((len += (size_t)n) == cap) {
			buf = grow(buf, len, &cap);
		}
	}
	if (fd >= 0)
		close(fd);
	return buf;
}

struct pki_identity *identity_load(const char *cert_file, const char *key_file, char *err,
				   size_t errlen)
{
	size_t cert_len = 0, key_len = 0;
	char *cert = read_text(cert_file, &cert_len), *key;
	struct pki_identity *id;

	if (!cert) {
		snprintf(err, errlen, "cannot read the certificate %s", cert_file);
		return NULL;
	}
	key = read_text(key_file, &key_len);
	/* an unreadable key file is reported as a key that cannot be read */
	id = pki_identity_from_pem(cert, key, cert_file, key_file, err, errlen);
	free_text(cert, cert_len);
	free_text(key, key_len);
	return id;
}

int identity_write_text(const char *path, mode_t mode, const char *text)
{
	size_t len = strlen(text), off = 0;
	char tmp[4096];
	int fd, saved;

	errno = 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (off == len && fsync(fd) == 0 && close(fd) == 0) {
		fd = -1;
		if (rename(tmp, path) == 0)
			return 0;
	}
	saved = errno ? errno : EIO;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

/* Save id's certificate (and its key when with_key) in DIR's files. */
static int save(const struct pki_identity *id, const char *crt, const char *key, bool with_key)
{
	char *cert_pem = pki_identity_cert_pem(id), *key_pem = NULL;
	int rc = -1;

	errno = ENOMEM;
	if (!cert_pem)
		return -1;
	if (with_key && !(key_pem = pki_identity_key_pem(id)))
		goto out;
	/* the key first: a certificate never names a key that is not there */
	if ((!with_key || identity_write_text(key, 0600, key_pem) == 0) &&
	    identity_write_text(crt, 0644, cert_pem) == 0)
		rc = 0;
out:
	free_text(key_pem, key_pem ? strlen(key_pem) : 0);
	free(cert_pem);
	return rc;
}

/* A loaded self-signed identity near its end: the same key, a new
 * certificate.  When the new one cannot be made or saved the old one
 * stays (its alarm says it is expiring). */
static struct pki_identity *renew(struct pki_identity *id, const char *crt, const char *key,
				  const char *pcn, int64_t now_s, int days)
{
	char ignore[256];
	struct pki_identity *fresh =
		pki_identity_make(id, pcn, now_s, days, ignore, sizeof(ignore));

	if (!fresh || save(fresh, crt, key, false) < 0) {
		pki_identity_free(fresh);
		return id;
	}
	pki_identity_free(id);
	return fresh;
}

struct pki_identity *identity_open(const char *dir, const char *pcn, int64_t now_s, int days,
				   char *err, size_t errlen)
{
	char crt[4096], key[4096], ignore[256];
	struct pki_identity *id;

	snprintf(crt, sizeof(crt), "%s/node.crt", dir);
	snprintf(key, sizeof(key), "%s/node.key", dir);
	id = identity_load(crt, key, ignore, sizeof(ignore));
	if (id && pki_identity_self_signed(id) && !pki_identity_names(id, pcn)) {
		pki_identity_free(id); /* made for another peering name */
		id = NULL;
	}
	if (id && pki_identity_renew_due(id, now_s))
		id = renew(id, crt, key, pcn, now_s, days);
	if (id)
		return id;
	id = pki_identity_make(NULL, pcn, now_s, days, err, errlen);
	if (!id)
		return NULL;
	if (save(id, crt, key, true) < 0) {
		snprintf(err, errlen, "cannot save the node certificate in %s: %s", dir,
			 strerror(errno));
		pki_identity_free(id);
		return NULL;
	}
	return id;
}
