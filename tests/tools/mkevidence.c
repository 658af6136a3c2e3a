/*
 * mkevidence: a helper program for tests/integration/keys_tool.sh (not a
 * test itself).  From two agency directories made by homeward-keys init, it
 * plays one exchange through the real ENV1 code: A seals a synthetic
 * TEST_DOCUMENT to B's exported bundle (env1_seal), B opens it with its
 * own prekeys (env1_open), B seals the delivery receipt back (receipt_for,
 * env1_seal), A opens and checks it (receipt_check), and the evidence is
 * written through keys/evidence.h:
 *
 *   mkevidence A_DIR A_PASSFILE B_DIR B_PASSFILE B_BUNDLE EVIDENCE RECEIPT
 *       [EVIDENCE_WITH_RECEIPT]
 *
 * EVIDENCE is an Evidence holding the message's SignedMessage (with its
 * ciphertext); RECEIPT the receipt's SignedMessage; the optional third
 * file an Evidence carrying both.  Prints the message id in hex.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/fileio.h"
#include "common/hex.h"
#include "keys/envelope.h"
#include "keys/evidence.h"
#include "keys/receipt.h"
#include "keys/secret.h"
#include "keys/agencydir.h"
#include "keys/passphrase.h"
#include "keys/tool/tool.h"

/* One side of the exchange. */
struct party {
	struct agencydir        dir;
	struct keyfile_contents kc;
	struct env1_identity    id;
	struct env1_prekey     *pks;
	size_t                  npks;
};

/* What env1_open's callbacks look in: our prekeys and the one pinned peer. */
struct inbox {
	const struct party     *me;
	const struct peerkeys  *peer;
};

static void die(const char *) __attribute__((noreturn));
static void die_reason(const char *, int) __attribute__((noreturn));

static void
die(const char *what)
{
	fprintf(stderr, "mkevidence: %s\n", what);
	exit(1);
}

static void
die_reason(const char *what, int r)
{
	fprintf(stderr, "mkevidence: %s: %s\n", what, env1_reason_name(r));
	exit(1);
}

static void
party_load(struct party *p, const char *dir, const char *passfile)
{
	struct passphrase_src src;
	char path[PATH_MAX], *pass;
	size_t passlen;

	memset(p, 0, sizeof(*p));
	passphrase_src_init(&src);
	src.file = passfile;
	if (agencydir_load(dir, 1, &p->dir) != 0 ||
	    agencydir_path(dir, AGENCYDIR_DAEMON_KEY, path) != 0 ||
	    passphrase_get(&src, "daemon key file", 0, &pass, &passlen) != 0)
		die(dir);
	if (agencydir_open_key(path, KEYFILE_DAEMON, pass, passlen, &p->kc, NULL) != 0)
		die(path);
	secret_free(pass);
	if (agencydir_identity(&p->dir, &p->kc, &p->id) != 0 ||
	    agencydir_unwrap_prekeys(&p->dir, p->kc.ksk, &p->pks, &p->npks) != 0)
		die(dir);
}

static void
party_free(struct party *p)
{
	agencydir_prekeys_free(p->pks, p->npks);
	agencydir_identity_free(&p->id);
	keyfile_contents_free(&p->kc);
	agencydir_free(&p->dir);
}

static const struct peerkeys *
find_peer(void *arg, const uint8_t rik[ENV1_KEY_LEN])
{
	const struct inbox *in = arg;

	return memcmp(in->peer->rik, rik, ENV1_KEY_LEN) == 0 ? in->peer : NULL;
}

static const struct env1_prekey *
find_prekey(void *arg, uint64_t spk_id)
{
	const struct inbox *in = arg;

	for (size_t i = 0; i < in->me->npks; i++)
		if (in->me->pks[i].stmt.spk_id == spk_id)
			return &in->me->pks[i];
	return NULL;
}

static void
open_as(const struct party *me, const struct peerkeys *peer, uint64_t now,
    const struct env1_sealed *s, struct env1_opened *out)
{
	struct inbox in = { me, peer };
	struct env1_open_ctx ctx;
	int r;

	memset(&ctx, 0, sizeof(ctx));
	ctx.own_rik = me->id.rik_pub;
	ctx.now = now;
	ctx.find_peer = find_peer;
	ctx.find_prekey = find_prekey;
	ctx.arg = &in;
	if ((r = env1_open(&ctx, s->env, s->env_len, out)) != ENV1_OK)
		die_reason("env1_open", r);
}

static void
seal_to(const struct party *me, const struct peerkeys *peer,
    struct env1_seal_params *p, uint64_t now, struct env1_sealed *out)
{
	const struct stmt_spk *spk;
	int r;

	if ((r = peerkeys_choose_prekey(peer, now, &spk)) != ENV1_OK)
		die_reason("peerkeys_choose_prekey", r);
	if ((r = env1_seal(&me->id, peer, spk, p, now, out)) != ENV1_OK)
		die_reason("env1_seal", r);
}

/* A SignedMessage of an envelope as sent, with its decrypted inner parts. */
static void
record(const struct env1_sealed *s, const uint8_t *tbs, const uint8_t *sig,
    const uint8_t *body, size_t body_len, uint8_t **out, size_t *outlen)
{
	int r;

	if ((r = evidence_record_encode(s->env, tbs, sig, body, body_len,
	    s->env + ENV1_HDR_LEN, s->env_len - ENV1_HDR_LEN, out, outlen)) != ENV1_OK)
		die_reason("evidence_record_encode", r);
}

