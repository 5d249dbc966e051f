/* The opensvr model's own rules; see model.h. */
#include "config.h"

#include <inttypes.h>
#include <libyang/libyang.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ds_errs.h"
#include "model.h"
#include "strbuf.h"

const char *model_rephrase(const char *msg)
{
	static const struct {
		const char *prefix, *say;
	} map[] = {
		{"Invalid union value", "value is not valid here"},
		{"Duplicate instance of", "already configured"},
	};

	for (size_t i = 0; msg && i < sizeof(map) / sizeof(map[0]); i++)
		if (strncmp(msg, map[i].prefix, strlen(map[i].prefix)) == 0)
			return map[i].say;
	return msg ? msg : "invalid";
}

const struct lysc_node *model_schema_of(const struct ly_ctx *ctx, const char *path)
{
	char buf[4096];
	size_t o = 0;
	int depth = 0;
	const struct lysc_node *sn;

	for (const char *p = path; *p && o + 1 < sizeof(buf); p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']')
			depth--;
		else if (!depth)
			buf[o++] = *p;
	}
	buf[o] = '\0';
	sn = lys_find_path(ctx, NULL, buf, 0);
	ly_err_clean((struct ly_ctx *)ctx, NULL);
	return sn;
}

static void describe_range(const struct lysc_range *r, bool is_signed, struct strbuf *sb)
{
	LY_ARRAY_COUNT_TYPE i;

	LY_ARRAY_FOR(r->parts, i)
	{
		if (i)
			strbuf_adds(sb, ", ");
		if (is_signed) {
			if (r->parts[i].min_64 == r->parts[i].max_64)
				strbuf_addf(sb, "%" PRId64, r->parts[i].min_64);
			else
				strbuf_addf(sb, "%" PRId64 "..%" PRId64, r->parts[i].min_64,
					    r->parts[i].max_64);
		} else {
			if (r->parts[i].min_u64 == r->parts[i].max_u64)
				strbuf_addf(sb, "%" PRIu64, r->parts[i].min_u64);
			else
				strbuf_addf(sb, "%" PRIu64 "..%" PRIu64, r->parts[i].min_u64,
					    r->parts[i].max_u64);
		}
	}
}

static const char *pattern_kind(const struct lysc_type_str *s)
{
	LY_ARRAY_COUNT_TYPE i;

	LY_ARRAY_FOR(s->patterns, i)
	{
		const char *x = s->patterns[i]->expr;

		if (s->patterns[i]->emsg)
			return s->patterns[i]->emsg;
		/* IPv6 patterns embed IPv4 ones: look for hex digits first */
		if (strstr(x, "[0-9a-fA-F]"))
			return strchr(x, '/') ? "an IPv6 prefix (X:X::X/LEN)" : "an IPv6 address";
		if (strstr(x, "25[0-5]"))
			return strchr(x, '/') ? "an IPv4 prefix (A.B.C.D/LEN)" : "an IPv4 address";
	}
	return NULL;
}

