/*
 * build/vectorgen DIR (`make vectors`): writes DIR/env1.json,
 * DIR/keyfile.json and DIR/referral.json, the interop vectors of
 * docs/PROTOCOL.md section 17.
 * Every input comes from a label (tests/lib/fixture.h), so two runs write
 * byte-identical files; every entry is confirmed before it is written
 * (tests/lib/vecgen.c).  This file says which vectors exist.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/bytes.h"
#include "keys/fingerprint.h"
#include "keys/receipt.h"
#include "keys/secret.h"
#include "tests/vectors/vecgen.h"

#define NOW     FIXTURE_NOW
#define MINUTE  (60ull * 1000)
#define DAY     FIXTURE_DAY

static struct fixture_agency alpha, beta, gamma_, delta;

static const uint8_t BODY_SMALL[] = "homeward test document: small body";
static const uint8_t BODY_SECOND[] = "homeward test document: second in thread";
static const uint8_t BODY_REPLY[] = "homeward test document: a reply";
static const uint8_t BODY_BASE[] = "homeward test document: base of the rejects";
static const uint8_t BODY_OTHER[] = "homeward test document: BASE OF THE REJECTS";

/* An X25519 point of order 8 (RFC 7748; docs/PROTOCOL.md 8 step 7). */
static const char X25519_ORDER8[] =
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800";
/* Ed25519 keys libsodium refuses: a point of order 8, and y = 3 encoded
 * as 3 + p (not canonical; the point itself has large order). */
static const char ED_SMALL_ORDER[] =
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a";
static const char ED_NON_CANONICAL[] =
    "f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f";

static void
unhex(const char *h, uint8_t *out, size_t n)
{
	size_t got;

	if (sodium_hex2bin(out, n, h, strlen(h), NULL, &got, NULL) != 0 || got != n)
		vg_die("bad constant %s", h);
}

/* --- envelopes --- */

static uint8_t small_id[16], small_h_inner[32];

static void
gen_envelopes(json_t *root)
{
	json_t *arr = json_array();
	uint8_t big[1000], h2[32];
	struct plan m;

	vg_plan_init(&m, "empty_body", &alpha, &beta, "t1", 1, NULL, 0);
	vg_emit_envelope(arr, "empty_body", "alpha to beta, empty body, seq 1",
	    &m, NULL);
	vg_plan_init(&m, "small_body", &alpha, &beta, "t2", 1, BODY_SMALL,
	    sizeof(BODY_SMALL) - 1);
	vg_emit_envelope(arr, "small_body", "alpha to beta, small body, seq 1",
	    &m, small_h_inner);
	memcpy(small_id, m.message_id, 16);
	vg_plan_init(&m, "chained_seq2", &alpha, &beta, "t2", 2, BODY_SECOND,
	    sizeof(BODY_SECOND) - 1);
	memcpy(m.prev_hash, small_h_inner, 32);
	vg_emit_envelope(arr, "chained_seq2", "alpha to beta, same thread, seq 2, "
	    "prev_hash = h_inner of small_body", &m, h2);
	vg_plan_init(&m, "reply", &beta, &alpha, "t2", 1, BODY_REPLY,
	    sizeof(BODY_REPLY) - 1);
	memcpy(m.in_reply_to, small_id, 16);
	vg_emit_envelope(arr, "reply", "beta to alpha in the same thread, its seq 1, "
	    "in_reply_to = message_id of small_body", &m, NULL);
	fixture_bytes("vectors/expires_at_set/body", big, sizeof(big));
	vg_plan_init(&m, "expires_at_set", &alpha, &beta, "t3", 1, big, sizeof(big));
	m.expires_at = m.created_at + 7 * DAY;
	vg_emit_envelope(arr, "expires_at_set", "alpha to beta, 1000-byte body, "
	    "expires_at = created_at + 7 d", &m, NULL);
	json_object_set_new(root, "envelopes", arr);
}

/* --- rejects: byte edits of one valid envelope --- */

#define LEN_KEEP        0
#define LEN_ABS         1
#define LEN_REL         2

struct edit {
	const char     *name;
	int             test;
	const char     *desc;
	long            off;            /* < 0: from the end */
	uint8_t         xor_mask;
	const char     *patch;         /* hex, or "@gamma": gamma's RIK */
	int             len_mode;
	long            len_arg;
	int             to_gamma;       /* delivered to gamma (who pins alpha) */
	int             reason;
};

