/*
 * homeward-keys inspect FILE: say what a file is and what is in it, or
 * exactly which field is wrong.  Recognised: key files (magic "ENV1KEY\0":
 * the header always, the public parts of the contents with a passphrase),
 * prekeys.dat, bundles (export or agency.pub: bundle_parse says which
 * field fails), and evidence (an Evidence or a SignedMessage: shown, not
 * verified; verify-evidence does that).  Secrets are never printed; a
 * message body is shown by length only, since it may hold personal data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/fileio.h"
#include "common/hex.h"
#include "common/i18n.h"
#include "common/msgtype.h"
#include "keys/evidence.h"
#include "keys/fingerprint.h"
#include "keys/receipt.h"
#include "keys/secret.h"
#include "keys/agencydir.h"
#include "keys/passphrase.h"
#include "keys/tool/tool.h"
#include "proto/keys.pb-c.h"

enum { O_PASS_FILE, O_PASS_FD, O_ASK, O_JSON };

static const struct opts_def inspect_opts[] = {
	{ "ask", 0, 0, O_ASK },
	{ "passphrase-file", 0, 1, O_PASS_FILE },
	{ "passphrase-fd", 0, 1, O_PASS_FD },
	{ "json", 0, 0, O_JSON },
	{ NULL, 0, 0, 0 },
};

#define INSPECT_MAX_LEN         EVIDENCE_MAX_LEN

/* --- key files --- */

static json_t *
cert_json(const struct stmt_dsk_cert *c)
{
	char usage[48];

	return json_pack("{s:o, s:I, s:o, s:o, s:s}",
	    "dsk", tool_json_hex(c->dsk_pub, ENV1_KEY_LEN),
	    "serial", (json_int_t)c->serial,
	    "not_before", tool_json_time(c->not_before),
	    "not_after", tool_json_time(c->not_after),
	    "usage", tool_usage_name(c->usage, usage, sizeof(usage)));
}

static void
cert_print(const char *indent, const struct stmt_dsk_cert *c, uint64_t now)
{
	char dsk[HEX_BUFLEN(32)], nb[TOOL_TIME_BUFLEN], na[TOOL_TIME_BUFLEN];
	char usage[48];

	hex_encode(c->dsk_pub, ENV1_KEY_LEN, dsk);
	tool_time(c->not_before, nb);
	tool_time(c->not_after, na);
	printf(_("%sserial %llu  dsk %s\n%s  valid %s .. %s%s  usage %s\n"), indent,
	    (unsigned long long)c->serial, dsk, indent, nb, na,
	    now > c->not_after ? _(" (expired)") : now < c->not_before ?
	    " (not yet valid)" : "", tool_usage_name(c->usage, usage, sizeof(usage)));
}

/* Open with a passphrase: RIK first when the parameters allow it, and the
 * other kind when the payload says it is not that kind. */
static int
open_any(const char *path, const struct agencydir_keyhdr *h, const char *pass,
    size_t passlen, struct keyfile_contents *out)
{
	struct keyfile_params rikmin;
	struct keyfile_contents tmp;
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	keyfile_min_params(KEYFILE_RIK, &rikmin);
	if ((r = keyfile_read(path, &buf, &len)) != ENV1_OK) {
		tool_warnx("%s: %s", path, env1_reason_text(r));
		return -1;
	}
	r = ENV1_R_KEYFILE_PAYLOAD;
	if (h->params.opslimit >= rikmin.opslimit &&
	    h->params.memlimit >= rikmin.memlimit)
		r = keyfile_open(buf, len, pass, passlen, KEYFILE_RIK, &tmp);
	if (r == ENV1_R_KEYFILE_PAYLOAD)
		r = keyfile_open(buf, len, pass, passlen, KEYFILE_DAEMON, &tmp);
	free(buf);
	if (r != ENV1_OK) {
		if (r == ENV1_R_KEYFILE_PASSPHRASE)
			tool_warnx(_("%s: wrong passphrase"), path);
		else
			tool_warnx("%s: %s", path, env1_reason_text(r));
		return -1;
	}
	*out = tmp;
	return 0;
}

/* The header, through keyfile_read: a key file others can read is
 * refused.  0, or -1 (reported). */
