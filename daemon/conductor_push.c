/* The conductor's commit, pushed to every router that has called home
 * (doc/conductor.md):
 *
 * 1. prepare (the conductor's commit is not made yet): each router gets
 *    its part of the authority in its candidate (edit-config, the
 *    authority replaced: conductor_parts.c), validates it (distributed validation) and commits it
 *    confirmed.  One router that refuses, at any step, makes the commit
 *    fail with that router's words: the others cancel (cancel-commit, or
 *    discard-changes), so nothing changes anywhere.  A commit check stops
 *    after validate and discards.
 * 2. apply (the conductor's commit is made): each router confirms, and
 *    the conductor records on it which commit it now runs (the
 *    record-conductor-version RPC: a conductor that restarts does not push
 *    again what a router already runs).  One that cannot (gone meanwhile)
 *    rolls itself back at the confirm timeout, and is out of sync until
 *    it calls home again.
 * 3. abort (a later subsystem of the conductor refused): each cancels.
 *
 * A router that calls home behind the conductor gets the authority as it
 * is then (sync), so one that was away at a commit catches up.  Routers are worked on in
 * parallel, by up to PUSH_WORKERS threads; the accepting thread stands
 * still meanwhile (the sessions are the push's). */
#include "config.h"

#include <libyang/libyang.h>
#include <nc_client.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conductor.h"
#include "conductor_int.h"
#include "json.h"
#include "log.h"
#include "pki_ca.h"

#define PUSH_WORKERS 16
#define PUSH_WAIT_MS 20000
#define CONFIRM_S    120 /* a router rolls back by itself after this */

/* The message of an rpc-error in a reply envelope (opaque nodes); true
 * when its app tag says the router is in local override. */
static bool reply_error(const struct lyd_node *envp, char *out, size_t len)
{
	const struct lyd_node *e, *c;
	bool override = false;

	snprintf(out, len, "the operation failed");
	LY_LIST_FOR(lyd_child(envp), e)
	{
		if (strcmp(LYD_NAME(e), "rpc-error"))
			continue;
		LY_LIST_FOR(lyd_child(e), c)
		{
			const char *v = c->schema ? NULL : ((const struct lyd_node_opaq *)c)->value;

			if (v && !strcmp(LYD_NAME(c), "error-message"))
				snprintf(out, len, "%s", v);
			else if (v && !strcmp(LYD_NAME(c), "error-app-tag"))
				override = !strcmp(v, "local-override");
		}
		break;
	}
	return override;
}

/* Send rpc (taken) on s and wait for <ok/>: 0, or -1 with err (-2: the
 * router is in local override). */
static int call(struct nc_session *s, struct nc_rpc *rpc, char *err, size_t len)
{
	struct lyd_node *envp = NULL, *op = NULL;
	uint64_t id;
	int rc = -1;

	if (!rpc) {
		snprintf(err, len, "out of memory");
		return -1;
	}
	pthread_rwlock_rdlock(&conductor_nc_lock);
	if (nc_send_rpc(s, rpc, PUSH_WAIT_MS, &id) != NC_MSG_RPC) {
		snprintf(err, len, "the router cannot be reached");
	} else if (nc_recv_reply(s, rpc, id, PUSH_WAIT_MS, &envp, &op) != NC_MSG_REPLY) {
		snprintf(err, len, "the router did not answer");
	} else if (envp && lyd_child(envp) && !strcmp(LYD_NAME(lyd_child(envp)), "rpc-error")) {
		rc = reply_error(envp, err, len) ? -2 : -1;
	} else {
		rc = 0;
	}
	lyd_free_all(envp);
	lyd_free_all(op);
	pthread_rwlock_unlock(&conductor_nc_lock);
	nc_rpc_free(rpc);
	return rc;
}

/* Record on the router which of the conductor's commits it runs. */
static int mark(struct asset *a, uint32_t version, char *err, size_t len)
{
	char *xml = NULL;

	if (asprintf(&xml,
		     "<record-conductor-version xmlns=\"urn:opensvr:yang:opensvr\">"
		     "<version>%u</version></record-conductor-version>",
		     version) < 0) {
		snprintf(err, len, "out of memory");
		return -1;
	}
	return call(a->s, nc_rpc_act_generic_xml(xml, NC_PARAMTYPE_FREE), err, len);
}