static const struct edit EDITS[] = {
	{ "hdr_magic", 2, "first magic byte changed", 0, 0x01, NULL, 0, 0, 0, ENV1_R_MAGIC },
	{ "hdr_version", 20, "version 0x01 -> 0x02", 4, 0x03, NULL, 0, 0, 0, ENV1_R_VERSION },
	{ "hdr_version_older", 20, "version 0x01 -> 0x00", 4, 0x01, NULL, 0, 0, 0, ENV1_R_VERSION },
	{ "hdr_suite", 20, "suite 0x01 -> 0x02, kc left as it was", 5, 0x03, NULL, 0, 0, 0, ENV1_R_SUITE },
	{ "hdr_flags", 20, "flags 0x0000 -> 0x0001", 7, 0x01, NULL, 0, 0, 0, ENV1_R_FLAGS },
	{ "hdr_message_id", 2, "one bit of message_id", 8, 0x01, NULL, 0, 0, 0, ENV1_R_KEY_COMMITMENT },
	{ "hdr_created_at", 2, "created_at changed by 1 ms", 31, 0x01, NULL, 0, 0, 0, ENV1_R_KEY_COMMITMENT },
	{ "hdr_expires_at", 2, "expires_at 0 -> 2^56 ms", 32, 0x01, NULL, 0, 0, 0, ENV1_R_KEY_COMMITMENT },
	{ "hdr_sender_rik_unpinned", 24, "one bit of sender_rik: no pinned peer", 40, 0x01, NULL, 0, 0, 0, ENV1_R_UNKNOWN_SENDER },
	{ "hdr_sender_rik_other_peer", 2, "sender_rik replaced by gamma's, also pinned", 40, 0, "@gamma", 0, 0, 0, ENV1_R_KEY_COMMITMENT },
	{ "hdr_recipient_rik", 2, "one bit of recipient_rik", 72, 0x01, NULL, 0, 0, 0, ENV1_R_WRONG_RECIPIENT },
	{ "hdr_spk_id", 2, "spk_id 1 -> 3, a prekey the recipient never had", 111, 0x02, NULL, 0, 0, 0, ENV1_R_UNKNOWN_PREKEY },
	{ "hdr_enc_len", 4, "enc_len 32 -> 33", 113, 0x01, NULL, 0, 0, 0, ENV1_R_ENC_LEN },
	{ "hdr_enc_len_suite2", 4, "enc_len 1120, the suite-2 length", 112, 0, "0460", 0, 0, 0, ENV1_R_ENC_LEN },
	{ "hdr_enc", 2, "one bit of enc (another valid point)", 114, 0x02, NULL, 0, 0, 0, ENV1_R_KEY_COMMITMENT },
	{ "hdr_nonce", 2, "one bit of the nonce, which the KDF does not cover", 146, 0x01, NULL, 0, 0, 0, ENV1_R_AEAD },
	{ "hdr_kc", 21, "one bit of kc: refused before the AEAD", 170, 0x01, NULL, 0, 0, 0, ENV1_R_KEY_COMMITMENT },
	{ "hdr_ct_len", 4, "ct_len off by one", 205, 0x01, NULL, 0, 0, 0, ENV1_R_CT_LEN },
	{ "hdr_ct_len_huge", 4, "ct_len 0xffffffff, above the limit", 202, 0, "ffffffff", 0, 0, 0, ENV1_R_CT_LEN },
	{ "ct_flip_first", 1, "first ciphertext byte", 206, 0x01, NULL, 0, 0, 0, ENV1_R_AEAD },
	{ "ct_flip_middle", 1, "a ciphertext byte inside the body", 206 + 390, 0x40, NULL, 0, 0, 0, ENV1_R_AEAD },
	{ "ct_flip_tag", 1, "last byte of the Poly1305 tag", -1, 0x80, NULL, 0, 0, 0, ENV1_R_AEAD },
	{ "truncated_empty", 3, "zero bytes", 0, 0, NULL, LEN_ABS, 0, 0, ENV1_R_TRUNCATED },
	{ "truncated_7", 3, "the first 7 bytes", 0, 0, NULL, LEN_ABS, 7, 0, ENV1_R_TRUNCATED },
	{ "truncated_header", 3, "the first 205 bytes", 0, 0, NULL, LEN_ABS, 205, 0, ENV1_R_TRUNCATED },
	{ "header_only", 3, "the 206-byte header alone", 0, 0, NULL, LEN_ABS, 206, 0, ENV1_R_CT_LEN },
	{ "truncated_last_byte", 3, "all but the last byte", 0, 0, NULL, LEN_REL, -1, 0, ENV1_R_CT_LEN },
	{ "extended_1", 3, "one zero byte appended", 0, 0, NULL, LEN_REL, 1, 0, ENV1_R_CT_LEN },
	{ "extended_64", 3, "64 zero bytes appended", 0, 0, NULL, LEN_REL, 64, 0, ENV1_R_CT_LEN },
	{ "ct_len_below_minimum", 4, "ct_len 395 and exactly 395 bytes after the header", 202, 0, "0000018b", LEN_ABS, 601, 0, ENV1_R_TRUNCATED },
	{ "enc_low_order_zero", 19, "enc = 0 (all-zero X25519 output)", 114, 0, "0000000000000000000000000000000000000000000000000000000000000000", 0, 0, 0, ENV1_R_BAD_POINT },
	{ "enc_low_order_one", 19, "enc = 1", 114, 0, "0100000000000000000000000000000000000000000000000000000000000000", 0, 0, 0, ENV1_R_BAD_POINT },
	{ "enc_low_order_8", 19, "enc a point of order 8", 114, 0, "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", 0, 0, 0, ENV1_R_BAD_POINT },
	{ "enc_p_minus_1", 19, "enc = p - 1", 114, 0, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", 0, 0, 0, ENV1_R_BAD_POINT },
	{ "wrong_recipient", 5, "a valid envelope for beta, delivered to gamma", 0, 0, NULL, 0, 0, 1, ENV1_R_WRONG_RECIPIENT },
	{ "recipient_rewritten", 5, "recipient_rik rewritten to gamma's and delivered to gamma, who holds an spk_id 1 too", 72, 0, "@gamma", 0, 0, 1, ENV1_R_KEY_COMMITMENT },
};

static void
apply_edit(const struct edit *e, const uint8_t *env, size_t len, uint8_t **out,
    size_t *outlen)
{
	size_t n = len, off;
	uint8_t *b;

	if (e->len_mode == LEN_ABS)
		n = (size_t)e->len_arg;
	else if (e->len_mode == LEN_REL)
		n = (size_t)((long)len + e->len_arg);
	if ((b = calloc(1, n + 1)) == NULL)
		vg_die("out of memory");
	memcpy(b, env, n < len ? n : len);
	off = e->off < 0 ? (size_t)((long)n + e->off) : (size_t)e->off;
	if (e->patch != NULL && strcmp(e->patch, "@gamma") == 0)
		memcpy(b + off, gamma_.rik_pk, 32);
	else if (e->patch != NULL)
		unhex(e->patch, b + off, strlen(e->patch) / 2);
	else if (e->len_mode == LEN_KEEP)
		b[off] ^= e->xor_mask;
	*out = b;
	*outlen = n;
}

/* The valid envelope the edits and forgeries start from. */
static void
base_plan(struct plan *m, const char *label)
{
	vg_plan_init(m, label, &alpha, &beta, "rejects", 1, BODY_BASE,
	    sizeof(BODY_BASE) - 1);
}

static void
seal_or_die(struct raw_env *r, const char *name)
{
	if (raw_seal(r) != 0)
		vg_die("%s: raw seal failed", name);
}

static void
gen_edits(json_t *arr)
{
	struct plan m;
	struct raw_env r;

	base_plan(&m, "reject_base");
	vg_plan_raw(&m, &r);
	seal_or_die(&r, "reject_base");
	for (size_t i = 0; i < sizeof(EDITS) / sizeof(EDITS[0]); i++) {
		const struct edit *e = &EDITS[i];
		uint8_t *env;
		size_t len;

		apply_edit(e, r.env, r.env_len, &env, &len);
		vg_emit_reject(arr, e->name, e->test, e->desc, env, len,
		    vg_recipient_json(e->to_gamma ? &gamma_ : &beta),
		    e->to_gamma ? vg_peers(&alpha, NULL) : vg_peers(&alpha, &gamma_),
		    NOW, e->reason);
		free(env);
	}
	raw_free(&r);
}

/* --- rejects: envelopes a correct sealer never makes --- */

static void
forged(json_t *arr, const char *name, int test, const char *desc,
    struct raw_env *r, json_t *recipient, json_t *peers, int reason)
{
	seal_or_die(r, name);
	vg_emit_reject(arr, name, test, desc, r->env, r->env_len,
	    recipient != NULL ? recipient : vg_recipient_json(&beta),
	    peers != NULL ? peers : vg_peers(&alpha, NULL), NOW, reason);
	raw_free(r);
}

/* Layout lies, foreign domains, content and type mismatches, signatures. */
static void
gen_inner_forgeries(json_t *arr)
{
	static const uint8_t D_SPK[16] = "ENV1 prekey v1\0\0";
	static const uint8_t D_RCPT[16] = "ENV1 receipt v1\0";
	static const uint8_t D_CERT[16] = "ENV1 dsk cert v1";
	static const struct {
		const char *name;
		enum raw_sig_mode mode;
		const char *desc;
	} sigs[] = {
		{ "sig_bit_flip", RAW_SIG_FLIP, "one bit of S flipped" },
		{ "sig_s_plus_l", RAW_SIG_S_PLUS_L, "S replaced by S + L (non-canonical)" },
		{ "sig_small_order_r", RAW_SIG_SMALL_R, "R replaced by a point of order 8" },
		{ "sig_all_zero", RAW_SIG_ZERO, "64 zero bytes" },
	};
	struct plan m;
	struct raw_env r;
	uint8_t key[32], cert[STMT_CERT_LEN];
	json_t *peers;

	base_plan(&m, "reject_inner");
	vg_plan_raw(&m, &r);
	r.keep |= RAW_KEEP_BODY_LEN;
	r.t.body_len = m.body_len + 1;
	forged(arr, "body_len_plus_one", 4, "signed body_len one more than the body",
	    &r, NULL, NULL, ENV1_R_BODY_LEN);
	vg_plan_raw(&m, &r);
	r.keep |= RAW_KEEP_BODY_LEN;
	r.t.body_len = m.body_len - 1;
	forged(arr, "body_len_minus_one", 4, "signed body_len one less than the body",
	    &r, NULL, NULL, ENV1_R_BODY_LEN);
	vg_plan_raw(&m, &r);
	r.keep |= RAW_KEEP_BODY_LEN;
	r.t.body_len = ENV1_MAX_INLINE + 1;
	forged(arr, "body_len_over_max", 4, "signed body_len 2^20 + 1", &r, NULL,
	    NULL, ENV1_R_BODY_LEN);

	vg_plan_raw(&m, &r);
	r.domain = D_SPK;
	forged(arr, "cross_domain_prekey", 11, "a TBS under the SPK statement domain, "
	    "validly signed by the sender's DSK", &r, NULL, NULL, ENV1_R_DOMAIN);
	vg_plan_raw(&m, &r);
	r.domain = D_RCPT;
	forged(arr, "cross_domain_receipt", 11, "a TBS under the receipt domain",
	    &r, NULL, NULL, ENV1_R_DOMAIN);
	vg_plan_raw(&m, &r);
	r.domain = D_CERT;
	forged(arr, "cross_domain_cert", 11, "a TBS under the DSK certificate domain",
	    &r, NULL, NULL, ENV1_R_DOMAIN);

	vg_plan_raw(&m, &r);
	r.sealed_body = BODY_OTHER;
	r.sealed_body_len = sizeof(BODY_OTHER) - 1;
	forged(arr, "content_mismatch", 12, "re-encrypted under the known k_enc with "
	    "another body of the same length; TBS and signature unchanged", &r,
	    NULL, NULL, ENV1_R_CONTENT_HASH);
	vg_plan_raw(&m, &r);
	r.t.msg_type = 0x0042;
	forged(arr, "msg_type_unknown", 12, "msg_type 0x0042, validly signed", &r,
	    NULL, NULL, ENV1_R_MSG_TYPE);
	vg_plan_raw(&m, &r);
	r.t.msg_type = ENV1_MSG_DELIVERY_RECEIPT;
	forged(arr, "msg_type_receipt_bad_body", 12, "msg_type DELIVERY_RECEIPT "
	    "with a body that is not a 177-byte receipt", &r, NULL, NULL,
	    ENV1_R_MSG_TYPE);

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		vg_plan_raw(&m, &r);
		r.sig_mode = sigs[i].mode;
		forged(arr, sigs[i].name, 10, sigs[i].desc, &r, NULL, NULL,
		    ENV1_R_SIGNATURE);
	}
	unhex(ED_SMALL_ORDER, key, 32);
	vg_plan_raw(&m, &r);
	memcpy(r.t.signer_dsk, key, 32);
	peers = vg_peers(&alpha, NULL);
	vg_certify(&alpha, key, cert);
	vg_peer_add(json_array_get(peers, 0), "certs", cert, sizeof(cert));
	forged(arr, "signer_small_order", 10, "signer_dsk a point of order 8 that "
	    "alpha has certified", &r, NULL, peers, ENV1_R_SIGNATURE);
	unhex(ED_NON_CANONICAL, key, 32);
	vg_plan_raw(&m, &r);
	memcpy(r.t.signer_dsk, key, 32);
	peers = vg_peers(&alpha, NULL);
	vg_certify(&alpha, key, cert);
	vg_peer_add(json_array_get(peers, 0), "certs", cert, sizeof(cert));
	forged(arr, "signer_non_canonical", 10, "signer_dsk encoded as y + p "
	    "(not canonical), certified by alpha", &r, NULL, peers, ENV1_R_SIGNATURE);
}

