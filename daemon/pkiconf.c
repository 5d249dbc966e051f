/* The certificates of the configuration (see pkiconf.h). */
#include "config.h"

#include <libyang/libyang.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datastore.h"
#include "identity.h"
#include "log.h"
#include "model.h"
#include "pkiconf.h"
#include "pki.h"
#include "strbuf.h"

char *pkiconf_read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && sb.len < (16u << 20))
		strbuf_addn(&sb, buf, n);
	fclose(f);
	return strbuf_steal(&sb);
}

static bool warn_mode(const struct lyd_node *n)
{
	const char *mode = model_leaf(n, "validation-mode");

	return mode && strcmp(mode, "warn") == 0;
}

void pkiconf_check_cas(const struct lyd_node *auth, struct ds_errs *e)
{
	MODEL_FOR_CHILD(auth, "trusted-ca-certificate", ca)
	{
		const char *content = model_leaf(ca, "content");
		char words[512], why[256];

		snprintf(words, sizeof(words), "authority trusted-ca-certificate %s content",
			 model_leaf(ca, "name"));
		if (content && pki_check_ca_pem(content, why, sizeof(why)) < 0)
			ds_errs_add(e, warn_mode(ca), words, "%s", why);
	}
}

/* One configured client-certificate, loaded; NULL with err set. */
static struct pki_identity *load_client_cert(const struct lyd_node *cc, const char *state_dir,
					     char *err, size_t errlen)
{
	const char *file = model_leaf(cc, "file") ?: "";
	char path[4096];

	if (file[0] == '/' || !state_dir)
		snprintf(path, sizeof(path), "%s", file);
	else
		snprintf(path, sizeof(path), "%s/%s", state_dir, file);
	return identity_load(path, path, err, errlen);
}

/* What is wrong with a loaded identity for pcn (NULL: nothing). */
static const char *flaw_of(const struct pki_identity *id, const char *pcn, int64_t now_s)
{
	if (!pki_identity_names(id, pcn))
		return "does not name";
	if (pki_identity_not_after(id) <= now_s)
		return "is expired";
	return NULL;
}

struct pki_identity *pkiconf_client_identity(const struct lyd_node *auth, const char *state_dir,
					     const char *pcn, int64_t now_s, char **problem,
					     struct ds_errs *e)
{
	struct pki_identity *fallback = NULL;
	struct strbuf why = STRBUF_INIT;

	*problem = NULL;
	MODEL_FOR_CHILD(auth, "client-certificate", cc)
	{
		const char *name = model_leaf(cc, "name") ?: "?", *bad;
		bool warn = warn_mode(cc);
		char err[256], words[512];
		struct pki_identity *id = load_client_cert(cc, state_dir, err, sizeof(err));

		if (!id) {
			snprintf(words, sizeof(words), "authority client-certificate %s file",
				 name);
			if (e)
				ds_errs_add(e, warn, words, "%s", err);
			strbuf_addf(&why, "%s%s: %s", why.len ? "; " : "", name, err);
			continue;
		}
		if (!(bad = flaw_of(id, pcn, now_s))) {
			pki_identity_free(fallback);
			strbuf_free(&why);
			return id;
		}
		strbuf_addf(&why, "%s%s %s%s%s - %s", why.len ? "; " : "", name, bad,
			    strcmp(bad, "does not name") == 0 ? " " : "",
			    strcmp(bad, "does not name") == 0 ? pcn : "",
			    warn && !fallback ? "presented under validation-mode warn"
					      : "not used (validation-mode strict)");
		if (warn && !fallback)
			fallback = id;
		else
			pki_identity_free(id);
	}
	*problem = why.len ? strbuf_steal(&why) : NULL;
	strbuf_free(&why);
	return fallback;
}

struct pki_trust *pkiconf_trust(const struct lyd_node *auth, const char *conductor_crl, char **text,
				char **problem)
{
	char *own = conductor_crl ? pkiconf_read_text(conductor_crl) : NULL;
	struct pki_trust *t = pki_trust_new();
	struct strbuf all = STRBUF_INIT, why = STRBUF_INIT;
	char err[256];

	*problem = NULL;
	MODEL_FOR_CHILD(auth, "trusted-ca-certificate", ca)
	{
		const char *content = model_leaf(ca, "content");

		if (t && content && pki_trust_add_ca_pem(t, content, err, sizeof(err)) < 0)
			log_warnx("trusted-ca-certificate %s: %s", model_leaf(ca, "name"), err);
	}
	MODEL_FOR_CHILD(auth, "certificate-revocation-list", crl)
	{
		const char *url = model_leaf(crl, "url") ?: "?";
		bool file = strncmp(url, "file://", 7) == 0;
		char *pem = file ? pkiconf_read_text(url + 7) : NULL;

		if (!pem || !t || pki_trust_add_crl_pem(t, pem, err, sizeof(err)) < 0)
			strbuf_addf(&why, "%s%s cannot be read%s", why.len ? "; " : "", url,
				    !file  ? " (only file:// URLs are supported)"
				    : !pem ? ""
					   : ": not a PEM revocation list");
		strbuf_addf(&all, "%s %s\n", url, pem ? pem : "");
		free(pem);
	}
	/* the conductor's, when this node enrolled and it sent one */
	if (own && t && pki_trust_add_crl_pem(t, own, err, sizeof(err)) < 0)
		strbuf_addf(&why, "%sthe conductor's revocation list cannot be read: %s",
			    why.len ? "; " : "", err);
	if (own)
		strbuf_addf(&all, "conductor %s\n", own);
	free(own);
	if (why.len) {
		pki_trust_set_crl_unavailable(t, true);
		*problem = strbuf_steal(&why);
	}
	strbuf_free(&why);
	*text = strbuf_steal(&all);
	return t;
}
