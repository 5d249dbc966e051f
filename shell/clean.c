/* DOC: text made safe for a terminal
 *
 * The bottom layer of the shell, beside tty.c: svrsh_clean() makes every
 * character a terminal would act on visible (render.c says why and
 * where it applies).
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "svrsh.h"
#include "utf8.h"

static unsigned utf8_decode(const unsigned char *p, size_t n)
{
	unsigned cp = n == 1 ? p[0] : p[0] & (0x7fu >> n);

	for (size_t i = 1; i < n; i++)
		cp = cp << 6 | (p[i] & 0x3fu);
	return cp;
}

/* Code points a terminal acts on or that reorder what is shown. */
static bool is_control_cp(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

char *svrsh_clean(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = s ? strlen(s) : 0;

	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t k;

		if (c == '\t' || (c >= 0x20 && c < 0x7f)) {
			strbuf_addc(&sb, (char)c);
			i++;
			continue;
		}
		k = c < 0x80 ? 0 : utf8_valid_prefix(s + i, n - i);
		if (k == 0) {
			strbuf_addf(&sb, "\\x%02x", c);
			i++;
			continue;
		}
		if (is_control_cp(utf8_decode((const unsigned char *)s + i, k)))
			strbuf_addf(&sb, "\\u%04x", utf8_decode((const unsigned char *)s + i, k));
		else
			strbuf_addn(&sb, s + i, k);
		i += k;
	}
	return strbuf_steal(&sb);
}

bool svrsh_is_clean(const char *s)
{
	char *c = svrsh_clean(s);
	bool same = c && strcmp(c, s ? s : "") == 0;

	free(c);
	return same;
}