/* Take back what a prepare left on a. */
static void undo(struct asset *a)
{
	char err[512];

	if (a->pending == PENDING_CONFIRM)
		call(a->s, nc_rpc_cancel(NULL, NC_PARAMTYPE_CONST), err, sizeof(err));
	if (a->pending != PENDING_NONE)
		call(a->s, nc_rpc_discard(), err, sizeof(err));
	a->pending = PENDING_NONE;
}

/* a does not take the change (local override, or a best-effort commit it
 * refused): out of sync, and why. */
static void skip(struct push *p, struct asset *a, const char *why)
{
	snprintf(a->refused, sizeof(a->refused), "%s", why);
	pthread_mutex_lock(&p->mu);
	if (!p->skipped)
		p->skipped = json_new_array();
	{
		struct json *it = json_new_object();

		json_set(it, "router", json_new_str(a->router));
		json_set(it, "reason", json_new_str(why));
		json_append(p->skipped, it);
	}
	pthread_mutex_unlock(&p->mu);
}

/* One router's part of a step. */
static void step(struct push *p, struct asset *a)
{
	char err[512] = "";
	char *xml;
	int rc = 0;

	switch (p->step) {
	case PUSH_PREPARE:
		a->refused[0] = '\0';
		if (a->override) {
			skip(p, a, "local override: the change is held aside");
			return;
		}
		if (!(xml = cparts_xml(p->parts, a->router)))
			return; /* deleted from the authority: revoked, let go */
		rc = call(a->s,
			  nc_rpc_edit(NC_DATASTORE_CANDIDATE, NC_RPC_EDIT_DFLTOP_MERGE,
				      NC_RPC_EDIT_TESTOPT_UNKNOWN, NC_RPC_EDIT_ERROPT_UNKNOWN, xml,
				      NC_PARAMTYPE_FREE),
			  err, sizeof(err));
		if (rc == 0) { /* from here on, the candidate holds it: undo discards */
			a->pending = PENDING_EDIT;
			rc = call(a->s,
				  nc_rpc_validate(NC_DATASTORE_CANDIDATE, NULL, NC_PARAMTYPE_CONST),
				  err, sizeof(err));
		}
		if (rc == 0 && !p->check_only) {
			rc = call(a->s, nc_rpc_commit(1, CONFIRM_S, NULL, NULL, NC_PARAMTYPE_CONST),
				  err, sizeof(err));
			if (rc == 0)
				a->pending = PENDING_CONFIRM;
		}
		if (rc == -2 || (rc < 0 && p->best_effort)) {
			/* held aside, or left out of sync: this router alone */
			a->override = rc == -2;
			undo(a);
			skip(p, a, err);
			return;
		}
		break;
	case PUSH_CONFIRM:
		if (a->pending == PENDING_CONFIRM)
			rc = call(a->s, nc_rpc_commit(0, 0, NULL, NULL, NC_PARAMTYPE_CONST), err,
				  sizeof(err));
		if (rc == 0 && a->pending == PENDING_CONFIRM) {
			a->version = p->version;
			rc = mark(a, p->version, err, sizeof(err));
		}
		a->pending = PENDING_NONE;
		if (rc == 0 && p->crl && a->crl_gen != p->crl_gen &&
		    (rc = conductor_send_crl(a, p->crl)) == 0)
			a->crl_gen = p->crl_gen;
		break;
	case PUSH_CANCEL:
		undo(a);
		break;
	}
	if (rc < 0) {
		pthread_mutex_lock(&p->mu);
		if (!p->failed_router[0] || p->step != PUSH_PREPARE) {
			snprintf(p->failed_router, sizeof(p->failed_router), "%s", a->router);
			snprintf(p->failed_msg, sizeof(p->failed_msg), "%s", err);
		}
		p->failures++;
		pthread_mutex_unlock(&p->mu);
	}
}

