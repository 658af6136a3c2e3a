/*
 * homeward-keys verify-evidence: what a court or an auditor runs.  Given a
 * message's evidence (an Evidence or a SignedMessage), optionally its
 * receipt, and the sender's and recipient's bundles, say who sent what type
 * of message to whom and when, and that it was received; or exactly why
 * the proof fails.  Exit 0 only when both the message and its receipt
 * verify; a message without a receipt is authentic but its delivery is
 * not proven, and that exits 1.  Evidence without the document (an
 * auditor's export, body_withheld) proves the same, and says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "common/hex.h"
#include "common/i18n.h"
#include "common/msgtype.h"
#include "keys/evidence.h"
#include "keys/fingerprint.h"
#include "keys/agencydir.h"
#include "keys/tool/tool.h"

enum { O_SENDER, O_RECIPIENT, O_JSON };

static const struct opts_def verify_opts[] = {
	{ "sender", 0, 1, O_SENDER },
	{ "recipient", 0, 1, O_RECIPIENT },
	{ "json", 0, 0, O_JSON },
	{ NULL, 0, 0, 0 },
};

static int
read_file(const char *path, uint8_t **buf, size_t *len)
{
	int r;

	if ((r = fileio_read(path, EVIDENCE_MAX_LEN, 0, buf, len)) != 0) {
		tool_warn_errno(-r, _("cannot read %s"), path);
		return -1;
	}
	return 0;
}

static int
report(const struct evidence_report *rep, const struct bundle *s,
    const struct bundle *r, int json)
{
	char mid[HEX_BUFLEN(ENV1_ID_LEN)], thread[HEX_BUFLEN(ENV1_ID_LEN)];
	char skid[FP_KEYID_BUFLEN], rkid[FP_KEYID_BUFLEN], type[16];
	char created[TOOL_TIME_BUFLEN], received[TOOL_TIME_BUFLEN];
	char committed[TOOL_TIME_BUFLEN], hinner[HEX_BUFLEN(32)];
	const char *tname;
	json_t *j;

	hex_encode(rep->message_id, ENV1_ID_LEN, mid);
	hex_encode(rep->thread_id, ENV1_ID_LEN, thread);
	hex_encode(rep->h_inner, 32, hinner);
	fp_key_id(s->keys.rik, skid);
	fp_key_id(r->keys.rik, rkid);
	tool_time(rep->created_at, created);
	tool_time(rep->received_at, received);
	tool_time(rep->committed_at, committed);
	tname = msgtype_name(rep->msg_type, type, sizeof(type));
	if (json) {
		j = json_pack("{s:b, s:b, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s}, "
		    "s:s, s:s, s:I, s:s}",
		    "verified", rep->receipted, "authentic", 1, "message_id", mid,
		    "msg_type", tname,
		    "sender", "agency_id", s->info.agency_id, "key_id", skid,
		    "recipient", "agency_id", r->info.agency_id, "key_id", rkid,
		    "created_at", created, "thread_id", thread,
		    "seq", (json_int_t)rep->seq, "h_inner", hinner);
		if (j != NULL && rep->receipted)
			json_object_set_new(j, "receipt", json_pack("{s:s, s:s, s:s, s:i}",
			    "received_at", received, "committed_at", committed,
			    "signed_by", r->info.agency_id,
			    "h_env_matches", rep->receipt_h_env_matches));
		if (j != NULL && !rep->receipted)
			json_object_set_new(j, "why", json_string(
			    "no receipt: delivery is not proven"));
		if (j != NULL)
			json_object_set_new(j, "body_withheld",
			    json_boolean(rep->body_withheld));
		if (tool_json_print(j) != TOOL_EXIT_OK)
			return TOOL_EXIT_FAIL;
		return rep->receipted ? TOOL_EXIT_OK : TOOL_EXIT_FAIL;
	}
	/* Said first: what follows is proven, but of a document not shown. */
	if (rep->body_withheld)
		printf(_("note: the document is withheld from this evidence; its "
		    "signed content hash stands for it, so whoever holds the "
		    "document can show it is this one\n"));
	if (!rep->receipted) {
		printf(_("authentic: message %s (%s) from %s [%s] to %s [%s], created %s, "
		    "thread %s seq %llu\n"), mid, tname, s->info.agency_id, skid,
		    r->info.agency_id, rkid, created, thread,
		    (unsigned long long)rep->seq);
		printf(_("delivery not proven: no receipt given\n"));
		return TOOL_EXIT_FAIL;
	}
	printf(_("verified: message %s (%s) from %s [%s] to %s [%s], created %s, "
	    "thread %s seq %llu; received %s, committed %s, receipt signed by %s\n"),
	    mid, tname, s->info.agency_id, skid, r->info.agency_id, rkid, created,
	    thread, (unsigned long long)rep->seq, received, committed,
	    r->info.agency_id);
	if (rep->receipt_h_env_matches == 0)
		printf(_("note: the receipt names another envelope of this message "
		    "(a retransmission)\n"));
	else if (rep->receipt_h_env_matches < 0)
		printf(_("note: the envelope's ciphertext is not in the evidence, so the "
		    "receipt's H_env was not compared\n"));
	return TOOL_EXIT_OK;
}

int
cmd_verify_evidence(const struct tool_cmd *cmd, int argc, char **argv)
{
	struct bundle sender, recipient;
	struct evidence_report rep;
	struct opts o;
	char why[EVIDENCE_WHY_LEN];
	const char *sfile = NULL, *rfile = NULL;
	uint8_t *msg = NULL, *rcpt = NULL;
	size_t msglen = 0, rcptlen = 0;
	int c, r, json = 0, rc = TOOL_EXIT_FAIL;

	memset(&sender, 0, sizeof(sender));
	memset(&recipient, 0, sizeof(recipient));
	if (opts_init(&o, cmd, verify_opts, argc, argv) != 0)
		return TOOL_EXIT_FAIL;
	while ((c = opts_next(&o)) != OPTS_DONE) {
		switch (c) {
		case O_SENDER: sfile = o.arg; break;
		case O_RECIPIENT: rfile = o.arg; break;
		case O_JSON: json = 1; break;
		case OPTS_HELP: rc = opts_help(cmd); goto out;
		default: rc = TOOL_EXIT_USAGE; goto out;
		}
	}
	if (o.npos < 1 || o.npos > 2 || sfile == NULL || rfile == NULL) {
		rc = opts_usage(cmd, _("give EVIDENCE [RECEIPT], --sender and --recipient"));
		goto out;
	}
	if (read_file(o.pos[0], &msg, &msglen) != 0 ||
	    (o.npos == 2 && read_file(o.pos[1], &rcpt, &rcptlen) != 0) ||
	    agencydir_read_bundle(sfile, &sender) != 0 ||
	    agencydir_read_bundle(rfile, &recipient) != 0)
		goto out;
	memset(&rep, 0, sizeof(rep));
	why[0] = '\0';
	r = evidence_verify(msg, msglen, rcpt, rcptlen, &sender, &recipient, &rep, why);
	if (r != ENV1_OK) {
		if (json)
			tool_json_print(json_pack("{s:b, s:s, s:s}", "verified", 0,
			    "reason", env1_reason_name(r),
			    "why", why[0] ? why : env1_reason_text(r)));
		else
			printf(_("evidence does not verify: %s\n"),
			    why[0] ? why : env1_reason_text(r));
		goto out;
	}
	rc = report(&rep, &sender, &recipient, json);
out:
	free(msg);
	free(rcpt);
	bundle_free(&sender);
	bundle_free(&recipient);
	opts_free(&o);
	return rc;
}