static int
read_keyhdr(const char *path, struct agencydir_keyhdr *h)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	if ((r = keyfile_read(path, &buf, &len)) != ENV1_OK) {
		if (r == ENV1_R_KEYFILE_PERMISSIONS)
			tool_warnx(_("%s: refused: readable by group or others, or a "
			    "symlink (chmod 600 it)"), path);
		else
			tool_warnx("%s: %s", path, env1_reason_text(r));
		return -1;
	}
	r = agencydir_keyhdr(buf, len, h);
	free(buf);
	if (r != 0) {
		tool_warnx(_("%s: key file header: truncated"), path);
		return -1;
	}
	return 0;
}

/* The header printed, or as a JSON object to add the contents to (NULL
 * when printed). */
static json_t *
keyhdr_show(const char *path, const struct agencydir_keyhdr *h, int json)
{
	if (json)
		return json_pack("{s:s, s:s, s:i, s:s, s:I, s:I, s:I}", "file", path,
		    "type", "keyfile", "version", h->version, "kdf",
		    h->kdf == 1 ? "argon2id13" : _("unknown"),
		    "opslimit", (json_int_t)h->params.opslimit,
		    "memlimit", (json_int_t)h->params.memlimit,
		    "ciphertext_len", (json_int_t)h->ct_len);
	printf(_("%s: ENV1 key file, format version %u\n"), path, h->version);
	printf(_("  kdf          %s, opslimit %llu, memlimit %llu MiB\n"),
	    h->kdf == 1 ? "Argon2id v1.3" : _("unknown"),
	    (unsigned long long)h->params.opslimit,
	    (unsigned long long)(h->params.memlimit >> 20));
	printf(_("  payload      %lu bytes, encrypted\n"), (unsigned long)h->ct_len);
	return NULL;
}

/* The public parts of an opened key file, into j or printed. */
static void
contents_show(const struct keyfile_contents *kc, json_t *j, int json)
{
	uint8_t rik_pub[ENV1_KEY_LEN], rik_sk[64];
	char fp[FP_DISPLAY_BUFLEN], kid[FP_KEYID_BUFLEN];

	if (kc->kind == KEYFILE_RIK) {
		crypto_sign_seed_keypair(rik_pub, rik_sk, kc->rik_seed);
		sodium_memzero(rik_sk, sizeof(rik_sk));
		fp_display(rik_pub, fp);
		fp_key_id(rik_pub, kid);
		if (json) {
			json_object_set_new(j, "kind", json_string("rik"));
			json_object_set_new(j, "rik", tool_json_hex(rik_pub, 32));
			json_object_set_new(j, "fingerprint", json_string(fp));
			json_object_set_new(j, "key_id", json_string(kid));
		} else {
			printf(_("  kind         RIK (root identity key)\n"));
			printf(_("  fingerprint  %s\n  key id       %s\n"), fp, kid);
		}
	} else {
		if (json) {
			json_object_set_new(j, "kind", json_string("daemon"));
			if (kc->has_cert)
				json_object_set_new(j, "dsk_cert", cert_json(&kc->cert));
			json_object_set_new(j, "tls_key_ref",
			    json_string(kc->tls_key_ref));
			json_object_set_new(j, "has_ksk", json_boolean(kc->ksk != NULL));
		} else {
			printf(_("  kind         daemon key file\n"));
			if (kc->has_cert) {
				fp_key_id(kc->cert.issuer_rik, kid);
				printf(_("  certificate  issued by RIK %s\n"), kid);
				cert_print("    ", &kc->cert, tool_now());
			}
			printf(_("  tls key      %s\n"), kc->tls_key_ref);
			printf(_("  keystore key %s\n"),
			    kc->ksk != NULL ? _("present") : _("absent"));
		}
	}
}

