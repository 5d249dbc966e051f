/* DOC: the configuration command tree
 *
 * svrsh builds configuration mode from the schema svrd sends ("get-schema"),
 * so the shell and the model cannot disagree.  Every container and list
 * gets a libcli mode; a mode holds the children of its node and, for words
 * that are not children, those of its ancestors (typing "router b" inside
 * router a closes a's level, as PCLI does).  A container is a command, a
 * list a command whose argument is its key (TAB offers the existing
 * entries), a leaf a command whose argument is its value (TAB offers enum
 * values; ? shows the type, units and default).  Commands do not edit
 * anything themselves: they rebuild the line and send it to svrd, which
 * keeps this session's level and answers with the new one.
 */
#include "config.h"

#include <libcli.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "strbuf.h"
#include "svrsh.h"

#define MAX_NODES 512

struct snode {
	const struct json *j; /* in the schema document */
	const char *name, *kind, *path;
	struct snode *parent;
	int mode;	  /* containers and lists: the libcli mode of their level */
	char argname[80]; /* lists: the key argument; leaves: the value argument */
};

static struct json *schema_doc;
static struct snode nodes[MAX_NODES];
static int nnodes;
static int next_mode = MODE_CONFIG + 1;

static struct snode *add_nodes(const struct json *list, struct snode *parent)
{
	for (size_t i = 0; i < json_len(list) && nnodes < MAX_NODES; i++) {
		const struct json *j = json_at(list, i);
		struct snode *n = &nodes[nnodes++];

		n->j = j;
		n->name = json_get_str(j, "name", "?");
		n->kind = json_get_str(j, "kind", "");
		n->path = json_get_str(j, "path", "");
		n->parent = parent;
		if (strcmp(n->kind, "list") == 0 || strcmp(n->kind, "container") == 0) {
			n->mode = next_mode++;
			add_nodes(json_get(j, "children"), n);
		}
		/* a list's key argument is named after the list; a leaf's value
		 * argument after the leaf: names completion can tell apart */
		snprintf(n->argname, sizeof(n->argname), "%s", n->name);
	}
	return NULL;
}

static struct snode *by_path(const char *path)
{
	for (int i = 0; i < nnodes; i++)
		if (strcmp(nodes[i].path, path) == 0)
			return &nodes[i];
	return NULL;
}

/* The first sentence of a description, for one-line help. */
static void first_sentence(const char *dsc, char *buf, size_t len)
{
	size_t n = 0;

	while (*dsc == ' ' || *dsc == '\n')
		dsc++;
	for (; *dsc && n + 1 < len; dsc++) {
		char c = *dsc == '\n' ? ' ' : *dsc;

		if (c == ' ' && n && buf[n - 1] == ' ')
			continue;
		buf[n++] = c;
		if (c == '.' && (dsc[1] == ' ' || dsc[1] == '\n' || !dsc[1]))
			break;
	}
	buf[n] = '\0';
}

static void value_help(const struct snode *n, char *buf, size_t len)
{
	const char *units = json_get_str(n->j, "units", NULL);
	const char *dflt = json_get_str(n->j, "default", NULL);

	snprintf(buf, len, "%s%s%s%s%s%s", json_get_str(n->j, "type", "value"), units ? " " : "",
		 units ? units : "", dflt ? " (default " : "", dflt ? dflt : "", dflt ? ")" : "");
}

static struct snode *node_of_command(struct cli_def *cli, const char *command)
{
	struct svrsh *sh = svrsh_of(cli);
	const char *word = strrchr(command, ' ');

	word = word ? word + 1 : command;
	/* The command's own word at the current level, else an ancestor's. */
	for (struct snode *lvl = sh->level_node;; lvl = lvl->parent) {
		for (int i = 0; i < nnodes; i++)
			if (nodes[i].parent == lvl && strcmp(nodes[i].name, word) == 0)
				return &nodes[i];
		if (!lvl)
			return NULL;
	}
}

static void add_quoted(struct strbuf *sb, const char *v)
{
	bool q = !*v || strpbrk(v, " \t\"\\#\n");

	strbuf_addc(sb, ' ');
	if (!q) {
		strbuf_adds(sb, v);
		return;
	}
	strbuf_addc(sb, '"');
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			strbuf_addc(sb, '\\');
		strbuf_addc(sb, *v);
	}
	strbuf_addc(sb, '"');
}

