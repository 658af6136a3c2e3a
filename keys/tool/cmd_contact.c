/*
 * homeward-keys contact: set, change or remove the agency's duty contact
 * (AgencyInfo.duty_contact, PROTOCOL.md 14.5), the phone a partner calls
 * at 2 a.m. when a person has not arrived.  It is part of the signed
 * agency info, so changing it re-signs that info with the RIK (the offline
 * key, as certify and revoke need) and rewrites agency.pub; partners learn
 * it from the next exported bundle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "keys/secret.h"
#include "keys/agencydir.h"
#include "keys/passphrase.h"
#include "keys/tool/tool.h"

enum { O_DIR, O_CONTACT, O_RIK_KEY, O_RIK_FILE, O_RIK_FD, O_JSON };

static const struct opts_def contact_opts[] = {
	{ "dir", 0, 1, O_DIR },
	{ "duty-contact", 0, 1, O_CONTACT },
	{ "rik-key", 0, 1, O_RIK_KEY },
	{ "rik-passphrase-file", 0, 1, O_RIK_FILE },
	{ "rik-passphrase-fd", 0, 1, O_RIK_FD },
	{ "json", 0, 0, O_JSON },
	{ NULL, 0, 0, 0 },
};

struct contact_args {
	const char             *dir;
	const char             *contact;        /* "" removes it */
	const char             *rik_key;
	struct passphrase_src   rik_src;
	int                     json;
};

/* 0, TOOL_EXIT_USAGE (reported) or OPTS_HELP. */
static int
contact_parse(const struct tool_cmd *cmd, struct opts *o, struct contact_args *a)
{
	const char *p;
	int c;

	memset(a, 0, sizeof(*a));
	passphrase_src_init(&a->rik_src);
	while ((c = opts_next(o)) != OPTS_DONE) {
		switch (c) {
		case O_DIR: a->dir = o->arg; break;
		case O_CONTACT: a->contact = o->arg; break;
		case O_RIK_KEY: a->rik_key = o->arg; break;
		case O_JSON: a->json = 1; break;
		case O_RIK_FILE:
		case O_RIK_FD:
			if ((c == O_RIK_FILE ? passphrase_src_file(&a->rik_src, o->arg) :
			    passphrase_src_fd(&a->rik_src, o->arg)) != 0)
				return opts_usage(cmd, _("bad passphrase source"));
			break;
		case OPTS_HELP: return OPTS_HELP;
		default: return TOOL_EXIT_USAGE;
		}
	}
	if (o->npos > 0)
		return opts_usage(cmd, _("unexpected argument %s"), o->pos[0]);
	if (a->dir == NULL || a->contact == NULL)
		return opts_usage(cmd, _("--dir and --duty-contact are required "
		    "(--duty-contact \"\" removes the contact)"));
	if ((p = bundle_duty_contact_problem(a->contact)) != NULL)
		return opts_usage(cmd, _("duty contact: %s; give a phone number and/or "
		    "a few words, e.g. \"+223 20 00 00 00\""), p);
	return 0;
}

/* Sign d's agency info again with the new contact and rewrite agency.pub;
 * d->info, d->info_sig and d->pub change only when all of it worked. */
static int
resign(struct agencydir *d, const char *contact, const uint8_t *rik_sk)
{
	struct agency_info ai = d->pub.info;
	uint8_t *info = NULL, *old_info = d->info, sig[ENV1_SIG_LEN];
	uint8_t old_sig[ENV1_SIG_LEN];
	size_t infolen, old_len = d->infolen;
	uint64_t now = tool_now();
	int r;

	snprintf(ai.duty_contact, sizeof(ai.duty_contact), "%s", contact);
	/* Newer than what it replaces, even with a clock that stepped back. */
	ai.issued_at = now > ai.issued_at ? now : ai.issued_at + 1;
	if ((r = bundle_sign_agency(&ai, rik_sk, &info, &infolen, sig)) != ENV1_OK) {
		tool_warnx(_("cannot sign the agency info: %s"), env1_reason_text(r));
		return -1;
	}
	memcpy(old_sig, d->info_sig, ENV1_SIG_LEN);
	d->info = info;
	d->infolen = infolen;
	memcpy(d->info_sig, sig, ENV1_SIG_LEN);
	if (agencydir_save_pub(d, NULL, NULL) != 0) {
		d->info = old_info;
		d->infolen = old_len;
		memcpy(d->info_sig, old_sig, ENV1_SIG_LEN);
		free(info);
		return -1;
	}
	free(old_info);
	return 0;
}

static int
contact_output(const struct contact_args *a, const struct agencydir *d,
    int changed)
{
	const char *c = d->pub.info.duty_contact;

	if (a->json)
		return tool_json_print(json_pack("{s:s, s:s, s:b}", "agency_id",
		    d->pub.info.agency_id, "duty_contact", c, "changed", changed));
	if (!changed) {
		printf(_("the duty contact of %s is already %s%s%s; nothing changed\n"),
		    d->pub.info.agency_id, c[0] ? "\"" : "", c[0] ? c : _("none"),
		    c[0] ? "\"" : "");
		return TOOL_EXIT_OK;
	}
	if (c[0] != '\0')
		printf(_("duty contact of %s set to \"%s\"; %s/%s re-signed\n"),
		    d->pub.info.agency_id, c, a->dir, AGENCYDIR_PUB);
	else
		printf(_("duty contact of %s removed; %s/%s re-signed\n"),
		    d->pub.info.agency_id, a->dir, AGENCYDIR_PUB);
	printf(_("send the new bundle to partners: homeward-keys export --dir %s -o FILE\n"),
	    a->dir);
	return TOOL_EXIT_OK;
}

int
cmd_contact(const struct tool_cmd *cmd, int argc, char **argv)
{
	struct contact_args a;
	struct agencydir d;
	struct opts o;
	char *rik_pass = NULL;
	size_t rik_passlen = 0;
	uint8_t *rik_sk = NULL;
	int r, rc = TOOL_EXIT_FAIL;

	memset(&d, 0, sizeof(d));
	if (opts_init(&o, cmd, contact_opts, argc, argv) != 0)
		return TOOL_EXIT_FAIL;
	if ((r = contact_parse(cmd, &o, &a)) != 0) {
		rc = r == OPTS_HELP ? opts_help(cmd) : r;
		goto out;
	}
	tool_set_quiet(a.json);
	if (agencydir_load(a.dir, 0, &d) != 0)
		goto out;
	/* The same value needs no signature, so no RIK either. */
	if (strcmp(d.pub.info.duty_contact, a.contact) == 0) {
		rc = contact_output(&a, &d, 0);
		goto out;
	}
	if (passphrase_get(&a.rik_src, "RIK key file", 0, &rik_pass, &rik_passlen) != 0 ||
	    agencydir_open_rik(&d, a.rik_key, rik_pass, rik_passlen, &rik_sk) != 0 ||
	    resign(&d, a.contact, rik_sk) != 0)
		goto out;
	rc = contact_output(&a, &d, 1);
out:
	secret_free(rik_sk);
	secret_free(rik_pass);
	agencydir_free(&d);
	opts_free(&o);
	return rc;
}