static int
inspect_keyfile(const char *path, const struct passphrase_src *src, int ask,
    int json)
{
	struct agencydir_keyhdr h;
	struct keyfile_contents kc;
	char *pass = NULL;
	size_t passlen = 0;
	int rc = TOOL_EXIT_FAIL;
	json_t *j;

	memset(&kc, 0, sizeof(kc));
	if (read_keyhdr(path, &h) != 0)
		return TOOL_EXIT_FAIL;
	if (ask) {
		if (passphrase_get(src, "key file", 0, &pass, &passlen) != 0 ||
		    open_any(path, &h, pass, passlen, &kc) != 0)
			goto out;
	}
	j = keyhdr_show(path, &h, json);
	if (ask)
		contents_show(&kc, j, json);
	else if (!json)
		printf(_("  (give --passphrase-file or --passphrase-fd to see "
		    "the public parts of the contents)\n"));
	rc = j != NULL ? tool_json_print(j) : TOOL_EXIT_OK;
out:
	keyfile_contents_free(&kc);
	secret_free(pass);
	return rc;
}

/* --- prekeys.dat --- */

static const char *
prekey_state(const struct stmt_spk *s, uint64_t now)
{
	if (now > s->retain_until)
		return N_("past retain_until: rotate-prekeys deletes its secret");
	if (now > s->not_after)
		return N_("expired, secret retained");
	if (now < s->not_before)
		return N_("future");
	return N_("current");
}

static int
inspect_prekeys(const char *path, const uint8_t *buf, size_t len, int json)
{
	struct spkfile f;
	char why[SPKFILE_WHY_LEN], id[17], t[3][TOOL_TIME_BUFLEN];
	uint64_t now = tool_now();
	json_t *arr;
	int r;

	if ((r = spkfile_decode(buf, len, &f, why)) != ENV1_OK) {
		tool_warnx(_("%s: prekeys.dat refused: %s"), path, why);
		return TOOL_EXIT_FAIL;
	}
	arr = json ? json_array() : NULL;
	if (!json)
		printf(_("%s: prekeys.dat, %zu prekey(s)\n"), path, f.n);
	for (size_t i = 0; i < f.n; i++) {
		const struct stmt_spk *s = &f.e[i].stmt;
		int sig_ok = stmt_spk_verify(s) == ENV1_OK;

		spkfile_id_format(s->spk_id, id);
		if (json) {
			json_array_append_new(arr, json_pack(
			    "{s:s, s:o, s:o, s:o, s:o, s:b, s:s}", "spk_id", id,
			    "not_before", tool_json_time(s->not_before),
			    "not_after", tool_json_time(s->not_after),
			    "retain_until", tool_json_time(s->retain_until),
			    "signer_dsk", tool_json_hex(s->signer_dsk, 32),
			    "signature_ok", sig_ok, "state", prekey_state(s, now)));
			continue;
		}
		tool_time(s->not_before, t[0]);
		tool_time(s->not_after, t[1]);
		tool_time(s->retain_until, t[2]);
		printf(_("  spk %s  %s .. %s  retained until %s  (%s%s)\n"), id,
		    t[0], t[1], t[2], _(prekey_state(s, now)),
		    sig_ok ? "" : _("; SIGNATURE DOES NOT VERIFY"));
	}
	spkfile_free(&f);
	if (json)
		return tool_json_print(json_pack("{s:s, s:s, s:o}", "file", path,
		    "type", "prekeys", "prekeys", arr));
	return TOOL_EXIT_OK;
}

/* --- bundles --- */

static json_t *
bundle_json(const char *path, const struct bundle *b, const char *fp,
    const char *kid)
{
	const struct peerkeys *k = &b->keys;
	json_t *certs = json_array(), *pks = json_array(), *revs = json_array();
	char id[17];

	for (size_t i = 0; i < k->ncerts; i++) {
		json_t *c = cert_json(&k->certs[i]);

		json_object_set_new(c, "revoked", json_boolean(
		    peerkeys_is_revoked(k, k->certs[i].dsk_pub, STMT_REVOKE_DSK)));
		json_array_append_new(certs, c);
	}
	for (size_t i = 0; i < k->nprekeys; i++) {
		spkfile_id_format(k->prekeys[i].spk_id, id);
		json_array_append_new(pks, json_pack("{s:s, s:o, s:o}",
		    "spk_id", id,
		    "not_before", tool_json_time(k->prekeys[i].not_before),
		    "not_after", tool_json_time(k->prekeys[i].not_after)));
	}
	for (size_t i = 0; i < k->nrevocations; i++)
		json_array_append_new(revs, json_pack("{s:s, s:o, s:o, s:s}",
		    "kind", tool_revoke_kind_name(k->revocations[i].kind),
		    "key", tool_json_hex(k->revocations[i].revoked_key, 32),
		    "revoked_at", tool_json_time(k->revocations[i].revoked_at),
		    "reason", tool_revoke_reason_name(k->revocations[i].reason)));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
	    "s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:i}",
	    "file", path, "type", "bundle", "agency_id", b->info.agency_id,
	    "name", b->info.name, "country", b->info.country,
	    "time_zone", b->info.time_zone, "endpoint", b->info.endpoint,
	    "duty_contact", b->info.duty_contact,
	    "fingerprint", fp, "key_id", kid,
	    "rik", tool_json_hex(k->rik, 32),
	    "tls_spki_sha256", tool_json_hex(b->info.tls_spki_sha256, 32),
	    "issued_at", tool_json_time(b->info.issued_at),
	    "dsk_certs", certs, "prekeys", pks, "revocations", revs,
	    "transitions", (int)b->ntransitions);
}