/* Forwarding, spoofing and the certificate chain. */
static void
gen_chain_forgeries(json_t *arr)
{
	struct plan m, m2;
	struct raw_env r, r2;
	struct stmt_dsk_cert c;
	uint8_t pk[32], sk[64], cert[STMT_CERT_LEN], rev[STMT_REVOCATION_LEN];
	json_t *peers;

	/* Davis: beta re-wraps alpha's signed inner message to gamma. */
	base_plan(&m, "reject_davis");
	vg_plan_raw(&m, &r);
	seal_or_die(&r, "davis inner");
	vg_plan_init(&m2, "reject_davis_rewrap", &alpha, &gamma_, "rejects", 1,
	    BODY_BASE, sizeof(BODY_BASE) - 1);
	vg_plan_raw(&m2, &r2);
	r2.keep |= RAW_KEEP_INNER;
	memcpy(r2.tbs, r.tbs, sizeof(r.tbs));
	memcpy(r2.sig, r.sig, sizeof(r.sig));
	forged(arr, "davis_forwarding", 6, "beta re-wraps alpha's TBS, signature and "
	    "body in a fresh envelope from alpha to gamma", &r2,
	    vg_recipient_json(&gamma_), vg_peers(&alpha, NULL), ENV1_R_INNER_MISMATCH);
	vg_plan_init(&m2, "reject_rewrap_expiry", &alpha, &beta, "rejects", 1,
	    BODY_BASE, sizeof(BODY_BASE) - 1);
	memcpy(m2.message_id, m.message_id, 16);
	m2.expires_at = NOW + DAY;
	vg_plan_raw(&m2, &r2);
	r2.keep |= RAW_KEEP_INNER;
	memcpy(r2.tbs, r.tbs, sizeof(r.tbs));
	memcpy(r2.sig, r.sig, sizeof(r.sig));
	forged(arr, "rewrap_new_header", 6, "the same signed inner message under a "
	    "new header (new ephemeral key, expires_at set): the identities match, "
	    "hdr_hash does not", &r2, NULL, NULL, ENV1_R_HDR_HASH);
	raw_free(&r);

	base_plan(&m, "reject_spoof");
	vg_plan_raw(&m, &r);
	r.signer_sk = delta.id.dsk_sk;
	memcpy(r.t.signer_dsk, delta.id.dsk_pub, 32);
	forged(arr, "spoof_signed_by_other_agency", 7, "header and TBS say alpha; "
	    "signed by delta's certified DSK", &r, NULL, vg_peers(&alpha, &delta),
	    ENV1_R_CERT_UNKNOWN);
	vg_plan_raw(&m, &r);
	r.signer_sk = delta.id.dsk_sk;
	memcpy(r.t.signer_dsk, delta.id.dsk_pub, 32);
	memcpy(r.t.sender_rik, delta.rik_pk, 32);
	forged(arr, "spoof_inner_sender", 7, "header says alpha, the TBS (signed by "
	    "delta) says delta", &r, NULL, vg_peers(&alpha, &delta),
	    ENV1_R_INNER_MISMATCH);

	base_plan(&m, "reject_chain");
	vg_make_dsk(NULL, "vectors/rogue/dsk", 0, 0, 0, pk, sk, &c);
	vg_plan_raw(&m, &r);
	r.signer_sk = sk;
	memcpy(r.t.signer_dsk, pk, 32);
	forged(arr, "signer_uncertified", 8, "signed by a DSK nobody certified", &r,
	    NULL, NULL, ENV1_R_CERT_UNKNOWN);
	vg_make_dsk(&delta, "vectors/delta/dsk-lent", STMT_USAGE_MSG, NOW - DAY,
	    NOW + DAY, pk, sk, &c);
	vg_plan_raw(&m, &r);
	r.signer_sk = sk;
	memcpy(r.t.signer_dsk, pk, 32);
	forged(arr, "signer_certified_by_other_rik", 8, "signed by a DSK that "
	    "delta (not alpha) certified for MSG", &r, NULL,
	    vg_peers(&alpha, &delta), ENV1_R_CERT_UNKNOWN);

	static const struct {
		const char *name, *label, *desc;
		uint16_t usage;
		int64_t nb, na;
		int reason;
	} certs[] = {
		{ "cert_without_msg_usage", "vectors/alpha/dsk-prekey-only",
		    "alpha's certificate for the signer has PREKEY usage only",
		    STMT_USAGE_PREKEY, -30, 335, ENV1_R_CERT_USAGE },
		{ "cert_expired", "vectors/alpha/dsk-expired", "the signer's "
		    "certificate ended 30 days before created_at", STMT_USAGE_MSG,
		    -60, -30, ENV1_R_CERT_VALIDITY },
		{ "cert_not_yet_valid", "vectors/alpha/dsk-future", "the signer's "
		    "certificate starts a day after created_at", STMT_USAGE_MSG,
		    1, 300, ENV1_R_CERT_VALIDITY },
	};
	for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++) {
		vg_make_dsk(&alpha, certs[i].label, certs[i].usage,
		    (uint64_t)((int64_t)NOW + certs[i].nb * (int64_t)DAY),
		    (uint64_t)((int64_t)NOW + certs[i].na * (int64_t)DAY), pk, sk, &c);
		stmt_cert_encode(&c, cert);
		vg_plan_raw(&m, &r);
		r.signer_sk = sk;
		memcpy(r.t.signer_dsk, pk, 32);
		peers = vg_peers(&alpha, NULL);
		vg_peer_add(json_array_get(peers, 0), "certs", cert, sizeof(cert));
		forged(arr, certs[i].name, i == 0 ? 8 : 9, certs[i].desc, &r, NULL,
		    peers, certs[i].reason);
	}

	vg_revocation(&alpha, alpha.id.dsk_pub, STMT_REVOKE_DSK, NOW - 3600000, rev);
	vg_plan_raw(&m, &r);
	peers = vg_peers(&alpha, NULL);
	vg_peer_add(json_array_get(peers, 0), "revocations", rev, sizeof(rev));
	forged(arr, "dsk_revoked", 9, "alpha revoked the signing DSK an hour ago",
	    &r, NULL, peers, ENV1_R_CERT_REVOKED);
	vg_revocation(&alpha, alpha.id.dsk_pub, STMT_REVOKE_DSK, NOW - DAY, rev);
	m.created_at = NOW - 5 * DAY;
	vg_plan_raw(&m, &r);
	peers = vg_peers(&alpha, NULL);
	vg_peer_add(json_array_get(peers, 0), "revocations", rev, sizeof(rev));
	forged(arr, "dsk_revoked_backdated", 9, "created_at 5 days ago, before the "
	    "revocation (revoked_at 1 day ago): refused all the same", &r, NULL,
	    peers, ENV1_R_CERT_REVOKED);
}

