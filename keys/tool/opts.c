/*
 * Command-line options for homeward-keys.  getopt_long accepts any
 * unambiguous prefix of a long option, so "--passphrase SECRET" would be
 * taken as "--passphrase-file SECRET" by a command with only that option:
 * the secret would then be a path and could end up in an error message.
 * This parser matches long names exactly and never echoes an unknown
 * option's value ("--passphrase=x" is reported as "--passphrase").
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "keys/tool/tool.h"
#include "common/strnum.h"

int
opts_init(struct opts *o, const struct tool_cmd *cmd, const struct opts_def *defs,
    int argc, char **argv)
{
	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	o->defs = defs;
	o->argc = argc;
	o->argv = argv;
	o->i = 1;
	o->pos = calloc((size_t)argc + 1, sizeof(*o->pos));
	if (o->pos == NULL) {
		tool_warn_errno(errno, _("out of memory"));
		return -1;
	}
	return 0;
}

void
opts_free(struct opts *o)
{
	if (o == NULL)
		return;
	free(o->pos);
	o->pos = NULL;
	o->npos = 0;
}

static const struct opts_def *
find_long(const struct opts_def *defs, const char *name, size_t len)
{
	for (; defs->name != NULL; defs++)
		if (strlen(defs->name) == len && strncmp(defs->name, name, len) == 0)
			return defs;
	return NULL;
}

static const struct opts_def *
find_short(const struct opts_def *defs, char c)
{
	for (; defs->name != NULL; defs++)
		if (defs->letter != 0 && defs->letter == c)
			return defs;
	return NULL;
}

int
opts_next(struct opts *o)
{
	const struct opts_def *d;
	const char *a, *eq;
	size_t namelen;

	o->arg = NULL;
	while (o->i < o->argc) {
		a = o->argv[o->i++];
		if (o->only_pos || a[0] != '-' || a[1] == '\0') {
			o->pos[o->npos++] = (char *)a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			o->only_pos = 1;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return OPTS_HELP;
		if (a[1] == '-') {
			eq = strchr(a + 2, '=');
			namelen = eq != NULL ? (size_t)(eq - (a + 2)) : strlen(a + 2);
			if ((d = find_long(o->defs, a + 2, namelen)) == NULL) {
				/* Name only: the value may be something secret. */
				opts_usage(o->cmd, _("unknown option --%.*s"), (int)namelen, a + 2);
				return OPTS_ERROR;
			}
			if (!d->has_arg && eq != NULL) {
				opts_usage(o->cmd, _("option --%s takes no value"), d->name);
				return OPTS_ERROR;
			}
			if (d->has_arg)
				o->arg = eq != NULL ? eq + 1 : NULL;
		} else {
			if (a[2] != '\0' || (d = find_short(o->defs, a[1])) == NULL) {
				opts_usage(o->cmd, _("unknown option -%c"), a[1]);
				return OPTS_ERROR;
			}
		}
		if (d->has_arg && o->arg == NULL) {
			if (o->i >= o->argc) {
				opts_usage(o->cmd, _("option --%s needs a value"), d->name);
				return OPTS_ERROR;
			}
			o->arg = o->argv[o->i++];
		}
		return d->id;
	}
	return OPTS_DONE;
}

int
opts_help(const struct tool_cmd *cmd)
{
	printf(_("usage: homeward-keys %s %s\n\n%s\n"), cmd->name, cmd->synopsis,
	    _(cmd->summary));
	if (cmd->help != NULL && cmd->help[0] != '\0') {
		printf("\n");
		i18n_paragraphs(cmd->help, stdout);
	}
	return TOOL_EXIT_OK;
}

int
opts_usage(const struct tool_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "homeward-keys: %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, _("\nusage: homeward-keys %s %s\n"
	    "(see 'homeward-keys %s --help')\n"), cmd->name, cmd->synopsis, cmd->name);
	return TOOL_EXIT_USAGE;
}

int
opts_number(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	return strnum_u64(s, min, max, out);
}
