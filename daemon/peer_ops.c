/* Peer paths: the model RPCs they serve (registered with svrd) and what
 * the other subsystems and the management operations ask of them. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libyang/libyang.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alarms.h"
#include "conditions.h"
#include "bfd.h"
#include "datastore.h"
#include "event.h"
#include "identity.h"
#include "json.h"
#include "kex.h"
#include "log.h"
#include "model.h"
#include "pcounter.h"
#include "peerpkt.h"
#include "pki.h"
#include "pkiconf.h"
#include "skmconf.h"
#include "sock.h"
#include "svrd.h"
#include "strbuf.h"
#include "svrmeta.h"
#include "peers_int.h"

#define KM_OFF "enhanced security key management is not running on this node"

static int rpc_reload(void *arg, const struct json *input, struct json **out, struct ds_errs *e)
{
	(void)input;
	(void)out;
	if (peers_reload(arg) == 0)
		return 0;
	ds_errs_add(e, false, "reload-local-certificates", KM_OFF);
	return -1;
}

static int rpc_accept(void *arg, const struct json *input, struct json **out, struct ds_errs *e)
{
	const char *who = input ? json_get_str(input, "peer", NULL) : NULL;
	char fp[80] = "";

	if (!who || peers_accept_key(arg, who, fp, sizeof(fp)) < 0) {
		ds_errs_add(e, false, "security-peer-key-accept",
			    "no key was refused for peer %s: nothing to accept (show alarms names "
			    "a peer whose key changed)",
			    who ? who : "?");
		return -1;
	}
	*out = json_new_object();
	json_set(*out, "fingerprint", json_new_str(fp));
	return 0;
}

/* metadata-key-regenerate, and peer-key-rekey (rekey: true) */
static int rpc_new_keys(struct peers *ps, bool rekey, struct json **out, struct ds_errs *e)
{
	uint32_t index;

	if ((rekey ? peers_rekey(ps, &index) : peers_regenerate(ps, &index)) < 0) {
		ds_errs_add(e, false,
			    rekey ? "security-peer-key-rekey" : "security-metadata-key-regenerate",
			    KM_OFF " (enhanced-security-key-management, peering-common-name)");
		return -1;
	}
	*out = json_new_object();
	json_set(*out, "metadata-rekey-index", json_new_int(index));
	return 0;
}

static int rpc_rekey(void *arg, const struct json *input, struct json **out, struct ds_errs *e)
{
	(void)input;
	return rpc_new_keys(arg, true, out, e);
}

static int rpc_regenerate(void *arg, const struct json *input, struct json **out, struct ds_errs *e)
{
	(void)input;
	return rpc_new_keys(arg, false, out, e);
}

void pp_register_rpcs(struct peers *ps)
{
	static const struct {
		const char *name;
		svrd_rpc_fn fn;
	} rpcs[] = {
		{"reload-local-certificates", rpc_reload},
		{"security-peer-key-accept", rpc_accept},
		{"security-peer-key-rekey", rpc_rekey},
		{"security-metadata-key-regenerate", rpc_regenerate},
	};

	for (size_t i = 0; i < sizeof(rpcs) / sizeof(rpcs[0]); i++)
		if (svrd_rpc_register(ps->d, rpcs[i].name, rpcs[i].fn, ps) < 0)
			log_warnx("peer paths: cannot serve RPC %s", rpcs[i].name);
}

int peers_listen(struct peers *ps, peers_listener fn, void *arg)
{
	if (!ps || ps->nlisteners == (int)(sizeof(ps->listeners) / sizeof(ps->listeners[0])))
		return -1;
	ps->listeners[ps->nlisteners].fn = fn;
	ps->listeners[ps->nlisteners++].arg = arg;
	return 0;
}

int peers_listen_keys(struct peers *ps, peers_key_listener fn, void *arg)
{
	if (!ps ||
	    ps->nkey_listeners == (int)(sizeof(ps->key_listeners) / sizeof(ps->key_listeners[0])))
		return -1;
	ps->key_listeners[ps->nkey_listeners].fn = fn;
	ps->key_listeners[ps->nkey_listeners++].arg = arg;
	/* what it missed: every key the engine holds comes again (the
	 * others take the same keys twice, which changes nothing) */
	kex_key_resend(ps->kex);
	pp_push_keys(ps);
	return 0;
}

void pp_push_keys(struct peers *ps)
{
	struct kex_key_event ev;

	while (ps->kex && kex_key_event(ps->kex, &ev)) {
		for (int i = 0; i < ps->nkey_listeners; i++)
			ps->key_listeners[i].fn(ps->key_listeners[i].arg, &ev);
		crypto_wipe(&ev, sizeof(ev));
	}
}

void pp_keys_gone(struct peers *ps)
{
	for (int i = 0; i < ps->nkey_listeners; i++)
		ps->key_listeners[i].fn(ps->key_listeners[i].arg, NULL);
}

int peers_identity_pem(const struct peers *ps, char **cert, char **key)
{
	*cert = *key = NULL;
	if (!ps || !ps->id)
		return -1;
	*cert = pki_identity_cert_pem(ps->id);
	*key = pki_identity_key_pem(ps->id);
	if (*cert && *key)
		return 0;
	free(*cert);
	if (*key)
		crypto_wipe(*key, strlen(*key));
	free(*key);
	*cert = *key = NULL;
	return -1;
}

const struct peers_view *peers_view(const struct peers *ps)
{
	return ps ? &ps->view : NULL;
}

int peers_reload(struct peers *ps)
{
	if (!ps)
		return -1;
	pp_teardown(ps); /* forget the plan: the certificates are read again */
	ps->active = false;
	pp_rebuild(ps, ds_running(ps->d->ds));
	return ps->kex ? 0 : -1;
}

int peers_accept_key(struct peers *ps, const char *peer, char *fp, size_t fplen)
{
	for (int i = 0; ps && ps->kex && i < ps->npaths; i++) {
		struct kex_peer_state s;
		int p = ps->paths[i].peer;

		if (strcmp(ps->paths[i].peer_name, peer) != 0)
			continue;
		kex_peer_state(ps->kex, p, &s);
		snprintf(fp, fplen, "%s", s.offered_fp);
		if (kex_accept_key(ps->kex, p, ev_now_ms()) < 0)
			return -1;
		log_info("operator accepted key %s for peer %s", fp, peer);
		pp_save_learned_pins(ps);
		pp_flush_kex(ps);
		pp_evaluate_alarms(ps);
		pp_arm(ps);
		return 0;
	}
	return -1;
}

int peers_rekey(struct peers *ps, uint32_t *index)
{
	if (!ps || !ps->kex)
		return -1;
	/* new peer keys with every peer, and a new metadata key sealed with them */
	kex_rekey(ps->kex, ev_now_ms());
	return peers_regenerate(ps, index);
}

int peers_regenerate(struct peers *ps, uint32_t *index)
{
	if (!ps || !ps->kex)
		return -1;
	if (kex_regenerate(ps->kex, ev_now_ms()) < 0)
		return -1;
	pp_flush_kex(ps);
	*index = kex_local_index(ps->kex);
	ps->mkey_since_ms = ev_now_ms();
	ps->mkey_changes++;
	pp_arm(ps);
	return 0;
}
