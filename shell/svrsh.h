/* svrsh internals shared by the shell's files, by layer.  Each layer
 * calls only the layers above it in this header, never one below, so no
 * two files call each other:
 *
 *   tty.c          the terminal's raw mode
 *   clean.c        text made safe for a terminal
 *   words.c        a line's words; what may come next (struct comp); the
 *                  arguments of the shell's commands (svrsh_args)
 *   conn.c         the connection to svrd (svrsh_call)
 *   prompt.c       the prompt and yes/no questions
 *   pipes.c        "| match", "| display json", the pager
 *   render.c       the frame of every view, text, JSON, the state's values
 *   schema_tree.c  svrd's configuration schema, walked word by word
 *   config_line.c  where a line goes, and configuration lines carried out
 *   *_cmds.c       the commands, each file a family of them (cert_cmds.c
 *                  before security_cmds.c, which puts it under show
 *                  security)
 *   ping_cmds.c    ping and traceroute through SVR
 *   monitor_cmds.c monitor: the live full-screen view (ncurses)
 *   commands.c     the command table: every family registered
 *   complete.c     help (?) and completion (TAB) from the whole line
 *   lineedit.c     the terminal's line editor
 *   svrsh.c        main: options, batch and interactive loops
 */
#ifndef SVR_SVRSH_H
#define SVR_SVRSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cli_def;
struct json;
struct mgmt_client;

struct svrsh {
	struct cli_def *cli;
	struct mgmt_client *mc;
	char *socket_path;
	char *user, *router, *node;
	bool batch;		  /* no prompts, no questions, no pager */
	bool echo;		  /* print prompt + command before running it (transcripts) */
	bool keep_going;	  /* batch: continue after a failed command */
	bool config_mode;	  /* in configuration mode (svrd keeps the level) */
	bool changed;		  /* the candidate differs from running: '*' in the prompt */
	int64_t last_commit;	  /* the newest commit seen (-1: not asked yet) */
	int64_t confirm_deadline; /* wall-clock ms of a pending commit confirmed, or 0 */
	char *level;		  /* "config", "authority", "router[name=x]" */
	struct snode *level_node; /* the schema node of that level (NULL: top) */
	bool no_more;		  /* "| no-more" on this command */
	bool display_json;	  /* "| display json" on this command */
	bool display_set;	  /* "| display set": show config as set commands */
	int pager_lines, pager_rows;
	bool pager_quit;
	bool pager_all;	    /* G at --More--: the rest without stopping */
	bool pager_seeking; /* / at --More--: skipping to a line that matches */
	void *pager_find;   /* that expression (a regex_t) */
	uint64_t cmd_start_ms;
};

/* ---- tty.c ---- */
int tty_raw_begin(int fd);
void tty_raw_end(void);

/* ---- clean.c ---- */

/* s with every control character made visible (\x1b, \u009b); malloc'd,
 * NULL only when out of memory.  Every printed line goes through it. */
char *svrsh_clean(const char *s);
/* s has nothing svrsh_clean() would change. */
bool svrsh_is_clean(const char *s);

/* ---- words.c: the words of a line, and what may come next ---- */

#define SVRSH_WORDS_MAX 256
struct svrsh_words {
	struct {
		char *text;	   /* unquoted */
		size_t start, end; /* where it is in the line */
		bool quoted;
	} w[SVRSH_WORDS_MAX];
	int n;
	bool open_quote; /* the last word's quote is not closed yet */
	bool blank_end;	 /* a blank follows the last word: a new one starts */
	bool comment;	 /* the line ends in a # comment */
};
/* Split line as svrd's configuration interpreter does: 0, or -1 when it
 * has more than SVRSH_WORDS_MAX words.  Free with svrsh_words_free. */
int svrsh_split(const char *line, struct svrsh_words *w);
void svrsh_words_free(struct svrsh_words *w);

