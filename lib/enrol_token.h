/* DOC: enrolment tokens
 *
 * What the conductor prints for a router to enrol with, and the one line
 * an operator pastes on the new router (doc/conductor.md):
 *
 *     svr1.ROUTER.PIN.SECRET
 *
 * ROUTER is the router's name in the authority (an object name: letters,
 * digits, '_', '.', '-'; 1 to 63); PIN is the SHA-256 of the conductor's
 * SSH host key (43 characters of unpadded base64url), which the router
 * checks before it says anything, so no one can pose as the conductor;
 * SECRET is 16 random bytes (22 characters), good once, which the
 * conductor keeps only as a hash.  The fixed-length fields come last, so
 * a name with dots parses the one way.
 */
#ifndef SVR_ENROL_TOKEN_H
#define SVR_ENROL_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define ENROL_PIN_LEN	 32
#define ENROL_SECRET_LEN 16
#define ENROL_NAME_MAX	 63
#define ENROL_TOKEN_MAX	 (5 + ENROL_NAME_MAX + 1 + 43 + 1 + 22 + 1)

struct enrol_token {
	char router[ENROL_NAME_MAX + 1];
	uint8_t pin[ENROL_PIN_LEN];
	uint8_t secret[ENROL_SECRET_LEN];
};

/* The token's text in out (ENROL_TOKEN_MAX bytes): 0, or -1 when the
 * router's name is not an object name. */
int enrol_token_format(const struct enrol_token *t, char *out, size_t len);
/* Read text (surrounding blanks allowed): 0, or -1 with why (a clear
 * reason: "not an opensvr enrolment token (it starts svr1.)", ...). */
int enrol_token_parse(const char *text, struct enrol_token *t, char *why, size_t whylen);

/* Unpadded base64url of n bytes into out (4*n/3+2 bytes): its length. */
size_t enrol_b64url(const uint8_t *in, size_t n, char *out);

#endif
