/* DOC: PCLI text format
 *
 * The configuration as operators type and read it, the seed's style:
 *
 *     config
 *         authority
 *             router  combo-east
 *                 name                 combo-east
 *                 description          "router 1"
 *             exit
 *         exit
 *     exit
 *
 * A container name enters it, a list name plus its key(s) enters (and
 * creates) that entry, LEAF VALUE sets a leaf, exit goes up.  A word that
 * is not a child of the current level closes levels until one knows it,
 * which is how the seed's examples without every "exit" still load.
 * One-liners work too: "config authority router X location usa",
 * "set authority ...", "delete authority ...".  A value with blanks, quotes
 * or newlines is written in double quotes (\" and \\ escape); it may span
 * lines, which is how PEM certificates travel in batch files.
 *
 * A pcli_session keeps the current level between lines, so svrd can serve
 * a shell's configuration mode line by line.
 */
#ifndef SVR_PCLI_H
#define SVR_PCLI_H

#include <stdbool.h>
#include <stdint.h>

struct ds;
struct ds_errs;
struct ly_ctx;
struct lyd_node;

#define PCLI_VERBOSE 0x1 /* defaults and generated entries too */
#define PCLI_FLAT    0x2 /* one "config ..." line per leaf */

char *pcli_print(const struct lyd_node *tree, unsigned flags);
/* Commands that turn old into new ("set ..."/"delete ..."), or
 * "# No differences". */
char *pcli_compare(const struct lyd_node *old, const struct lyd_node *new_);

struct pcli_session;

struct pcli_session *pcli_session_new(struct ds *ds, uint64_t session_id);
void pcli_session_free(struct pcli_session *s);

enum pcli_result {
	PCLI_OK = 0,
	PCLI_ERROR = -1,
	PCLI_MORE = 1,	    /* inside a quoted value: send the next line */
	PCLI_NOT_CONFIG = 2 /* not a configuration line (at the top level) */
};

/* Apply one line.  At the top level only "config"/"configure", "set" and
 * "delete" lines are configuration; in configuration mode every line is. */
enum pcli_result pcli_line(struct pcli_session *s, const char *line, struct ds_errs *e);
/* The data path of command words ("authority router x location"), or
 * NULL with an error; caller frees. */
char *pcli_resolve(struct ds *ds, const char *words, struct ds_errs *e);
/* Apply a whole text (a file); errors name their line numbers. */
int pcli_apply_text(struct pcli_session *s, const char *text, struct ds_errs *e);
bool pcli_in_config(const struct pcli_session *s);
/* The current level as words ("authority router combo-east"), "" at the
 * configuration top. */
const char *pcli_where(const struct pcli_session *s);
/* The current level for the prompt: "config", "authority",
 * "router[name=combo-east]". */
const char *pcli_label(const struct pcli_session *s);
/* The schema path of the current level ("/opensvr:authority/router"), ""
 * at the top; caller frees. */
char *pcli_schema_path(const struct pcli_session *s);
/* The current level as a data path ("/opensvr:authority/router[name='x']"). */
const char *pcli_path(const struct pcli_session *s);
void pcli_reset(struct pcli_session *s);

#endif