static void *worker(void *arg)
{
	struct push *p = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&p->mu);
		i = p->next++;
		pthread_mutex_unlock(&p->mu);
		if (i >= p->n)
			return NULL;
		step(p, p->v[i]);
	}
}

/* Run p's step on every router, in parallel. */
static void run_step(struct push *p, enum push_step what)
{
	pthread_t t[PUSH_WORKERS];
	size_t k = p->n < PUSH_WORKERS ? p->n : PUSH_WORKERS, started = 0;

	p->step = what;
	p->next = 0;
	p->failures = 0;
	for (size_t i = 0; i < k; i++)
		if (pthread_create(&t[i], NULL, worker, p) == 0)
			started++;
	if (!started)
		worker(p);
	for (size_t i = 0; i < started; i++)
		pthread_join(t[i], NULL);
}

int conductor_push(struct conductor_ch *ch, enum push_step what, const struct lyd_node *tree,
		   uint32_t version, unsigned flags, struct json **skipped, char *err,
		   size_t errlen)
{
	bool check_only = flags & PUSH_CHECK;
	struct push p = {.step = what,
			 .version = version,
			 .check_only = check_only,
			 .best_effort = flags & PUSH_BEST_EFFORT};
	int rc = 0;

	if (skipped)
		*skipped = NULL;

	pthread_mutex_init(&p.mu, NULL);
	if (ch_hold(ch, &p) < 0) { /* no router has called: nothing to do */
		pthread_mutex_destroy(&p.mu);
		return 0;
	}
	if (what == PUSH_PREPARE && !(p.parts = cparts_build(tree, ch_ca_pem(ch)))) {
		snprintf(err, errlen, "the configuration cannot be written for the routers");
		rc = -1;
	} else {
		if (what == PUSH_CONFIRM)
			p.crl = ch_crl(ch, &p.crl_gen);
		run_step(&p, what);
		if (what == PUSH_PREPARE && p.failures) {
			snprintf(err, errlen, "router %s refused the change: %s", p.failed_router,
				 p.failed_msg);
			run_step(&p, PUSH_CANCEL);
			rc = -1;
		} else if (what == PUSH_PREPARE && check_only) {
			run_step(&p, PUSH_CANCEL);
		} else if (what == PUSH_CONFIRM && p.failures) {
			log_warnx("conductor: router %s did not confirm the commit (%s): it rolls "
				  "back, out of sync until it calls home again",
				  p.failed_router, p.failed_msg);
		}
	}
	if (skipped && rc == 0)
		*skipped = p.skipped;
	else
		json_free(p.skipped);
	free(p.crl);
	ch_release(ch, &p, what == PUSH_PREPARE && rc == 0 && !check_only); /* keeps its parts */
	cparts_free(p.parts);
	pthread_mutex_destroy(&p.mu);
	return rc;
}

/* The steps of a catch-up, as a push's: edit, commit confirmed, confirm.
 * A catch-up that cuts the router off from the conductor rolls back by
 * itself.  0, -2 (local override) or -1, with err. */
static int sync_steps(struct asset *a, char *xml, char *err, size_t len)
{
	int e;

	a->pending = PENDING_NONE;
	e = call(a->s,
		 nc_rpc_edit(NC_DATASTORE_CANDIDATE, NC_RPC_EDIT_DFLTOP_MERGE,
			     NC_RPC_EDIT_TESTOPT_UNKNOWN, NC_RPC_EDIT_ERROPT_UNKNOWN, xml,
			     NC_PARAMTYPE_FREE),
		 err, len);
	if (e < 0)
		return e;
	a->pending = PENDING_EDIT;
	if ((e = call(a->s, nc_rpc_commit(1, CONFIRM_S, NULL, NULL, NC_PARAMTYPE_CONST), err,
		      len)) < 0)
		return e;
	a->pending = PENDING_CONFIRM;
	if ((e = call(a->s, nc_rpc_commit(0, 0, NULL, NULL, NC_PARAMTYPE_CONST), err, len)) < 0)
		return e;
	a->pending = PENDING_NONE;
	return 0;
}

