/* DOC: node identity files
 *
 * The files behind the node's identity: the engine's pki takes and gives
 * PEM text, and this is where svrd reads and writes it.  A configured
 * client-certificate is read from its file(s).  The self-signed identity
 * lives in the state directory as node.crt (0644) and node.key (0600):
 * loaded when it is there and names the router's peering-common-name,
 * made again with the same key 30 days before it expires (peers that
 * pinned the key keep trusting it), made anew otherwise.  Every file is
 * written atomically (a temporary file, fsync, rename), so a crash leaves
 * the old file or the new one, never half of one.
 */
#ifndef SVR_IDENTITY_H
#define SVR_IDENTITY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pki_identity;

/* A configured identity: the certificate in cert_file, its key in
 * key_file (the same file may hold both). */
struct pki_identity *identity_load(const char *cert_file, const char *key_file, char *err,
				   size_t errlen);
/* The self-signed identity in DIR/node.crt and DIR/node.key for peering
 * name pcn at now_s: loaded, renewed (valid for days from now_s), or made
 * for days and saved.  One made for another name is replaced. */
struct pki_identity *identity_open(const char *dir, const char *pcn, int64_t now_s, int days,
				   char *err, size_t errlen);

/* Write text to path atomically: path.tmp with mode, fsync, rename.  -1
 * with errno on failure (path untouched). */
int identity_write_text(const char *path, mode_t mode, const char *text);

#endif
