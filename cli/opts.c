/*
 * Command-line parsing for homeward: getopt_long per command with errors
 * reported against the command's synopsis, the generated help, and the
 * parsers for the values operators type (numbers, message types, ids,
 * agency ids, fingerprints, times).  Nothing here talks to the daemon or prints
 * results: parsing is kept apart from output.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/refnames.h"
#include "common/docjson.h"
#include "common/hex.h"
#include "common/i18n.h"
#include "common/strnum.h"
#include "keys/fingerprint.h"
#include "keys/bundle.h"

const char *
cli_cmd_name(const struct cli_cmd *cmd, char *buf, size_t len)
{
	if (cmd->sub != NULL)
		snprintf(buf, len, "%s %s", cmd->group, cmd->sub);
	else
		snprintf(buf, len, "%s", cmd->group);
	return buf;
}

int
cli_help(const struct cli_cmd *cmd)
{
	char name[48];

	printf(_("usage: homeward %s %s\n\n%s\n"), cli_cmd_name(cmd, name,
	    sizeof(name)), cmd->synopsis, _(cmd->summary));
	if (cmd->help != NULL && cmd->help[0] != '\0') {
		printf("\n");
		i18n_paragraphs(cmd->help, stdout);
	}
	return CLI_EXIT_OK;
}

int
cli_usage(const struct cli_cmd *cmd, const char *fmt, ...)
{
	char name[48];
	va_list ap;

	cli_cmd_name(cmd, name, sizeof(name));
	fprintf(stderr, "homeward: %s: ", name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, _("\nusage: homeward %s %s\n(see 'homeward %s --help')\n"),
	    name, cmd->synopsis, name);
	return CLI_EXIT_USAGE;
}

int
cli_getopt(const struct cli_cmd *cmd, int argc, char **argv,
    const char *shortopts, const struct option *longopts)
{
	static char **current;
	const char *a;
	int c, n;

	if (argv != current) {
		current = argv;
		optind = 0;             /* GNU: start over, permuting again */
	}
	opterr = 0;
	c = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (c == -1)
		current = NULL;
	if (c == 'h')
		return CLI_OPT_HELP;
	if (c == 'j')           /* --json: homewardd answers in English */
		cli_json_output = 1;
	if (c != '?' && c != ':')
		return c;
	current = NULL;
	a = argv[optind - 1];
	/* The option's name only, never what follows '='. */
	n = (int)strcspn(a, "=");
	if (c == ':')
		cli_usage(cmd, _("option %.*s needs a value"), n, a);
	else if (optopt != 0 && strncmp(a, "--", 2) != 0)
		cli_usage(cmd, _("unknown option -%c"), optopt);
	else if (optopt != 0)
		cli_usage(cmd, _("option %.*s takes no value"), n, a);
	else
		cli_usage(cmd, _("unknown option %.*s"), n, a);
	return CLI_OPT_ERROR;
}

int
cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	return strnum_u64(s, min, max, out);
}

int
cli_parse_msg_type(const char *s, uint32_t *out)
{
	unsigned long v;
	char *end;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (!isxdigit((unsigned char)s[2]))
			return -1;
		v = strtoul(s + 2, &end, 16);
	} else {
		v = strtoul(s, &end, 10);
	}
	if (errno != 0 || *end != '\0' || v < 1 || v > 0xffff)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int
cli_parse_id(const char *s, uint8_t out[16])
{
	return s == NULL ? -1 : hex_decode(s, out, 16);
}

int
cli_check_agency(const char *s)
{
	return bundle_agency_id_problem(s) == NULL ? 0 : -1;
}

int
cli_parse_fingerprint(const char *s, char *out, size_t outlen)
{
	char digits[41];
	size_t n = 0, o = 0;

	if (outlen < FP_DISPLAY_BUFLEN)
		return -1;
	/* People read fingerprints in groups; separators are theirs. */
	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '-' || *s == '\t')
			continue;
		if (*s < '0' || *s > '9' || n == 40)
			return -1;
		digits[n++] = *s;
	}
	if (n != 40)
		return -1;
	for (size_t i = 0; i < 40; i++) {
		if (i > 0 && i % 5 == 0)
			out[o++] = ' ';
		out[o++] = digits[i];
	}
	out[o] = '\0';
	return 0;
}

int
cli_case_ref(const struct cli_cmd *cmd, const char *code, const char *home,
    Homeward__Control__CaseRef *ref)
{
	homeward__control__case_ref__init(ref);
	if (refnames_check_case_code(code) != 0)
		return cli_usage(cmd, _("a case code is 1-%d of letters, digits, "
		    "'-', '_', '.' and '/'"), REFNAMES_CASE_CODE_MAX);
	if (home != NULL && cli_check_agency(home) != 0)
		return cli_usage(cmd, _("--home is an agency id: 1-63 of a-z, 0-9 "
		    "and '-'"));
	ref->code = (char *)code;
	if (home != NULL)
		ref->home = (char *)home;
	return 0;
}

int
cli_parse_time(const char *s, uint64_t *ms)
{
	if (s == NULL || s[0] == '\0')
		return -1;
	if (strspn(s, "0123456789") == strlen(s))
		return strnum_u64(s, 1, INT64_MAX, ms);
	return docjson_parse_time(s, ms) == 0 ? 0 : -1;
}

int
cli_check_output(const char *path, int force)
{
	struct stat st;

	if (strcmp(path, "-") == 0 || force || lstat(path, &st) != 0)
		return 0;
	cli_warnx(_("%s exists: use --force to replace it"), path);
	return -1;
}