/* Time window, prekeys, downgrade, peer standing. */
static void
gen_state_rejects(json_t *arr)
{
	struct plan m;
	struct raw_env r;
	struct stmt_spk s;
	uint8_t sk[32], rev[STMT_REVOCATION_LEN];
	json_t *peers, *rcpt;

	base_plan(&m, "reject_time");
	m.created_at = NOW - ENV1_MAX_AGE_MS - 1;
	vg_plan_raw(&m, &r);
	forged(arr, "too_old", 16, "created_at 21 d + 1 ms before now", &r, NULL,
	    NULL, ENV1_R_TOO_OLD);
	m.created_at = NOW + ENV1_SKEW_MS + 1;
	vg_plan_raw(&m, &r);
	forged(arr, "from_future", 16, "created_at 10 min + 1 ms after now", &r,
	    NULL, NULL, ENV1_R_FROM_FUTURE);
	m.created_at = NOW - MINUTE;
	m.expires_at = NOW - 1;
	vg_plan_raw(&m, &r);
	forged(arr, "expired", 16, "expires_at 1 ms before now", &r, NULL, NULL,
	    ENV1_R_EXPIRED);

	base_plan(&m, "reject_prekey");
	vg_make_prekey(&beta, 0x0123456789abcdefull, NOW - DAY, NOW + 7 * DAY,
	    NOW + 28 * DAY, NULL, NULL, &s, sk);
	m.spk = &s;
	m.spk_sk = sk;
	vg_plan_raw(&m, &r);
	forged(arr, "unknown_prekey", 17, "sealed to a prekey of beta's that beta "
	    "does not hold (deleted or never had)", &r, NULL, NULL,
	    ENV1_R_UNKNOWN_PREKEY);
	vg_make_prekey(&beta, 7, NOW - 10 * DAY, NOW - 3 * DAY, NOW - 1, NULL, NULL,
	    &s, sk);
	m.created_at = NOW - 4 * DAY;
	vg_plan_raw(&m, &r);
	rcpt = vg_recipient_json(&beta);
	json_array_append_new(json_object_get(rcpt, "prekeys"),
	    vg_prekey_json(&s, sk));
	forged(arr, "prekey_expired", 17, "sealed 4 days ago to prekey 7, whose "
	    "retain_until passed 1 ms ago (its secret still on file)", &r, rcpt,
	    NULL, ENV1_R_PREKEY_EXPIRED);

	base_plan(&m, "reject_peer");
	vg_plan_raw(&m, &r);
	peers = vg_peers(&alpha, NULL);
	/* Such a peer's suite-1 prekeys would not be admitted either. */
	vj_set_u64(json_array_get(peers, 0), "min_suite", 2);
	json_object_set_new(json_array_get(peers, 0), "prekeys", json_array());
	forged(arr, "downgrade_min_suite", 20, "a suite-1 envelope from a peer "
	    "pinned with min_suite 2", &r, NULL, peers, ENV1_R_SUITE);
	vg_revocation(&alpha, alpha.rik_pk, STMT_REVOKE_RIK, NOW - DAY, rev);
	vg_plan_raw(&m, &r);
	peers = vg_peers(&alpha, NULL);
	vg_peer_add(json_array_get(peers, 0), "revocations", rev, sizeof(rev));
	forged(arr, "sender_suspended", 24, "alpha revoked its own RIK", &r, NULL,
	    peers, ENV1_R_SENDER_SUSPENDED);
	vg_plan_raw(&m, &r);
	forged(arr, "sender_not_pinned", 24, "beta pins nobody", &r, NULL,
	    json_array(), ENV1_R_UNKNOWN_SENDER);
}

