/* Fuzz the PCLI text interpreter (and the printer and comparer on what it
 * builds): whatever the text, svrd must answer with errors, never crash,
 * and the candidate must print and compare cleanly. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datastore.h"
#include "pcli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ds *ds;

static struct ds *get_ds(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[512];
	struct ds_errs e = {0};

	if (ds)
		return ds;
	snprintf(dir, sizeof(dir), "%s/svrfuzzds.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	ds = ds_open(SOURCE_YANG_DIR, dir, 0, &e);
	ds_errs_free(&e);
	if (!ds)
		abort();
	return ds;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ds *d = get_ds();
	struct pcli_session *s = pcli_session_new(d, 1);
	struct ds_errs e = {0};
	char *text = malloc(size + 1), *a, *b;

	memcpy(text, data, size);
	text[size] = '\0';
	pcli_apply_text(s, text, &e);
	a = pcli_print(ds_candidate(d), PCLI_VERBOSE);
	b = pcli_compare(ds_running(d), ds_candidate(d));
	if (!a || !b)
		__builtin_trap();
	free(a);
	free(b);
	ds_errs_free(&e);
	ds_discard(d, 1, &e);
	ds_errs_free(&e);
	pcli_session_free(s);
	free(text);
	return 0;
}