static void
put(const char *path, const uint8_t *buf, size_t len)
{
	int r;

	if ((r = fileio_write_atomic(path, buf, len, 0644, 1)) != 0)
		die(path);
}

int
main(int argc, char **argv)
{
	struct party a, b;
	struct bundle b_bundle, a_bundle;
	struct env1_seal_params mp, rp;
	struct env1_sealed msg, rcpt;
	struct env1_opened m_at_b, r_at_a;
	struct receipt rc, checked;
	uint8_t rnd[8], body[192], rbody[RECEIPT_BODY_LEN], *a_export, *mrec, *rrec, *ev;
	size_t a_exportlen, mreclen, rreclen, evlen;
	char why[BUNDLE_WHY_LEN], nonce[17], mid[HEX_BUFLEN(ENV1_ID_LEN)];
	uint64_t now;
	int r;

	if (argc != 8 && argc != 9) {
		fprintf(stderr, "usage: mkevidence A_DIR A_PASSFILE B_DIR B_PASSFILE "
		    "B_BUNDLE EVIDENCE RECEIPT [EVIDENCE_WITH_RECEIPT]\n");
		return 2;
	}
	if (secret_init() != 0)
		die("secret_init");
	party_load(&a, argv[1], argv[2]);
	party_load(&b, argv[3], argv[4]);
	now = tool_now();
	/* A pins B from the bundle B exported; B pins A from A's export. */
	if (agencydir_read_bundle(argv[5], &b_bundle) != 0 ||
	    agencydir_export(&a.dir, now, &a_export, &a_exportlen) != 0)
		die("bundles");
	if ((r = bundle_parse(a_export, a_exportlen, &a_bundle, why)) != ENV1_OK)
		die(why);

	/* A -> B: a synthetic test document, never personal data. */
	randombytes_buf(rnd, sizeof(rnd));
	hex_encode(rnd, sizeof(rnd), nonce);
	memset(&mp, 0, sizeof(mp));
	snprintf((char *)body, sizeof(body), "homeward test document %s to %s, %s",
	    a.dir.pub.info.agency_id, b.dir.pub.info.agency_id, nonce);
	randombytes_buf(mp.message_id, sizeof(mp.message_id));
	randombytes_buf(mp.thread_id, sizeof(mp.thread_id));
	randombytes_buf(mp.content_salt, sizeof(mp.content_salt));
	mp.created_at = now;
	mp.msg_type = ENV1_MSG_TEST_DOCUMENT;
	mp.seq = 1;
	mp.body = body;
	mp.body_len = strlen((char *)body);
	seal_to(&a, &b_bundle.keys, &mp, now, &msg);
	open_as(&b, &a_bundle.keys, now, &msg, &m_at_b);

	/* B -> A: the receipt, B's first message in the thread. */
	receipt_for(&m_at_b, now, now + 1, &rc);
	receipt_encode(&rc, rbody);
	memset(&rp, 0, sizeof(rp));
	randombytes_buf(rp.message_id, sizeof(rp.message_id));
	randombytes_buf(rp.content_salt, sizeof(rp.content_salt));
	memcpy(rp.thread_id, mp.thread_id, ENV1_ID_LEN);
	memcpy(rp.in_reply_to, mp.message_id, ENV1_ID_LEN);
	rp.created_at = now + 1;
	rp.msg_type = ENV1_MSG_DELIVERY_RECEIPT;
	rp.seq = 1;
	rp.body = rbody;
	rp.body_len = sizeof(rbody);
	seal_to(&b, &a_bundle.keys, &rp, now + 1, &rcpt);
	open_as(&a, &b_bundle.keys, now + 1, &rcpt, &r_at_a);
	if ((r = receipt_check(&r_at_a, a.id.rik_pub, &checked)) != ENV1_OK)
		die_reason("receipt_check", r);
	if (memcmp(checked.h_inner, msg.h_inner, ENV1_HASH_LEN) != 0)
		die("the receipt does not name the message sent");

	record(&msg, msg.tbs, msg.sig, body, mp.body_len, &mrec, &mreclen);
	record(&rcpt, r_at_a.inner, r_at_a.inner + ENV1_TBS_LEN, r_at_a.body,
	    r_at_a.body_len, &rrec, &rreclen);
	if ((r = evidence_bundle_encode(mrec, mreclen, NULL, 0, &ev, &evlen)) != ENV1_OK)
		die_reason("evidence_bundle_encode", r);
	put(argv[6], ev, evlen);
	free(ev);
	put(argv[7], rrec, rreclen);
	if (argc == 9) {
		if ((r = evidence_bundle_encode(mrec, mreclen, rrec, rreclen, &ev,
		    &evlen)) != ENV1_OK)
			die_reason("evidence_bundle_encode", r);
		put(argv[8], ev, evlen);
		free(ev);
	}
	hex_encode(mp.message_id, ENV1_ID_LEN, mid);
	printf("%s\n", mid);

	free(mrec);
	free(rrec);
	free(a_export);
	env1_opened_free(&m_at_b);
	env1_opened_free(&r_at_a);
	env1_sealed_free(&msg);
	env1_sealed_free(&rcpt);
	bundle_free(&a_bundle);
	bundle_free(&b_bundle);
	party_free(&a);
	party_free(&b);
	return 0;
}
