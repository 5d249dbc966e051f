/* Errors and warnings of the configuration model and datastore, each
 * naming the configuration path it is about: what the datastore,
 * the model's rules and the PCLI report, and the daemon hands on. */
#ifndef SVR_DS_ERRS_H
#define SVR_DS_ERRS_H

#include <stdbool.h>
#include <stddef.h>

/* Errors and warnings, each naming the configuration path it is about
 * (in command words: "authority router combo-east location"). */
struct ds_err {
	char *path;
	char *msg;
	bool warning;
};

struct ds_errs {
	size_t n;
	struct ds_err *v;
};

void ds_errs_add(struct ds_errs *e, bool warning, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
size_t ds_errs_count(const struct ds_errs *e); /* errors, not warnings */
void ds_errs_free(struct ds_errs *e);

/* Words of a data path, for messages: "/opensvr:authority/router[name='x']/location"
 * becomes "authority router x location". */
void ds_path_words(const char *path, char *buf, size_t len);

#endif