/* Interactive entry of a multi-line value (PEM): lines until Ctrl-D. */
static char *read_multiline(struct svrsh *sh)
{
	struct strbuf sb = STRBUF_INIT;
	char c;

	(void)sh;
	dprintf(STDOUT_FILENO, "Enter the text; end it with Ctrl-D on a line of its own.\r\n");
	while (read(STDIN_FILENO, &c, 1) == 1) {
		if (c == 4)
			break;
		if (c == 3) { /* Ctrl-C: give up */
			strbuf_free(&sb);
			dprintf(STDOUT_FILENO, "^C\r\n");
			return NULL;
		}
		if (c == '\r')
			c = '\n';
		if ((c == 127 || c == 8)) {
			if (sb.len && sb.buf[sb.len - 1] != '\n') {
				sb.buf[--sb.len] = '\0';
				dprintf(STDOUT_FILENO, "\b \b");
			}
			continue;
		}
		strbuf_addc(&sb, c);
		if (c == '\n')
			dprintf(STDOUT_FILENO, "\r\n");
		else
			dprintf(STDOUT_FILENO, "%c", c);
	}
	while (sb.len && sb.buf[sb.len - 1] == '\n')
		sb.buf[--sb.len] = '\0';
	return strbuf_steal(&sb);
}

static int config_cb(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct svrsh *sh = svrsh_of(cli);
	struct snode *n = node_of_command(cli, command);
	struct strbuf line = STRBUF_INIT;
	char *typed = NULL;
	int rc;

	if (!n) {
		cli_error(cli, "%% Error: '%s' is not a configuration item here", command);
		return CLI_ERROR;
	}
	strbuf_adds(&line, n->name);
	if (strcmp(n->kind, "container") != 0) {
		const char *v = cli_get_optarg_value(cli, n->argname, NULL);

		if (!v && json_get_bool(n->j, "multiline", false) && !sh->batch)
			v = typed = read_multiline(sh);
		if (v)
			add_quoted(&line, v);
	}
	for (int i = 0; i < argc; i++)
		add_quoted(&line, argv[i]);
	rc = sh->config_line(sh, strbuf_str(&line));
	strbuf_free(&line);
	free(typed);
	return rc == CLI_OK ? CLI_OK : CLI_ERROR;
}

static struct snode *node_by_argname(const char *argname)
{
	for (int i = 0; i < nnodes; i++)
		if (strcmp(nodes[i].argname, argname) == 0 &&
		    json_len(json_get(nodes[i].j, "enums")) > 0)
			return &nodes[i];
	for (int i = 0; i < nnodes; i++)
		if (strcmp(nodes[i].argname, argname) == 0)
			return &nodes[i];
	return NULL;
}

static int complete(struct cli_def *cli, const char *name, const char *word,
		    struct cli_comphelp *ch)
{
	struct svrsh *sh = svrsh_of(cli);
	struct snode *n = node_by_argname(name);
	size_t wl = word ? strlen(word) : 0;

	if (!n)
		return CLI_OK;
	if (strcmp(n->kind, "list") == 0) {
		struct json *args = json_new_object(), *data, *keys;

		json_set(args, "schema-path", json_new_str(n->path));
		data = svrsh_call_quiet(sh, "list-keys", args);
		keys = json_get(data, "keys");
		for (size_t i = 0; i < json_len(keys); i++) {
			const char *k = json_str(json_at(keys, i));

			/* libcli prints these itself: nothing a terminal acts on */
			if (k && strncmp(k, word ? word : "", wl) == 0 && svrsh_is_clean(k))
				cli_add_comphelp_entry(ch, k);
		}
		json_free(data);
		return CLI_OK;
	}
	for (size_t i = 0; i < json_len(json_get(n->j, "enums")); i++) {
		const char *e = json_str(json_at(json_get(n->j, "enums"), i));

		if (e && strncmp(e, word ? word : "", wl) == 0)
			cli_add_comphelp_entry(ch, e);
	}
	return CLI_OK;
}