struct comp_item {
	char *word, *help;
	bool literal; /* a word to type (else a placeholder: <text>, <[Enter]>) */
};
struct comp {
	struct comp_item *items;
	size_t n, cap;
	char *error;	      /* nothing fits here: why (NULL otherwise) */
	char partial[256];    /* the word being typed ("" after a blank) */
	size_t partial_start; /* where it starts in the line */
	bool quoted;	      /* the word being typed opened a quote */
	bool wants_text;      /* the line ends at a leaf typed over lines (PEM) */
};
void comp_add(struct comp *c, const char *word, const char *help, bool literal);
void comp_error(struct comp *c, const char *msg);
void comp_free(struct comp *c);
/* The literal word of c nearest to word, when a slip of a key or two
 * away ("did you mean"); NULL otherwise. */
const char *comp_nearest(const struct comp *c, const char *word);

/* line with a Junos name made ours ("show configuration" is show
 * config), malloc'd; NULL when it has none.  typing: not the word being
 * typed (help and completion). */
char *svrsh_alias(const char *line, bool typing);
/* Whether line pipes through "| display set", and *misused when its
 * command is not show config (or show alone). */
bool svrsh_display_set(const char *line, bool *misused);

/* What may follow a shell command that reads its own words (not libcli's
 * optargs): slots in order, ended by one with neither word nor value.  A
 * required slot must come at its place; optional ones in any order
 * before it. */
enum {
	ARG_OPTIONAL = 1,
	ARG_REST = 2, /* the value is the rest of the line */
	ARG_PATH = 4  /* the rest of the line is a configuration path from the top */
};
struct cli_command;
struct cli_def;
struct cli_comphelp;
typedef int (*arg_complete_fn)(struct cli_def *cli, const char *name, const char *word,
			       struct cli_comphelp *ch);
struct arg_slot {
	const char *word;  /* a keyword ("running|candidate": one of them); NULL: a value */
	const char *value; /* the value's placeholder ("<minutes>"), after word; NULL: none */
	const char *help;
	unsigned flags;
	arg_complete_fn complete; /* the value's known values (TAB) */
};
/* Register (and look up) cmd's slots; slots must outlive the shell. */
void svrsh_args(const struct cli_command *cmd, const struct arg_slot *slots);
const struct arg_slot *svrsh_args_of(const struct cli_command *cmd);

/* ---- conn.c ---- */

/* Connect (again) and say hello: 0, or -1 with err set. */
int svrsh_connect(struct svrsh *sh, char *err, size_t errlen);
/* The shell of a libcli callback. */
struct svrsh *svrsh_of(struct cli_def *cli);

/* Call svrd; on failure print "% Error: ..." and return NULL.  On success
 * return the reply's data object (caller frees).  Reconnects once when the
 * connection to svrd was lost. */
struct json *svrsh_call(struct svrsh *sh, const char *op, struct json *args);
/* The same without printing errors (NULL on any failure). */
struct json *svrsh_call_quiet(struct svrsh *sh, const char *op, struct json *args);
/* ---- prompt.c ---- */

/* Ask a yes/no question; batch mode answers yes. */
bool svrsh_confirm(struct svrsh *sh, const char *question);

/* "USER@NODE.ROUTER" + mode + "# " */
const char *svrsh_prompt(struct svrsh *sh);
void svrsh_update_prompt(struct svrsh *sh);

/* ---- pipes.c ---- */
void pipes_register(struct svrsh *sh);
int pager_rows(void);
/* The terminal's width in columns (80 when it cannot say). */
int term_cols(void);
/* Every command that may print a lot calls this first. */
void pager_begin(struct svrsh *sh);
/* Whether line (what the print callback is about to write) is shown:
 * the pager's --More-- and its keys (pipes.c). */
bool pager_allow(struct svrsh *sh, const char *line);
void pager_free(struct svrsh *sh);
void pager_end(struct svrsh *sh);

/* ---- render.c: the frame every show command shares (seed layout) ---- */

