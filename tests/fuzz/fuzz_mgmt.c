/* Fuzz the schema-path check of list-keys (mgmt_schema_path_fault()): what
 * it accepts must be a plain schema path by a second, independent reading
 * (so nothing of XPath reaches libyang), and what it refuses must name a
 * character inside the input. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* One segment: [prefix ':'] name, each [A-Za-z_][A-Za-z0-9_.-]*. */
static bool segment_ok(const char *s, size_t n)
{
	size_t colons = 0, start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != ':') {
			char c = s[i];

			if (i == start ? !letter(c)
				       : !(letter(c) || (c >= '0' && c <= '9') || c == '-' ||
					   c == '.'))
				return false;
			continue;
		}
		if (i == start)
			return false; /* empty name or prefix */
		if (i < n && ++colons > 1)
			return false;
		start = i + 1;
	}
	return true;
}

static bool plain_schema_path(const char *p)
{
	if (*p != '/')
		return false;
	while (*p == '/') {
		size_t n = strcspn(p + 1, "/");

		if (!segment_ok(p + 1, n))
			return false;
		p += 1 + n;
	}
	return *p == '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	const char *why;
	size_t at = 0;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	why = mgmt_schema_path_fault(s, &at);
	if (!why != plain_schema_path(s))
		__builtin_trap();
	if (why && (at < 1 || at > strlen(s) + 1))
		__builtin_trap();
	free(s);
	return 0;
}
