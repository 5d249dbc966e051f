/* Fuzz the JSON parser.  The first byte picks limits (small ones reach
 * every limit's error path); whatever parses must print and re-parse to the
 * same text, every member must be found by name through the hash index,
 * and taking and setting members must keep the lookups right. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_lookups(struct json *j)
{
	size_t n = json_len(j);

	for (size_t i = 0; i < n; i++) {
		if (json_type(j) == JSON_OBJECT && json_get(j, json_key_at(j, i)) != json_at(j, i))
			__builtin_trap();
		check_lookups(json_at(j, i));
	}
}

/* Take every other member of the objects and put it back at the end. */
static void shuffle(struct json *j)
{
	size_t n = json_len(j);

	for (size_t i = 0; i < n; i++)
		shuffle(json_at(j, i));
	if (json_type(j) != JSON_OBJECT)
		return;
	for (size_t i = 0; i < n / 2; i++) {
		char *k = strdup(json_key_at(j, i));
		struct json *v = json_take(j, k);

		if (!v || json_get(j, k) || json_set(j, k, v) < 0 || json_len(j) != n)
			__builtin_trap();
		free(k);
	}
	check_lookups(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_limits lim = {0};
	char err[128];
	struct json *j, *k;
	char *a, *b;

	if (size && data[0] & 0x80) {
		lim.max_depth = 1 + (data[0] & 0x7);
		lim.max_members = 1 + (data[0] >> 3 & 0xf);
		lim.max_values = 4 + (data[0] & 0x3f);
		lim.max_size = size > 2 ? size - 2 : 1;
	}
	if (size) {
		data++;
		size--;
	}
	j = json_parse_limited((const char *)data, size, &lim, err, sizeof(err));
	if (!j) {
		if (!strstr(err, " at byte "))
			__builtin_trap();
		return 0;
	}
	check_lookups(j);
	a = json_print(j);
	if (!a)
		__builtin_trap();
	k = json_parse(a, strlen(a), err, sizeof(err));
	if (!k)
		__builtin_trap();
	b = json_print(k);
	if (!b || strcmp(a, b) != 0)
		__builtin_trap();
	shuffle(k);
	free(a);
	free(b);
	json_free(j);
	json_free(k);
	return 0;
}
