/* Enrolment tokens: see enrol_token.h. */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "enrol_token.h"

#define PIN_CHARS    43 /* base64url of 32 bytes, unpadded */
#define SECRET_CHARS 22 /* of 16 bytes */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t enrol_b64url(const uint8_t *in, size_t n, char *out)
{
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = b64[(acc >> bits) & 63];
		}
	}
	if (bits)
		out[o++] = b64[(acc << (6 - bits)) & 63];
	out[o] = '\0';
	return o;
}

/* chars characters of unpadded base64url into exactly n bytes; the bits
 * left over must be zero (one text, one value). */
static int unb64url(const char *s, size_t chars, uint8_t *out, size_t n)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < chars; i++) {
		const char *p = s[i] ? strchr(b64, s[i]) : NULL;

		if (!p)
			return -1;
		acc = (acc << 6) | (uint32_t)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == n)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return o == n && (acc & ((1u << bits) - 1)) == 0 ? 0 : -1;
}

static bool object_name(const char *s, size_t n)
{
	if (n == 0 || n > ENROL_NAME_MAX || !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

int enrol_token_format(const struct enrol_token *t, char *out, size_t len)
{
	char pin[PIN_CHARS + 2], secret[SECRET_CHARS + 2];

	if (!object_name(t->router, strlen(t->router)) || len < ENROL_TOKEN_MAX)
		return -1;
	enrol_b64url(t->pin, sizeof(t->pin), pin);
	enrol_b64url(t->secret, sizeof(t->secret), secret);
	snprintf(out, len, "svr1.%s.%s.%s", t->router, pin, secret);
	return 0;
}

static int say(char *why, size_t len, const char *msg)
{
	snprintf(why, len, "%s", msg);
	return -1;
}

int enrol_token_parse(const char *text, struct enrol_token *t, char *why, size_t whylen)
{
	size_t n, name;

	memset(t, 0, sizeof(*t));
	while (*text == ' ' || *text == '\t')
		text++;
	n = strlen(text);
	while (n && strchr(" \t\r\n", text[n - 1]))
		n--;
	if (n < 5 || strncmp(text, "svr1.", 5) != 0)
		return say(why, whylen, "not an opensvr enrolment token (one starts svr1.)");
	if (n < 5 + 1 + 1 + PIN_CHARS + 1 + SECRET_CHARS || text[n - SECRET_CHARS - 1] != '.' ||
	    text[n - SECRET_CHARS - 1 - PIN_CHARS - 1] != '.')
		return say(why, whylen,
			   "the token is cut short or has extra characters (copy it whole)");
	name = n - 5 - (1 + PIN_CHARS + 1 + SECRET_CHARS);
	if (!object_name(text + 5, name))
		return say(why, whylen, "the token's router name is not a router name");
	if (unb64url(text + n - SECRET_CHARS - 1 - PIN_CHARS, PIN_CHARS, t->pin, sizeof(t->pin)) <
		    0 ||
	    unb64url(text + n - SECRET_CHARS, SECRET_CHARS, t->secret, sizeof(t->secret)) < 0)
		return say(why, whylen,
			   "the token has characters a token never has (copy it whole)");
	memcpy(t->router, text + 5, name);
	t->router[name] = '\0';
	return 0;
}