void model_describe_type(const struct lysc_type *t, struct strbuf *sb)
{
	LY_ARRAY_COUNT_TYPE i;

	switch (t->basetype) {
	case LY_TYPE_UINT8:
	case LY_TYPE_UINT16:
	case LY_TYPE_UINT32:
	case LY_TYPE_UINT64:
	case LY_TYPE_INT8:
	case LY_TYPE_INT16:
	case LY_TYPE_INT32:
	case LY_TYPE_INT64: {
		const struct lysc_type_num *n = (const struct lysc_type_num *)t;

		if (n->range)
			describe_range(n->range, t->basetype >= LY_TYPE_INT8, sb);
		else
			strbuf_adds(sb, "a whole number");
		break;
	}
	case LY_TYPE_ENUM: {
		const struct lysc_type_enum *en = (const struct lysc_type_enum *)t;

		LY_ARRAY_FOR(en->enums, i)
		strbuf_addf(sb, "%s%s", i ? " | " : "", en->enums[i].name);
		break;
	}
	case LY_TYPE_BOOL:
		strbuf_adds(sb, "true | false");
		break;
	case LY_TYPE_UNION: {
		const struct lysc_type_union *u = (const struct lysc_type_union *)t;
		struct strbuf prev = STRBUF_INIT;

		LY_ARRAY_FOR(u->types, i)
		{
			struct strbuf one = STRBUF_INIT;

			model_describe_type(u->types[i], &one);
			/* ip-address is a union of IPv4 and IPv6 patterns */
			if (i && strcmp(strbuf_str(&one), strbuf_str(&prev)) == 0) {
				strbuf_free(&one);
				continue;
			}
			strbuf_addf(sb, "%s%s", i ? " or " : "", strbuf_str(&one));
			strbuf_free(&prev);
			prev = one;
		}
		strbuf_free(&prev);
		break;
	}
	case LY_TYPE_STRING: {
		const struct lysc_type_str *s = (const struct lysc_type_str *)t;
		const char *kind = pattern_kind(s);

		if (kind)
			strbuf_adds(sb, kind);
		else if (s->length) {
			strbuf_adds(sb, "text of ");
			describe_range(s->length, false, sb);
			strbuf_adds(sb, " characters");
		} else
			strbuf_adds(sb, "text");
		break;
	}
	case LY_TYPE_LEAFREF:
		strbuf_adds(sb, "the name of a configured entry");
		break;
	default:
		strbuf_adds(sb, "a valid value");
	}
}

/* "expected 1..720" reads well; a pattern's own message is a sentence. */
const char *model_expected_prefix(const char *description)
{
	return description[0] >= 'A' && description[0] <= 'Z' ? "" : "expected ";
}

static bool is_number(const char *v)
{
	if (*v == '-')
		v++;
	if (!*v)
		return false;
	for (; *v; v++)
		if (*v < '0' || *v > '9')
			return false;
	return true;
}

int model_check_value(const struct ly_ctx *ctx, const char *path, const char *value,
		      struct ds_errs *e)
{
	const struct lysc_node *sn = model_schema_of(ctx, path);
	const struct lysc_type *t;
	struct strbuf sb = STRBUF_INIT;
	char words[512];
	LY_ERR rc;

	for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
		if ((*c < 0x20 && *c != '\t' && *c != '\n' && *c != '\r') || *c == 0x7f) {
			ds_path_words(path, words, sizeof(words));
			ds_errs_add(e, false, words,
				    "the value contains the control character 0x%02x", *c);
			return -1;
		}
	}
	if (!sn || !(sn->nodetype & (LYS_LEAF | LYS_LEAFLIST)))
		return 0; /* libyang will say what is wrong with the path */
	t = ((const struct lysc_node_leaf *)sn)->type;
	rc = lyd_value_validate(ctx, sn, value, strlen(value), NULL, NULL, NULL);
	ly_err_clean((struct ly_ctx *)ctx, NULL);
	if (rc == LY_SUCCESS || rc == LY_EINCOMPLETE)
		return 0;
	ds_path_words(path, words, sizeof(words));
	model_describe_type(t, &sb);
	if ((t->basetype >= LY_TYPE_UINT8 && t->basetype <= LY_TYPE_INT64) && is_number(value))
		ds_errs_add(e, false, words, "%s is out of range %s", value, strbuf_str(&sb));
	else
		ds_errs_add(e, false, words, "'%s' is not valid: %s%s", value,
			    model_expected_prefix(strbuf_str(&sb)), strbuf_str(&sb));
	strbuf_free(&sb);
	return -1;
}

/* ---- tree helpers -------------------------------------------------------- */

const char *model_leaf(const struct lyd_node *n, const char *name)
{
	struct lyd_node *c;

	LY_LIST_FOR(lyd_child(n), c)
	if (c->schema && strcmp(c->schema->name, name) == 0 && c->schema->nodetype == LYS_LEAF)
		return lyd_get_value(c);
	return NULL;
}

const char *model_leaf_or_default(const struct ly_ctx *ctx, const struct lyd_node *parent,
				  const char *path)
{
	const char *name = strrchr(path, '/'), *v;
	const struct lysc_node *s;
	const struct lysc_node_leaf *leaf;

	if (name && (v = model_leaf(parent, name + 1)))
		return v;
	s = ctx ? lys_find_path(ctx, NULL, path, 0) : NULL;
	if (!s || s->nodetype != LYS_LEAF)
		return NULL;
	leaf = (const struct lysc_node_leaf *)s;
	return leaf->dflt ? lyd_value_get_canonical(ctx, leaf->dflt) : NULL;
}