static void
gen_rejects(json_t *root)
{
	json_t *arr = json_array();

	gen_edits(arr);
	gen_inner_forgeries(arr);
	gen_chain_forgeries(arr);
	gen_state_rejects(arr);
	json_object_set_new(root, "rejects", arr);
}

/* --- seal refusals: the sender validates the prekey (test 18) --- */

static int
seal_refusal(const json_t *e)
{
	struct env1_identity me;
	struct env1_seal_params p;
	struct env1_sealed out;
	struct peerkeys peer;
	struct stmt_spk spk;
	uint8_t *bufs[3], b[STMT_SPK_LEN];
	uint64_t now;
	int r;

	memset(&out, 0, sizeof(out));
	if (vj_identity_load(json_object_get(e, "sender"), &me) != ENV1_OK ||
	    vj_seal_params(e, &p, bufs) != ENV1_OK ||
	    vj_peer_load(json_object_get(e, "peer"), &peer) != ENV1_OK ||
	    vj_get_hex(e, "spk", b, sizeof(b)) != 0 ||
	    stmt_spk_decode(b, sizeof(b), &spk) != ENV1_OK ||
	    vj_get_u64(e, "now", &now) != 0)
		vg_die("unreadable prekey_rejects entry");
	r = env1_seal(&me, &peer, &spk, &p, now, &out);
	if (r != ENV1_OK && out.env != NULL)
		vg_die("a refused seal left an envelope");
	env1_sealed_free(&out);
	peerkeys_clear(&peer);
	vj_identity_free(&me);
	for (int i = 0; i < 3; i++)
		free(bufs[i]);
	return r;
}