static void
bundle_print(const char *path, const struct bundle *b, const char *fp,
    const char *kid, uint64_t now)
{
	const struct peerkeys *k = &b->keys;
	char t[3][TOOL_TIME_BUFLEN], id[17], hex[HEX_BUFLEN(32)];

	tool_time(b->info.issued_at, t[0]);
	hex_encode(b->info.tls_spki_sha256, 32, hex);
	printf(_("%s: agency bundle, all signatures verify\n"), path);
	printf(_("  agency       %s\n  name         %s\n  country      %s\n"
	    "  time zone    %s\n  endpoint     %s\n"), b->info.agency_id, b->info.name,
	    b->info.country, b->info.time_zone,
	    b->info.endpoint[0] ? b->info.endpoint : _("(none: dials out)"));
	printf(_("  duty contact %s\n"), b->info.duty_contact[0] ? b->info.duty_contact :
	    _("(none: set one with homeward-keys contact)"));
	printf(_("  fingerprint  %s\n  key id       %s\n  tls spki     %s\n"
	    "  issued       %s\n"), fp, kid, hex, t[0]);
	printf(_("  certificates %zu\n"), k->ncerts);
	for (size_t i = 0; i < k->ncerts; i++) {
		cert_print("    ", &k->certs[i], now);
		if (peerkeys_is_revoked(k, k->certs[i].dsk_pub, STMT_REVOKE_DSK))
			printf(_("      REVOKED\n"));
	}
	printf(_("  prekeys      %zu\n"), k->nprekeys);
	for (size_t i = 0; i < k->nprekeys; i++) {
		spkfile_id_format(k->prekeys[i].spk_id, id);
		tool_time(k->prekeys[i].not_before, t[1]);
		tool_time(k->prekeys[i].not_after, t[2]);
		printf(_("    spk %s  %s .. %s\n"), id, t[1], t[2]);
	}
	printf(_("  revocations  %zu\n"), k->nrevocations);
	for (size_t i = 0; i < k->nrevocations; i++) {
		const struct stmt_revocation *rv = &k->revocations[i];

		hex_encode(rv->revoked_key, 32, hex);
		tool_time(rv->revoked_at, t[1]);
		printf(_("    revoked %s %s at %s (%s)\n"), tool_revoke_kind_name(rv->kind),
		    hex, t[1], tool_revoke_reason_name(rv->reason));
	}
	if (b->ntransitions > 0)
		printf(_("  transitions  %zu (this RIK replaced an earlier one)\n"),
		    b->ntransitions);
	if (k->suspended)
		printf(_("  WARNING: this agency's RIK is revoked\n"));
}

static int
inspect_bundle(const char *path, const uint8_t *buf, size_t len, int json)
{
	struct bundle b;
	char why[BUNDLE_WHY_LEN], fp[FP_DISPLAY_BUFLEN], kid[FP_KEYID_BUFLEN];
	uint64_t now = tool_now();
	int r;

	if ((r = bundle_parse(buf, len, &b, why)) != ENV1_OK) {
		tool_warnx(_("%s: bundle refused: %s"), path,
		    why[0] ? why : env1_reason_text(r));
		return TOOL_EXIT_FAIL;
	}
	fp_display(b.keys.rik, fp);
	fp_key_id(b.keys.rik, kid);
	if (json) {
		r = tool_json_print(bundle_json(path, &b, fp, kid));
	} else {
		bundle_print(path, &b, fp, kid, now);
		r = TOOL_EXIT_OK;
	}
	bundle_free(&b);
	return r;
}

