/* UTF-8 validation and encoding (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF). */
#ifndef SVR_UTF8_H
#define SVR_UTF8_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf;

/* Length of the valid sequence at s (1..4), or 0 if invalid or truncated. */
size_t utf8_valid_prefix(const char *s, size_t n);
bool utf8_valid(const char *s, size_t n);
void utf8_encode(struct strbuf *sb, unsigned cp);

#endif
