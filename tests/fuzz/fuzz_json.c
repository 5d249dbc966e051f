/* Fuzz the JSON parser; whatever parses must print and re-parse to the
 * same text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[128];
	struct json *j = json_parse((const char *)data, size, err, sizeof(err));
	struct json *k;
	char *a, *b;

	if (!j)
		return 0;
	a = json_print(j);
	if (!a)
		__builtin_trap();
	k = json_parse(a, strlen(a), err, sizeof(err));
	if (!k)
		__builtin_trap();
	b = json_print(k);
	if (!b || strcmp(a, b) != 0)
		__builtin_trap();
	free(a);
	free(b);
	json_free(j);
	json_free(k);
	return 0;
}