/* --- evidence --- */

static json_t *
message_json(const Homeward__Keys__SignedMessage *m)
{
	struct env1_tbs tbs;
	char name[16];

	if (m->tbs.len != ENV1_TBS_LEN || env1_tbs_decode(m->tbs.data, &tbs) != ENV1_OK)
		return json_pack("{s:s}", "error", "tbs: not a 316-byte signed block");
	return json_pack("{s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:b, s:b}",
	    "message_id", tool_json_hex(tbs.message_id, ENV1_ID_LEN),
	    "msg_type", msgtype_name(tbs.msg_type, name, sizeof(name)),
	    "created_at", tool_json_time(tbs.created_at),
	    "sender_rik", tool_json_hex(tbs.sender_rik, 32),
	    "recipient_rik", tool_json_hex(tbs.recipient_rik, 32),
	    "signer_dsk", tool_json_hex(tbs.signer_dsk, 32),
	    "thread_id", tool_json_hex(tbs.thread_id, ENV1_ID_LEN),
	    "seq", (json_int_t)tbs.seq, "body_len", (json_int_t)(m->body_withheld ?
	    tbs.body_len : m->body.len), "ciphertext", m->ciphertext.len > 0,
	    "body_withheld", m->body_withheld);
}

static void
message_print(const char *what, const Homeward__Keys__SignedMessage *m)
{
	struct env1_tbs tbs;
	struct receipt rc;
	char name[16], t[TOOL_TIME_BUFLEN], mid[33], thread[33];
	char s[FP_KEYID_BUFLEN], r[FP_KEYID_BUFLEN];

	if (m->header.len != ENV1_HDR_LEN || m->tbs.len != ENV1_TBS_LEN ||
	    m->sig.len != ENV1_SIG_LEN || env1_tbs_decode(m->tbs.data, &tbs) != ENV1_OK) {
		printf(_("  %s: malformed (header %zu, tbs %zu, sig %zu bytes)\n"), what,
		    m->header.len, m->tbs.len, m->sig.len);
		return;
	}
	hex_encode(tbs.message_id, ENV1_ID_LEN, mid);
	hex_encode(tbs.thread_id, ENV1_ID_LEN, thread);
	tool_time(tbs.created_at, t);
	fp_key_id(tbs.sender_rik, s);
	fp_key_id(tbs.recipient_rik, r);
	printf(_("  %s\n    message    %s (%s)\n    created    %s\n"
	    "    from RIK   %s\n    to RIK     %s\n    thread     %s seq %llu\n"
	    "    body       %llu bytes%s%s\n"), what, mid,
	    msgtype_name(tbs.msg_type, name, sizeof(name)), t, s, r, thread,
	    (unsigned long long)tbs.seq, (unsigned long long)(m->body_withheld ?
	    tbs.body_len : m->body.len), m->body_withheld ? _(", withheld") : "",
	    m->ciphertext.len > 0 ? _(", ciphertext included") : "");
	if (tbs.msg_type == ENV1_MSG_DELIVERY_RECEIPT &&
	    receipt_decode(m->body.data, m->body.len, &rc) == ENV1_OK) {
		hex_encode(rc.message_id, ENV1_ID_LEN, mid);
		tool_time(rc.received_at, t);
		printf(_("    receipt for message %s, received %s\n"), mid, t);
	}
}

static int
inspect_evidence(const char *path, const Homeward__Keys__SignedMessage *msg,
    const Homeward__Keys__SignedMessage *rcpt, int json)
{
	if (json)
		return tool_json_print(json_pack("{s:s, s:s, s:o, s:o, s:s}",
		    "file", path, "type", rcpt != NULL || msg == NULL ? "evidence" :
		    "signed_message", "message", msg ? message_json(msg) : json_null(),
		    "receipt", rcpt ? message_json(rcpt) : json_null(),
		    "verified", "no: use verify-evidence"));
	printf(_("%s: %s (signatures not checked here: use verify-evidence)\n"), path,
	    rcpt != NULL ? _("evidence with a receipt") : _("signed message"));
	if (msg != NULL)
		message_print(_("message"), msg);
	if (rcpt != NULL)
		message_print(_("receipt"), rcpt);
	return TOOL_EXIT_OK;
}