static bool registered(char (*names)[64], int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* Register, in mode, the children of lvl and of its ancestors. */
static void register_level(struct cli_def *cli, struct snode *lvl, int mode)
{
	char done[128][64];
	int ndone = 0;

	for (struct snode *a = lvl;; a = a->parent) {
		for (int i = 0; i < nnodes; i++) {
			struct snode *n = &nodes[i];
			struct cli_command *c;
			char help[256], vhelp[256];

			if (n->parent != a || registered(done, ndone, n->name) || ndone == 128)
				continue;
			snprintf(done[ndone++], 64, "%s", n->name);
			first_sentence(json_get_str(n->j, "description", ""), help, sizeof(help));
			c = cli_register_command(cli, NULL, n->name, config_cb,
						 PRIVILEGE_UNPRIVILEGED, mode, help);
			if (!c)
				continue;
			if (strcmp(n->kind, "list") == 0) {
				snprintf(vhelp, sizeof(vhelp),
					 "which %s (TAB: the configured ones)", n->name);
				cli_register_optarg(c, n->argname, CLI_CMD_ARGUMENT,
						    PRIVILEGE_UNPRIVILEGED, mode, vhelp, complete,
						    NULL, NULL);
			} else if (strcmp(n->kind, "leaf") == 0 ||
				   strcmp(n->kind, "leaf-list") == 0) {
				value_help(n, vhelp, sizeof(vhelp));
				cli_register_optarg(c, n->argname,
						    json_get_bool(n->j, "multiline", false)
							    ? CLI_CMD_OPTIONAL_ARGUMENT
							    : CLI_CMD_ARGUMENT,
						    PRIVILEGE_UNPRIVILEGED, mode, vhelp, complete,
						    NULL, NULL);
			}
		}
		if (!a)
			break;
	}
}

int schema_tree_load(struct svrsh *sh)
{
	struct json *data = svrsh_call(sh, "get-schema", NULL);

	if (!data)
		return -1;
	json_free(schema_doc);
	schema_doc = data;
	nnodes = 0;
	next_mode = MODE_CONFIG + 1;
	add_nodes(json_get(schema_doc, "nodes"), NULL);
	return 0;
}

static bool in_chain(const struct snode *n, const struct snode *lvl)
{
	for (;; lvl = lvl->parent) {
		if (n->parent == lvl)
			return true;
		if (!lvl)
			return false;
	}
}

/* Configuration words starting with prefix that the current level knows
 * (its children and its ancestors'), into out (comma separated, once
 * each); returns 1 when prefix is one of them exactly. */
int schema_tree_names(const struct svrsh *sh, const char *prefix, struct strbuf *out)
{
	size_t len = strlen(prefix);
	int exact = 0;

	for (int i = 0; i < nnodes; i++) {
		bool seen = false;

		if (strncmp(nodes[i].name, prefix, len) != 0 ||
		    !in_chain(&nodes[i], sh->level_node))
			continue;
		if (strcmp(nodes[i].name, prefix) == 0)
			exact = 1;
		for (int k = 0; k < i && !seen; k++)
			seen = strcmp(nodes[k].name, nodes[i].name) == 0;
		if (!seen)
			strbuf_addf(out, "%s%s", out->len ? ", " : "", nodes[i].name);
	}
	return exact;
}

int schema_tree_build(struct svrsh *sh)
{
	if (schema_tree_load(sh) < 0)
		return -1;
	register_level(sh->cli, NULL, MODE_CONFIG);
	for (int i = 0; i < nnodes; i++)
		if (nodes[i].mode)
			register_level(sh->cli, &nodes[i], nodes[i].mode);
	return 0;
}

void schema_tree_free(void)
{
	json_free(schema_doc);
	schema_doc = NULL;
	nnodes = 0;
}

/* Follow svrd's idea of where this session is. */
void schema_tree_set_level(struct svrsh *sh, const char *schema_path)
{
	struct snode *n = schema_path && *schema_path ? by_path(schema_path) : NULL;

	sh->level_node = n;
	if (!sh->config_mode)
		cli_set_configmode(sh->cli, MODE_EXEC, NULL);
	else
		cli_set_configmode(sh->cli, n ? n->mode : MODE_CONFIG, NULL);
	cli_set_modestring(sh->cli, "");
}