static void
prekey_reject(json_t *arr, const char *name, const char *desc,
    const struct stmt_spk *s, json_t *peer, int reason)
{
	json_t *o = json_object();
	uint8_t b[STMT_SPK_LEN];
	struct plan m;
	int r;

	base_plan(&m, "prekey_reject");
	vg_plan_inputs_json(&m, o);
	json_object_del(o, "recipient");        /* the sender knows only the peer */
	vj_set_str(o, "name", name);
	vj_set_u64(o, "test", 18);
	vj_set_str(o, "description", desc);
	json_object_set_new(o, "peer", peer != NULL ? peer : vg_peer_json(&beta));
	stmt_spk_encode(s, b);
	vj_set_hex(o, "spk", b, sizeof(b));
	vj_set_str(o, "reason", env1_reason_name(reason));
	if ((r = seal_refusal(o)) != reason)
		vg_die("%s: expected %s, got %s", name, env1_reason_name(reason),
		    env1_reason_name(r));
	json_array_append_new(arr, o);
}

static void
gen_prekey_rejects(json_t *root)
{
	json_t *arr = json_array(), *peer;
	struct stmt_dsk_cert c;
	struct stmt_spk s;
	uint8_t pk[32], sk[64], spk_sk[32], cert[STMT_CERT_LEN];
	uint8_t rev[STMT_REVOCATION_LEN];

	s = beta.prekey.stmt;
	s.sig[0] ^= 0x01;
	prekey_reject(arr, "prekey_bad_signature", "beta's prekey with one bit of "
	    "its signature flipped", &s, NULL, ENV1_R_STMT_SIGNATURE);
	vg_make_dsk(&beta, "vectors/beta/dsk-msg-only", STMT_USAGE_MSG, NOW - 30 * DAY,
	    NOW + 335 * DAY, pk, sk, &c);
	vg_make_prekey(&beta, 21, NOW - DAY, NOW + 7 * DAY, NOW + 28 * DAY, sk, pk,
	    &s, spk_sk);
	peer = vg_peer_json(&beta);
	stmt_cert_encode(&c, cert);
	vg_peer_add(peer, "certs", cert, sizeof(cert));
	prekey_reject(arr, "prekey_signer_without_prekey_usage", "signed by a beta "
	    "DSK certified for MSG only", &s, peer, ENV1_R_PREKEY_USAGE);
	prekey_reject(arr, "prekey_wrong_owner", "gamma's prekey offered for beta",
	    &gamma_.prekey.stmt, NULL, ENV1_R_PREKEY_OWNER);
	vg_make_prekey(&beta, 22, NOW - 10 * DAY, NOW - 2 * DAY, NOW + 19 * DAY, NULL,
	    NULL, &s, spk_sk);
	prekey_reject(arr, "prekey_not_after_passed", "not_after two days ago", &s,
	    NULL, ENV1_R_PREKEY_VALIDITY);
	vg_make_prekey(&beta, 23, NOW - DAY, NOW + 30 * MINUTE, NOW + 21 * DAY, NULL,
	    NULL, &s, spk_sk);
	prekey_reject(arr, "prekey_last_hour", "not_after in 30 minutes: inside the "
	    "last hour, where senders stop using it", &s, NULL,
	    ENV1_R_PREKEY_VALIDITY);
	vg_make_prekey(&beta, 24, NOW + DAY, NOW + 9 * DAY, NOW + 30 * DAY, NULL, NULL,
	    &s, spk_sk);
	prekey_reject(arr, "prekey_not_yet_valid", "not_before tomorrow", &s, NULL,
	    ENV1_R_PREKEY_VALIDITY);
	vg_make_prekey(&beta, 25, NOW - DAY, NOW + 7 * DAY, NOW + 28 * DAY, NULL, NULL,
	    &s, spk_sk);
	unhex(X25519_ORDER8, s.spk_pub, 32);
	if (stmt_spk_sign(&s, beta.id.dsk_sk) != ENV1_OK)
		vg_die("cannot sign");
	prekey_reject(arr, "prekey_low_order", "spk_pub a point of order 8, "
	    "validly signed", &s, NULL, ENV1_R_PREKEY_POINT);
	vg_revocation(&beta, beta.prekey.stmt.spk_pub, STMT_REVOKE_SPK, NOW - DAY, rev);
	peer = vg_peer_json(&beta);
	vg_peer_add(peer, "revocations", rev, sizeof(rev));
	prekey_reject(arr, "prekey_revoked", "beta revoked its current prekey",
	    &beta.prekey.stmt, peer, ENV1_R_PREKEY_REVOKED);
	json_object_set_new(root, "prekey_rejects", arr);
}

