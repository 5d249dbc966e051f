/* Certificates no honest tool makes, for the PKI tests (badcert.c). */
#ifndef SVR_TEST_BADCERT_H
#define SVR_TEST_BADCERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A self-signed EC P-256 certificate (DER, malloc'ed) valid for 30 days
 * from now, whose CN (or, with san, SAN URI urn:ssr:peering:NAME and a CN
 * of "x") is the len bytes of name, NULs included. */
uint8_t *badcert_self_signed(const char *name, size_t len, bool san, size_t *der_len);

#endif