/* --- dispatch --- */

/*
 * Protobuf has no type tag: tell the messages apart by their fixed-length
 * fields.  Evidence and SignedMessage first (a SignedMessage's 64-byte sig
 * sits where a Bundle has agency_sig); anything else that decodes as a
 * Bundle goes to bundle_parse, which names the field that is wrong.
 */
static int
classify_protobuf(const char *path, const uint8_t *buf, size_t len, int json)
{
	Homeward__Keys__Bundle *b;
	Homeward__Keys__Evidence *e;
	Homeward__Keys__SignedMessage *m;
	int bundle_like, rc;

	if ((e = homeward__keys__evidence__unpack(NULL, len, buf)) != NULL) {
		if (e->message != NULL && e->message->header.len == ENV1_HDR_LEN) {
			rc = inspect_evidence(path, e->message, e->receipt, json);
			homeward__keys__evidence__free_unpacked(e, NULL);
			return rc;
		}
		homeward__keys__evidence__free_unpacked(e, NULL);
	}
	if ((m = homeward__keys__signed_message__unpack(NULL, len, buf)) != NULL) {
		if (m->header.len == ENV1_HDR_LEN && m->tbs.len == ENV1_TBS_LEN) {
			rc = inspect_evidence(path, m, NULL, json);
			homeward__keys__signed_message__free_unpacked(m, NULL);
			return rc;
		}
		homeward__keys__signed_message__free_unpacked(m, NULL);
	}
	if ((b = homeward__keys__bundle__unpack(NULL, len, buf)) != NULL) {
		bundle_like = b->rik.len > 0 || b->agency_info.len > 0 ||
		    b->agency_sig.len > 0;
		homeward__keys__bundle__free_unpacked(b, NULL);
		if (bundle_like)
			return inspect_bundle(path, buf, len, json);
	}
	tool_warnx(_("%s: not a key file, prekeys.dat, bundle, evidence or signed "
	    "message"), path);
	return TOOL_EXIT_FAIL;
}

int
cmd_inspect(const struct tool_cmd *cmd, int argc, char **argv)
{
	struct passphrase_src src;
	struct opts o;
	uint8_t *buf = NULL;
	size_t len = 0;
	int c, r, json = 0, ask = 0, rc = TOOL_EXIT_FAIL;
	const char *path;

	passphrase_src_init(&src);
	if (opts_init(&o, cmd, inspect_opts, argc, argv) != 0)
		return TOOL_EXIT_FAIL;
	while ((c = opts_next(&o)) != OPTS_DONE) {
		switch (c) {
		case O_PASS_FILE:
		case O_PASS_FD:
			if ((c == O_PASS_FILE ? passphrase_src_file(&src, o.arg) :
			    passphrase_src_fd(&src, o.arg)) != 0) {
				rc = opts_usage(cmd, _("bad passphrase source"));
				goto out;
			}
			ask = 1;
			break;
		case O_ASK: ask = 1; break;
		case O_JSON: json = 1; break;
		case OPTS_HELP: rc = opts_help(cmd); goto out;
		default: rc = TOOL_EXIT_USAGE; goto out;
		}
	}
	if (o.npos != 1) {
		rc = opts_usage(cmd, _("give one file"));
		goto out;
	}
	path = o.pos[0];
	if ((r = fileio_read(path, INSPECT_MAX_LEN, 0, &buf, &len)) != 0) {
		tool_warn_errno(-r, _("cannot read %s"), path);
		goto out;
	}
	if (agencydir_is_keyfile(buf, len))
		rc = inspect_keyfile(path, &src, ask, json);
	else if (spkfile_is(buf, len))
		rc = inspect_prekeys(path, buf, len, json);
	else
		rc = classify_protobuf(path, buf, len, json);
out:
	free(buf);
	opts_free(&o);
	return rc;
}