/* --- receipts (2.9, test 22) --- */

static void
receipt_json(json_t *o, const struct receipt *rc)
{
	json_t *j = json_object();

	vj_set_hex(j, "message_id", rc->message_id, 16);
	vj_set_hex(j, "sender_rik", rc->sender_rik, 32);
	vj_set_hex(j, "recipient_rik", rc->recipient_rik, 32);
	vj_set_hex(j, "h_env", rc->h_env, 32);
	vj_set_hex(j, "h_inner", rc->h_inner, 32);
	vj_set_u64(j, "received_at", rc->received_at);
	vj_set_u64(j, "committed_at", rc->committed_at);
	vj_set_u64(j, "status", rc->status);
	json_object_set_new(o, "receipt", j);
}

/* A receipt message m opened by alpha, then receipt_check: the reason. */
static int
check_at_alpha(const uint8_t *env, size_t len, const struct fixture_agency *from,
    uint64_t now, struct receipt *rc)
{
	json_t *rcpt = vg_recipient_json(&alpha), *peers = vg_peers(from, NULL);
	struct env1_opened op;
	int r;

	if ((r = vg_open_as(rcpt, peers, now, env, len, &op)) != ENV1_OK)
		vg_die("receipt does not open: %s", env1_reason_name(r));
	r = receipt_check(&op, alpha.rik_pk, rc);
	env1_opened_free(&op);
	json_decref(rcpt);
	json_decref(peers);
	return r;
}

static void
receipt_reject(json_t *arr, const char *name, const char *desc,
    const struct plan *m, int reason)
{
	json_t *o = json_object();
	struct raw_env r;
	struct receipt rc;

	vg_plan_raw(m, &r);
	seal_or_die(&r, name);
	if (check_at_alpha(r.env, r.env_len, m->from, m->now, &rc) != reason)
		vg_die("%s: receipt_check disagrees", name);
	vj_set_str(o, "name", name);
	vj_set_u64(o, "test", 22);
	vj_set_str(o, "description", desc);
	vj_set_hex(o, "envelope", r.env, r.env_len);
	json_object_set_new(o, "recipient", vg_recipient_json(&alpha));
	json_object_set_new(o, "peers", vg_peers(m->from, NULL));
	vj_set_u64(o, "now", m->now);
	vj_set_str(o, "reason", env1_reason_name(reason));
	json_array_append_new(arr, o);
	raw_free(&r);
}