/* Print text line by line (filters and pager apply); JSON, indented. */
void print_text(struct cli_def *cli, const char *text);
void print_json(struct cli_def *cli, const struct json *data);
/* Call first in every show command: starts the "Completed in" clock. */
void render_begin(struct cli_def *cli);
void render_header(struct cli_def *cli, const char *what);
/* "Thu 2026-11-26 18:40:02 UTC" */
void render_date(char *buf, size_t len);
void render_footer(struct cli_def *cli);
void render_banner(struct cli_def *cli, const char *title);
void render_field(struct cli_def *cli, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The width output must fit: the terminal's, or 0 (no limit) in batch. */
int render_width(struct cli_def *cli);
/* prefix then text; at a terminal too narrow for the line, text wraps at
 * blanks (else colons, else anywhere) onto lines indented under itself. */
void render_wrapped(struct cli_def *cli, const char *prefix, const char *text);
void render_duration(char *buf, int len, int64_t seconds);
/* Fetch op's data for a show command into *out.  CLI_ERROR when it
 * failed; CLI_OK with *out NULL when "| display json" asked for the data
 * itself, which is then printed; CLI_OK with the data to render otherwise. */
struct json;
int render_fetch(struct cli_def *cli, const char *op, struct json **out);
/* The operational state (get-state, YANG data) for a view: *out the reply
 * (free it), *router and *node this router's and this node's entries
 * (NULL when absent).  With "| display json" the view's part alone (the
 * member part of the node's entry, or of the router's when of_node is
 * false: a container, or a list when list is set, as libyang prints it;
 * an empty one when there is none) is printed and *out is NULL.  CLI_ERROR when it failed. */
int render_state(struct cli_def *cli, const char *part, bool of_node, bool list, struct json **out,
		 const struct json **router, const struct json **node);
/* The callback of a command that only leads to others ("show security"):
 * an error listing what may follow, rather than libcli's "incomplete
 * command". */
int render_needs_more(struct cli_def *cli, const char *command, char **argv, int argc);
/* TAB on an operational argument: the values of key in the router's
 * list of the state (alarm ids, peer names) that start with word. */
struct cli_comphelp;
int state_complete(struct cli_def *cli, const char *list, const char *key, const char *word,
		   struct cli_comphelp *ch);
/* TAB on a peer router's name (an arg_complete_fn): this router's peers. */
int state_complete_peer(struct cli_def *cli, const char *name, const char *word,
			struct cli_comphelp *ch);
/* A date-and-time leaf (2026-12-01T20:00:00+00:00) as the tables show it:
 * "2026-12-01 20:00:00". */
void state_time_text(const char *dt, char *buf, size_t len);
/* A leaf of the state: 64-bit numbers come as strings (RFC 7951). */
uint64_t state_u64(const struct json *o, const char *key, uint64_t def);
bool state_bool(const struct json *o, const char *key);
/* An enumeration's value in words for people: "active-leader" is
 * "Active Leader"; into buf. */
const char *state_words(const char *value, char *buf, size_t len);

/* ---- schema_tree.c: configuration mode's commands, from svrd's schema ---- */
struct snode;
int schema_tree_load(struct svrsh *sh);
/* The same from a get-schema reply already in hand (taken over). */
void schema_tree_use(struct json *doc);
/* A walk along a configuration path, word by word: what help, completion
 * and abbreviated values read. */
enum walk_want { WALK_NODE, WALK_KEY, WALK_VALUE, WALK_END };
struct schema_walk {
	const struct snode *at;	  /* whose children come next (NULL: the top) */
	const struct snode *node; /* the node named last */
	enum walk_want want;	  /* what comes next */
	int key;		  /* WALK_KEY: which of node's keys */
	bool first;		  /* no word yet: an ancestor's child fits too */
	bool named;		  /* a node was named */
};
/* From the top (set, delete) or from the session's level. */
void schema_walk_begin(const struct svrsh *sh, bool from_top, struct schema_walk *w);
/* Take word: 0, with *full the whole keyword or enum value when word
 * abbreviates one (else NULL); -1 with why when it fits nothing (w is
 * unchanged). */
int schema_walk_word(struct schema_walk *w, const char *word, char *why, size_t len,
		     const char **full);
/* What may come next, starting with prefix. */
void schema_walk_next(struct svrsh *sh, const struct schema_walk *w, const char *prefix,
		      struct comp *c);
/* The walk ends at a leaf typed over several lines (PEM) without it. */
bool schema_walk_wants_text(const struct schema_walk *w);
struct strbuf;
int schema_tree_names(const struct svrsh *sh, const char *prefix, struct strbuf *out);
void schema_tree_free(void);
void schema_tree_set_level(struct svrsh *sh, const char *schema_path);

/* ---- config_line.c ---- */

enum line_kind { LINE_SHELL, LINE_CONFIG, LINE_AMBIGUOUS };
enum line_kind svrsh_classify(struct svrsh *sh, const char *line, char *cands, size_t len);
/* CLI_OK, CLI_ERROR, or 1 when the line opened a quoted value that
 * continues on the next line. */
int svrsh_config_line(struct svrsh *sh, const char *line);
/* The keyword of choices (NULL-ended) that arg is, or abbreviates
 * uniquely ("cand" is candidate); NULL otherwise, *ambiguous set when it
 * abbreviates several. */
const char *svrsh_keyword(const char *arg, const char *const *choices, bool *ambiguous);
/* The prompt's level and '*' from svrd again (after an error, a commit). */
void svrsh_refresh_status(struct svrsh *sh);

/* ---- the commands ---- */

struct cli_command;
/* config_cmds.c: show config, compare, commit, ... */
/* returns "show config", for its subcommands */
struct cli_command *config_commands_register(struct svrsh *sh, struct cli_command *show);
/* "show" alone: in configuration mode, the candidate at the current
 * level (as Junos does); elsewhere an error that says what to add. */
int config_show_level(struct cli_def *cli, const char *command, char **argv, int argc);
/* alarm_cmds.c: show alarms, events, log; clear (returned: the other
 * families add to it) */
struct cli_command *alarm_commands_register(struct svrsh *sh, struct cli_command *show);

/* cert_cmds.c: show security certificates, under show security */
void cert_commands_register(struct svrsh *sh, struct cli_command *show_security);

/* security_cmds.c */
void security_commands_register(struct svrsh *sh, struct cli_command *show);

/* session_cmds.c: show sessions, clear session (under clear), show stats */
void session_commands_register(struct svrsh *sh, struct cli_command *show,
			       struct cli_command *clear);

/* ping_cmds.c: ping, traceroute through SVR from the LAN address */
void ping_commands_register(struct svrsh *sh);
void enrol_commands_register(struct svrsh *sh, struct cli_command *show,
			     struct cli_command *show_config);

/* monitor_cmds.c: monitor, the live full-screen view */
void monitor_commands_register(struct svrsh *sh);

/* ---- commands.c: the command table ---- */

void commands_register(struct svrsh *sh);

/* ---- complete.c: help (?) and completion (TAB) ---- */

/* What may come next at the end of line (the text up to the cursor):
 * c->items, c->partial, or c->error.  Free with comp_free. */
void complete_line(struct svrsh *sh, const char *line, struct comp *c);
/* <[Enter]> first, then placeholders, then words, alphabetically. */
void complete_sort(struct comp *c);
/* "did you mean 'X'?" when a word of line is a slip away from a known
 * one (malloc'd), else NULL: the hint after a failed line. */
char *complete_suggest(struct svrsh *sh, const char *line);

/* ---- lineedit.c: the terminal's line editor ---- */

#define LINEEDIT_MAX 4095 /* libcli's CLI_MAX_LINE_LENGTH, less its NUL */
/* Edit lines at the terminal (raw already) and run each with run (the
 * lines of a quoted value joined with '\n') until it returns CLI_QUIT or
 * the operator leaves with Ctrl-D. */
int lineedit_loop(struct svrsh *sh, int (*run)(struct svrsh *sh, const char *text));

#endif