int conductor_sync(struct asset *a, const struct cparts *parts, uint32_t version)
{
	char *xml = cparts_xml(parts, a->router), err[512];
	int e;

	if (!xml) {
		log_warnx("conductor: router %s has no part in the authority", a->router);
		return -1;
	}
	e = sync_steps(a, xml, err, sizeof(err));
	if (e == 0 && (e = mark(a, version, err, sizeof(err))) == 0) {
		a->version = version;
		a->refused[0] = '\0';
		return 0;
	}
	undo(a);
	if (e == -2) { /* held aside: the router's operator's call */
		a->override = true;
		return -2;
	}
	snprintf(a->refused, sizeof(a->refused), "%s", err);
	log_warnx("conductor: router %s could not take the configuration: %s", a->router, err);
	return -1;
}

int conductor_send_crl(struct asset *a, const char *crl)
{
	char *xml = NULL, err[512];
	int rc = -1;

	if (asprintf(&xml,
		     "<install-revocation-list xmlns=\"urn:opensvr:yang:opensvr\"><content>%s"
		     "</content></install-revocation-list>",
		     crl) >= 0 &&
	    (rc = call(a->s, nc_rpc_act_generic_xml(xml, NC_PARAMTYPE_CONST), err, sizeof(err))) <
		    0)
		log_warnx("conductor: router %s did not take the revocation list: %s", a->router,
			  err);
	free(xml);
	return rc;
}

/* The text of leaf in an RPC reply's output (opaque or not), malloc'd. */
static char *output_leaf(const struct lyd_node *op, const char *leaf)
{
	const struct lyd_node *c;

	LY_LIST_FOR(lyd_child(op), c)
	if (!strcmp(LYD_NAME(c), leaf))
		return strdup(lyd_get_value(c) ?: "");
	return NULL;
}

/* Send the operation xml and take leaf of its output: malloc'd, or NULL
 * with err. */
static char *ask_output(struct nc_session *s, const char *xml, const char *leaf, char *err,
			size_t len)
{
	struct nc_rpc *rpc = nc_rpc_act_generic_xml(xml, NC_PARAMTYPE_CONST);
	struct lyd_node *envp = NULL, *op = NULL;
	char *out = NULL;
	uint64_t id;

	pthread_rwlock_rdlock(&conductor_nc_lock);
	if (!rpc || nc_send_rpc(s, rpc, PUSH_WAIT_MS, &id) != NC_MSG_RPC)
		snprintf(err, len, "the router cannot be reached");
	else if (nc_recv_reply(s, rpc, id, PUSH_WAIT_MS, &envp, &op) != NC_MSG_REPLY)
		snprintf(err, len, "the router did not answer");
	else if (envp && lyd_child(envp) && !strcmp(LYD_NAME(lyd_child(envp)), "rpc-error"))
		reply_error(envp, err, len);
	else if (!(out = output_leaf(op, leaf)))
		snprintf(err, len, "the router's answer has no %s", leaf);
	lyd_free_all(envp);
	lyd_free_all(op);
	pthread_rwlock_unlock(&conductor_nc_lock);
	nc_rpc_free(rpc);
	return out;
}

int conductor_renew(struct asset *a, const char *pcn, conductor_issue_fn issue, void *arg,
		    char *err, size_t errlen)
{
	char *csr, *cert = NULL, *xml = NULL, *serial = NULL;
	int rc = -1;

	csr = ask_output(a->s, "<renew-certificate-request xmlns=\"urn:opensvr:yang:opensvr\"/>",
			 "certificate-request", err, errlen);
	if (csr && (cert = issue(arg, a->router, pcn, csr, err, errlen)) &&
	    asprintf(&xml,
		     "<renew-certificate-install xmlns=\"urn:opensvr:yang:opensvr\">"
		     "<certificate>%s</certificate></renew-certificate-install>",
		     cert) >= 0 &&
	    (serial = ask_output(a->s, xml, "serial", err, errlen)) &&
	    pki_cert_dates(cert, &a->not_before, &a->not_after) == 0) {
		log_info("conductor: router %s has a new certificate (serial %s)", a->router,
			 serial);
		rc = 0;
	}
	free(csr);
	free(cert);
	free(xml);
	free(serial);
	return rc;
}
