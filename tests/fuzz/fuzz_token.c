/* Fuzz the enrolment token parser: whatever parses must format back to
 * the same token (surrounding blanks aside) and parse again to the same
 * fields; nothing may read past the input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enrol_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), why[128], out[ENROL_TOKEN_MAX];
	struct enrol_token t, back;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (enrol_token_parse(text, &t, why, sizeof(why)) == 0) {
		if (enrol_token_format(&t, out, sizeof(out)) != 0 || !strstr(text, out) ||
		    enrol_token_parse(out, &back, why, sizeof(why)) != 0 ||
		    memcmp(&t, &back, sizeof(t)) != 0)
			__builtin_trap();
	} else if (!why[0]) {
		__builtin_trap(); /* a refusal always says why */
	}
	free(text);
	return 0;
}