static void
gen_receipts(json_t *root)
{
	json_t *arr = json_array(), *bad = json_array(), *o, *peers;
	uint8_t body[RECEIPT_BODY_LEN];
	struct env1_opened op;
	struct receipt rc, got;
	struct raw_env r;
	struct plan m, orig;

	/* Beta acknowledges "empty_body": open it as beta, then answer. */
	vg_plan_init(&orig, "empty_body", &alpha, &beta, "t1", 1, NULL, 0);
	vg_plan_raw(&orig, &r);
	seal_or_die(&r, "empty_body");
	o = vg_recipient_json(&beta);
	peers = vg_peers(&alpha, NULL);
	if (vg_open_as(o, peers, NOW, r.env, r.env_len, &op) != ENV1_OK)
		vg_die("empty_body does not open");
	json_decref(o);
	json_decref(peers);
	receipt_for(&op, NOW, NOW + 5, &rc);
	env1_opened_free(&op);
	raw_free(&r);
	receipt_encode(&rc, body);

	vg_plan_init(&m, "receipt_empty_body", &beta, &alpha, "t1", 1, body,
	    sizeof(body));
	m.msg_type = ENV1_MSG_DELIVERY_RECEIPT;
	memcpy(m.in_reply_to, orig.message_id, 16);
	m.created_at = NOW + 1000;
	m.now = NOW + MINUTE;
	o = vg_emit_envelope(arr, "receipt_empty_body", "beta's signed receipt for "
	    "the envelope empty_body, its seq 1 in thread t1", &m, NULL);
	vj_set_str(o, "original", "empty_body");
	receipt_json(o, &rc);
	vg_plan_raw(&m, &r);
	seal_or_die(&r, "receipt");
	if (check_at_alpha(r.env, r.env_len, &beta, m.now, &got) != ENV1_OK ||
	    memcmp(&got, &rc, sizeof(rc)) != 0)
		vg_die("the receipt does not check");
	raw_free(&r);
	json_object_set_new(root, "receipts", arr);

	/* The same body, sent by gamma: not the original recipient. */
	vg_plan_init(&m, "receipt_from_gamma", &gamma_, &alpha, "t1", 1, body,
	    sizeof(body));
	m.msg_type = ENV1_MSG_DELIVERY_RECEIPT;
	memcpy(m.in_reply_to, orig.message_id, 16);
	receipt_reject(bad, "receipt_signer_not_recipient", "gamma acknowledges a "
	    "message alpha sent to beta", &m, ENV1_R_RECEIPT_SIGNER);
	/* Beta acknowledging a message gamma (not alpha) sent it. */
	memcpy(rc.sender_rik, gamma_.rik_pk, 32);
	receipt_encode(&rc, body);
	vg_plan_init(&m, "receipt_other_sender", &beta, &alpha, "t1", 1, body,
	    sizeof(body));
	m.msg_type = ENV1_MSG_DELIVERY_RECEIPT;
	memcpy(m.in_reply_to, orig.message_id, 16);
	receipt_reject(bad, "receipt_for_another_sender", "beta sends alpha a "
	    "receipt for a message gamma sent", &m, ENV1_R_RECEIPT_ADDRESSEE);
	memcpy(rc.sender_rik, alpha.rik_pk, 32);
	receipt_encode(&rc, body);
	vg_plan_init(&m, "receipt_in_reply_to", &beta, &alpha, "t1", 1, body,
	    sizeof(body));
	m.msg_type = ENV1_MSG_DELIVERY_RECEIPT;
	receipt_reject(bad, "receipt_in_reply_to_mismatch", "in_reply_to is not "
	    "the message_id the receipt names", &m, ENV1_R_RECEIPT_BODY);
	vg_plan_init(&m, "receipt_wrong_type", &beta, &alpha, "t1", 1, body,
	    sizeof(body));
	memcpy(m.in_reply_to, orig.message_id, 16);
	receipt_reject(bad, "receipt_wrong_type", "a receipt body in a "
	    "TEST_DOCUMENT message", &m, ENV1_R_MSG_TYPE);
	json_object_set_new(root, "receipt_rejects", bad);
}

int
main(int argc, char **argv)
{
	const struct fixture_agency *all[] = { &alpha, &beta, &gamma_, &delta };
	char path[512];
	json_t *root;

	if (argc != 2)
		vg_die("usage: vectorgen DIR");
	if (secret_init() != 0)
		vg_die("sodium_init failed");
	fixture_agency_make(&alpha, "alpha", NOW);
	fixture_agency_make(&beta, "beta", NOW);
	fixture_agency_make(&gamma_, "gamma", NOW);
	fixture_agency_make(&delta, "delta", NOW);

	root = json_object();
	vj_set_str(root, "format", "homeward-env1-vectors");
	vj_set_u64(root, "version", 1);
	gen_envelopes(root);
	gen_rejects(root);
	gen_prekey_rejects(root);
	gen_receipts(root);
	vg_fingerprints(root, all, sizeof(all) / sizeof(all[0]));
	vg_ed25519(root);
	snprintf(path, sizeof(path), "%s/env1.json", argv[1]);
	if (vj_dump(root, path) != 0)
		vg_die("cannot write %s", path);
	json_decref(root);

	root = json_object();
	vj_set_str(root, "format", "homeward-keyfile-vectors");
	vj_set_u64(root, "version", 1);
	vg_keyfiles(root, &alpha);
	snprintf(path, sizeof(path), "%s/keyfile.json", argv[1]);
	if (vj_dump(root, path) != 0)
		vg_die("cannot write %s", path);
	json_decref(root);

	vg_referral(argv[1]);
	fixture_agency_free(&alpha);
	fixture_agency_free(&beta);
	fixture_agency_free(&gamma_);
	fixture_agency_free(&delta);
	return 0;
}