void model_find_self(const struct lyd_node *tree, const char *router, const char *node,
		     const struct lyd_node **auth, const struct lyd_node **me,
		     const struct lyd_node **mynode)
{
	const struct lyd_node *n;

	*auth = *me = *mynode = NULL;
	LY_LIST_FOR(tree, n)
	if (n->schema && strcmp(n->schema->name, "authority") == 0)
		*auth = n;
	MODEL_FOR_CHILD(*auth, "router", r)
	if (strcmp(model_leaf(r, "name") ?: "", router) == 0)
		*me = r;
	MODEL_FOR_CHILD(*me, "node", nd)
	if (strcmp(model_leaf(nd, "name") ?: "", node) == 0)
		*mynode = nd;
}

static bool leaf_true(const struct lyd_node *n, const char *name)
{
	const char *v = model_leaf(n, name);

	return v && strcmp(v, "true") == 0;
}

static const struct lyd_node *authority(const struct lyd_node *tree)
{
	const struct lyd_node *n;

	LY_LIST_FOR(tree, n)
	if (n->schema && strcmp(n->schema->name, "authority") == 0)
		return n;
	return NULL;
}

/* The router called name: libyang's hash of the list's keys, not a walk
 * (a commit looks up every peer of every router). */
static const struct lyd_node *find_router(const struct lyd_node *auth, const char *name)
{
	const struct lysc_node *list;
	struct lyd_node *match = NULL;
	char pred[128];

	if (!auth || !name || strchr(name, '\'') ||
	    !(list = lys_find_child(auth->schema, auth->schema->module, "router", 0, LYS_LIST, 0)))
		return NULL;
	snprintf(pred, sizeof(pred), "[name='%s']", name);
	if (lyd_find_sibling_val(lyd_child(auth), list, pred, 0, &match) != LY_SUCCESS)
		return NULL;
	return match;
}

/* ---- generation ---------------------------------------------------------- */

static void drop_generated(struct lyd_node *parent, const char *list)
{
	struct lyd_node *c = lyd_child(parent), *next;

	for (; c; c = next) {
		next = c->next;
		if (c->schema && strcmp(c->schema->name, list) == 0 && leaf_true(c, "generated"))
			lyd_free_tree(c);
	}
}

static const char *topology(const struct lyd_node *nb)
{
	const char *t = model_leaf(nb, "topology");

	return t ? t : "mesh";
}

/* Every (network-interface ni, neighborhood nb) of router r. */
#define FOR_NEIGHBORHOOD(r, ni, nb)                                                                \
	MODEL_FOR_CHILD(r, "node", ni##_node)                                                      \
	MODEL_FOR_CHILD(ni##_node, "device-interface", ni##_di)                                    \
	MODEL_FOR_CHILD(ni##_di, "network-interface", ni)                                          \
	MODEL_FOR_CHILD(ni, "neighborhood", nb)

static bool has_configured(const struct lyd_node *parent, const char *list)
{
	MODEL_FOR_CHILD(parent, list, c)
	if (!leaf_true(c, "generated"))
		return true;
	return false;
}

static void add_generated_peer(const struct ly_ctx *ctx, struct lyd_node *r,
			       const struct lyd_node *s)
{
	const char *sname = model_leaf(s, "name"), *pcn = model_leaf(s, "peering-common-name");
	char path[512];
	struct lyd_node *p = NULL;

	snprintf(path, sizeof(path), "peer[name='%s']", sname);
	if (lyd_find_path(r, path, 0, &p) == LY_SUCCESS)
		return;
	ly_err_clean((struct ly_ctx *)ctx, NULL);
	if (lyd_new_list(r, NULL, "peer", 0, &p, sname) != LY_SUCCESS) {
		ly_err_clean((struct ly_ctx *)ctx, NULL);
		return;
	}
	lyd_new_term(p, NULL, "router-name", sname, 0, NULL);
	if (pcn)
		lyd_new_term(p, NULL, "peering-common-name", pcn, 0, NULL);
	lyd_new_term(p, NULL, "generated", "true", 0, NULL);
}

static void add_adjacencies(const struct ly_ctx *ctx, struct lyd_node *nb, bool nb_configured,
			    const struct lyd_node *peer_ni, const char *peer)
{
	/* Adjacencies the operator configured for this peer replace ours. */
	if (nb_configured) {
		MODEL_FOR_CHILD(nb, "adjacency", adj)
		{
			const char *ap = model_leaf(adj, "peer");

			if (ap && strcmp(ap, peer) == 0 && !leaf_true(adj, "generated"))
				return;
		}
	}
	MODEL_FOR_CHILD(peer_ni, "address", a)
	{
		struct lyd_node *adj = NULL;
		const char *ip = model_leaf(a, "ip-address");

		if (!ip || lyd_new_list(nb, NULL, "adjacency", 0, &adj, ip) != LY_SUCCESS) {
			ly_err_clean((struct ly_ctx *)ctx, NULL);
			continue;
		}
		lyd_new_term(adj, NULL, "peer", peer, 0, NULL);
		lyd_new_term(adj, NULL, "generated", "true", 0, NULL);
	}
}

/* One neighborhood membership: router r is in neighborhood nb on interface ni. */
struct member {
	struct lyd_node *r, *ni, *nb;
	const char *rname, *name;
	char topo;	    /* 'm'esh, 'h'ub, 's'poke */
	bool gen_peers;	    /* r has no configured peers */
	bool nb_configured; /* nb has configured adjacencies */
};

static int cmp_member(const void *a, const void *b)
{
	return strcmp(((const struct member *)a)->name, ((const struct member *)b)->name);
}

static bool members_peer(char a, char b)
{
	if (a == 'm')
		return true;
	if (a == 'h')
		return b == 's' || b == 'm';
	return b == 'h' || b == 'm';
}

/* Gather every membership once, sort by neighborhood name, and pair members
 * inside each neighborhood only: linear in routers plus the pairs that
 * really peer, not routers squared times interfaces. */
void model_generate(const struct ly_ctx *ctx, struct lyd_node **tree)
{
	struct lyd_node *auth = (struct lyd_node *)authority(*tree);
	struct member *m = NULL;
	size_t n = 0, cap = 0;

	if (!auth)
		return;
	MODEL_FOR_CHILD(auth, "router", r)
	{
		bool gen_peers;

		drop_generated(r, "peer");
		gen_peers = !has_configured(r, "peer");
		FOR_NEIGHBORHOOD(r, ni, nb)
		{
			drop_generated(nb, "adjacency");
			if (n == cap) {
				struct member *nm =
					realloc(m, (cap = cap ? cap * 2 : 64) * sizeof(*m));

				if (!nm)
					goto out;
				m = nm;
			}
			m[n].r = r;
			m[n].ni = ni;
			m[n].nb = nb;
			m[n].rname = model_leaf(r, "name");
			m[n].name = model_leaf(nb, "name");
			m[n].topo = topology(nb)[0];
			m[n].gen_peers = gen_peers;
			m[n].nb_configured = has_configured(nb, "adjacency");
			if (m[n].rname && m[n].name)
				n++;
		}
	}
	if (n)
		qsort(m, n, sizeof(*m), cmp_member);
	for (size_t lo = 0, hi; lo < n; lo = hi) {
		for (hi = lo + 1; hi < n && strcmp(m[hi].name, m[lo].name) == 0; hi++)
			;
		for (size_t i = lo; i < hi; i++) {
			for (size_t j = lo; j < hi; j++) {
				if (m[i].r == m[j].r || !members_peer(m[i].topo, m[j].topo))
					continue;
				if (m[i].gen_peers)
					add_generated_peer(ctx, m[i].r, m[j].r);
				add_adjacencies(ctx, m[i].nb, m[i].nb_configured, m[j].ni,
						m[j].rname);
			}
		}
	}
out:
	free(m);
}

/* ---- validation ---------------------------------------------------------- */

struct pcn_ref {
	const char *pcn, *name;
	size_t idx;
};

static int cmp_pcn_ref(const void *a, const void *b)
{
	const struct pcn_ref *x = a, *y = b;
	int c = strcmp(x->pcn, y->pcn);

	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* A pair of routers with one peering-common-name: r (the later) and s. */
struct pcn_dup {
	const struct pcn_ref *r, *s;
};

static int cmp_pcn_dup(const void *a, const void *b)
{
	const struct pcn_dup *x = a, *y = b;

	if (x->r->idx != y->r->idx)
		return (x->r->idx > y->r->idx) - (x->r->idx < y->r->idx);
	return (x->s->idx > y->s->idx) - (x->s->idx < y->s->idx);
}

/* Sorted by name rather than each router against every other: a
 * 5,000-router authority is 12.5 million comparisons the other way.
 * Errors come in the routers' order, each against every earlier router of
 * the same name. */
static void check_pcn_unique(const struct lyd_node *auth, struct ds_errs *e)
{
	struct pcn_ref *v = NULL;
	struct pcn_dup *dups = NULL;
	size_t n = 0, cap = 0, nd = 0, capd = 0;

	MODEL_FOR_CHILD(auth, "router", r)
	{
		const char *pcn = model_leaf(r, "peering-common-name");

		if (pcn && n == cap) {
			struct pcn_ref *nv = realloc(v, (cap = cap ? 2 * cap : 64) * sizeof(*v));

			if (!nv)
				goto out;
			v = nv;
		}
		if (pcn)
			v[n] = (struct pcn_ref){pcn, model_leaf(r, "name"), n}, n++;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_pcn_ref);
	for (size_t lo = 0, hi; lo < n; lo = hi) {
		for (hi = lo + 1; hi < n && !strcmp(v[hi].pcn, v[lo].pcn); hi++)
			;
		for (size_t i = lo + 1; i < hi; i++)
			for (size_t j = lo; j < i; j++) {
				if (nd == capd) {
					struct pcn_dup *nd2 =
						realloc(dups, (capd = capd ? 2 * capd : 16) *
								      sizeof(*dups));

					if (!nd2)
						goto out;
					dups = nd2;
				}
				dups[nd++] = (struct pcn_dup){&v[i], &v[j]};
			}
	}
	if (nd)
		qsort(dups, nd, sizeof(*dups), cmp_pcn_dup);
	for (size_t i = 0; i < nd; i++) {
		char words[300];

		snprintf(words, sizeof(words), "authority router %s peering-common-name",
			 dups[i].r->name);
		ds_errs_add(e, false, words,
			    "'%s' is already the peering-common-name of router %s; "
			    "each router needs its own",
			    dups[i].r->pcn, dups[i].s->name);
	}
out:
	free(v);
	free(dups);
}

static void check_peers(const struct lyd_node *auth, bool eskm, struct ds_errs *e)
{
	char words[512];

	MODEL_FOR_CHILD(auth, "router", r)
	{
		const char *rname = model_leaf(r, "name");
		bool peers = false;

		MODEL_FOR_CHILD(r, "peer", p)
		{
			const char *target = model_leaf(p, "router-name");
			const struct lyd_node *s;
			const char *ppcn = model_leaf(p, "peering-common-name");

			peers = true;
			if (!target)
				target = model_leaf(p, "name");
			s = find_router(auth, target);
			snprintf(words, sizeof(words), "authority router %s peer %s", rname,
				 model_leaf(p, "name"));
			if (!s) {
				ds_errs_add(e, false, words, "router '%s' is not configured",
					    target);
				continue;
			}
			if (ppcn && model_leaf(s, "peering-common-name") &&
			    strcmp(ppcn, model_leaf(s, "peering-common-name")) != 0)
				ds_errs_add(e, false, words,
					    "peering-common-name '%s' does not match router %s's "
					    "peering-common-name '%s'",
					    ppcn, target, model_leaf(s, "peering-common-name"));
			if (eskm && !ppcn && !model_leaf(s, "peering-common-name"))
				ds_errs_add(e, false, words,
					    "peering-common-name is required when "
					    "enhanced-security-key-management is true");
		}
		if (eskm && peers && !model_leaf(r, "peering-common-name")) {
			snprintf(words, sizeof(words), "authority router %s peering-common-name",
				 rname);
			ds_errs_add(e, false, words,
				    "required: enhanced-security-key-management is true and router "
				    "%s has peers",
				    rname);
		}
		FOR_NEIGHBORHOOD(r, ni, nb)
		{
			MODEL_FOR_CHILD(nb, "adjacency", adj)
			{
				const char *ap = model_leaf(adj, "peer");

				if (ap && !find_router(auth, ap)) {
					snprintf(words, sizeof(words),
						 "authority router %s ... neighborhood %s "
						 "adjacency %s peer",
						 rname, model_leaf(nb, "name"),
						 model_leaf(adj, "ip-address"));
					ds_errs_add(e, false, words,
						    "router '%s' is not configured", ap);
				}
			}
		}
		MODEL_FOR_CHILD(r, "service-route", sr)
		{
			const char *sp = model_leaf(sr, "peer");

			if (sp && !find_router(auth, sp)) {
				snprintf(words, sizeof(words),
					 "authority router %s service-route %s peer", rname,
					 model_leaf(sr, "name"));
				ds_errs_add(e, false, words, "router '%s' is not configured", sp);
			}
		}
	}
}

/* svrd reads revocation lists from local files only (daemon/peers.c): any
 * other scheme would be accepted and never fetched, which turns revocation
 * off without a word.  file://HOST/path is refused too: the host would be
 * read as the first folder of a relative path. */
static void check_crl_urls(const struct lyd_node *auth, struct ds_errs *e)
{
	MODEL_FOR_CHILD(auth, "certificate-revocation-list", crl)
	{
		const char *url = model_leaf(crl, "url");
		const char *colon = url ? strstr(url, "://") : NULL;
		char words[512];

		if (!url || strncmp(url, "file:///", 8) == 0)
			continue;
		snprintf(words, sizeof(words), "authority certificate-revocation-list %s url", url);
		if (colon && colon - url == 4 && strncmp(url, "file", 4) == 0)
			ds_errs_add(e, false, words,
				    "a file:// URL names an absolute path on this router: "
				    "file:///path/to/crl.pem (no host)");
		else
			ds_errs_add(e, false, words,
				    "the scheme '%.*s' is not supported: svrd reads revocation "
				    "lists from local files only; fetch the list to a file and use "
				    "file:///path/to/crl.pem",
				    colon ? (int)(colon - url) : (int)strlen(url), url);
	}
}

/* Both ends of a peering must run the same key exchange, and the engine
 * runs one algorithm per router: an override that differs from the
 * authority's would be accepted and ignored.  One that matches is kept so
 * existing configurations still load. */
static void check_kex_override(const struct lyd_node *auth, struct ds_errs *e)
{
	const char *alg = NULL;
	char words[512];

	MODEL_FOR_CHILD(auth, "security-key-management", skm)
	alg = model_leaf(skm, "key-exchange-algorithm");
	if (!alg)
		alg = "diffie-hellman";
	MODEL_FOR_CHILD(auth, "router", r)
	{
		const char *o = model_leaf(r, "key-exchange-algorithm-override");

		if (!o || strcmp(o, alg) == 0)
			continue;
		snprintf(words, sizeof(words),
			 "authority router %s key-exchange-algorithm-override",
			 model_leaf(r, "name"));
		ds_errs_add(e, false, words,
			    "'%s' differs from the authority's key-exchange-algorithm '%s': "
			    "per-router algorithms are not supported yet (both ends of a peering "
			    "must use the same algorithm); delete the override or change "
			    "security-key-management key-exchange-algorithm",
			    o, alg);
	}
}

void model_validate(const struct ly_ctx *ctx, const struct lyd_node *tree, struct ds_errs *e)
{
	const struct lyd_node *auth = authority(tree);
	bool eskm;

	(void)ctx;
	if (!auth)
		return;
	eskm = leaf_true(auth, "enhanced-security-key-management");
	check_pcn_unique(auth, e);
	check_peers(auth, eskm, e);
	check_crl_urls(auth, e);
	check_kex_override(auth, e);
}
