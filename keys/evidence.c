/*
 * Third-party verification of delivery evidence (see evidence.h).  The
 * verifier holds no private key: it has the signed inner parts of a
 * message (header, TBS, signature, body), optionally its ciphertext, the
 * signed receipt the recipient returned, and both agencies' bundles.  Every
 * check that needs no secret is redone here, and a refusal says exactly
 * which one failed, because the sentence may end up in a court file.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keys/evidence.h"
#include "keys/fingerprint.h"
#include "keys/receipt.h"
#include "proto/keys.pb-c.h"
#include "proto/pbwipe.h"

static const uint8_t LABEL_HDR[9] = "ENV1/hdr";	/* 8 + NUL */

static int __attribute__((format(printf, 3, 4)))
refuse(char *why, int reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, EVIDENCE_WHY_LEN, fmt, ap);
	va_end(ap);
	return reason;
}

/* --- encoding --- */

int
evidence_record_encode(const uint8_t header[ENV1_HDR_LEN],
    const uint8_t tbs[ENV1_TBS_LEN], const uint8_t sig[ENV1_SIG_LEN],
    const uint8_t *body, size_t body_len, const uint8_t *ct, size_t ct_len,
    uint8_t **out, size_t *outlen)
{
	Homeward__Keys__SignedMessage m = HOMEWARD__KEYS__SIGNED_MESSAGE__INIT;
	uint8_t *buf;
	size_t n;

	*out = NULL;
	*outlen = 0;
	if (body_len > ENV1_MAX_INLINE || (body == NULL && body_len > 0) ||
	    (ct != NULL && ct_len > ENV1_CT_MAX))
		return ENV1_R_INVALID_ARG;
	m.version = EVIDENCE_VERSION;
	m.header.data = (uint8_t *)header;
	m.header.len = ENV1_HDR_LEN;
	m.tbs.data = (uint8_t *)tbs;
	m.tbs.len = ENV1_TBS_LEN;
	m.sig.data = (uint8_t *)sig;
	m.sig.len = ENV1_SIG_LEN;
	m.body.data = (uint8_t *)body;
	m.body.len = body_len;
	if (ct != NULL) {
		m.ciphertext.data = (uint8_t *)ct;
		m.ciphertext.len = ct_len;
	}
	n = homeward__keys__signed_message__get_packed_size(&m);
	if ((buf = malloc(n)) == NULL)
		return ENV1_R_NOMEM;
	homeward__keys__signed_message__pack(&m, buf);
	*out = buf;
	*outlen = n;
	return ENV1_OK;
}

int
evidence_record_withhold(const uint8_t *rec, size_t len, uint8_t **out,
    size_t *outlen)
{
	Homeward__Keys__SignedMessage *m;
	uint8_t *buf;
	size_t n;

	*out = NULL;
	*outlen = 0;
	if (len > EVIDENCE_MAX_LEN)
		return ENV1_R_MALFORMED;
	/* The body is the document: decoded with the wiping allocator. */
	if ((m = homeward__keys__signed_message__unpack(&pbwipe_allocator, len,
	    rec)) == NULL)
		return ENV1_R_MALFORMED;
	if (m->body.data != NULL)
		sodium_memzero(m->body.data, m->body.len);
	m->body.len = 0;
	m->body_withheld = 1;
	n = homeward__keys__signed_message__get_packed_size(m);
	if ((buf = malloc(n)) == NULL) {
		homeward__keys__signed_message__free_unpacked(m, &pbwipe_allocator);
		return ENV1_R_NOMEM;
	}
	homeward__keys__signed_message__pack(m, buf);
	homeward__keys__signed_message__free_unpacked(m, &pbwipe_allocator);
	*out = buf;
	*outlen = n;
	return ENV1_OK;
}

int
evidence_bundle_encode(const uint8_t *msg, size_t msglen, const uint8_t *rcpt,
    size_t rcptlen, uint8_t **out, size_t *outlen)
{
	Homeward__Keys__Evidence e = HOMEWARD__KEYS__EVIDENCE__INIT;
	Homeward__Keys__SignedMessage *m = NULL, *r = NULL;
	uint8_t *buf;
	size_t n;
	int rc = ENV1_R_MALFORMED;

	*out = NULL;
	*outlen = 0;
	if (msglen > EVIDENCE_MAX_LEN || rcptlen > EVIDENCE_MAX_LEN)
		return ENV1_R_MALFORMED;
	/* Embedded as messages, not bytes: decode what we were given. */
	if ((m = homeward__keys__signed_message__unpack(NULL, msglen, msg)) == NULL)
		goto done;
	if (rcpt != NULL &&
	    (r = homeward__keys__signed_message__unpack(NULL, rcptlen, rcpt)) == NULL)
		goto done;
	e.version = EVIDENCE_VERSION;
	e.message = m;
	e.receipt = r;
	n = homeward__keys__evidence__get_packed_size(&e);
	if ((buf = malloc(n)) == NULL) {
		rc = ENV1_R_NOMEM;
		goto done;
	}
	homeward__keys__evidence__pack(&e, buf);
	*out = buf;
	*outlen = n;
	rc = ENV1_OK;
done:
	homeward__keys__signed_message__free_unpacked(m, NULL);
	homeward__keys__signed_message__free_unpacked(r, NULL);
	return rc;
}

/* --- verification of one signed message --- */

/* What one verified SignedMessage yields. */
struct verified {
	struct env1_header      hdr;
	struct env1_tbs         tbs;
	uint8_t                 h_inner[ENV1_HASH_LEN];
	int                     h_env_known;
	uint8_t                 h_env[ENV1_HASH_LEN];
	const uint8_t          *body;          /* points into the decoded record */
	size_t                  body_len;      /* the TBS's when withheld */
	int                     withheld;      /* body_withheld: body is empty */
};

/* Its role: who signs it and to whom it goes. */
struct role {
	const char             *name;          /* "message" or "receipt" */
	const struct bundle    *signer;
	const struct bundle    *addressee;
	const char             *signer_side;   /* "sender" or "recipient" */
	const char             *addressee_side;
	int                     r_signer;      /* reason when signer_rik is wrong */
	int                     r_addressee;   /* reason when recipient_rik is wrong */
};

/* The header alone, then its ct_len against what the record holds: the
 * ciphertext when kept, else 396 + the body, as on the wire. */
static int
parse_header(const Homeward__Keys__SignedMessage *m, const struct role *ro,
    struct verified *v, char *why)
{
	int have_ct = m->ciphertext.len > 0;
	size_t ct_len = have_ct ? m->ciphertext.len : ENV1_CT_MIN + v->body_len;
	int r;

	r = env1_header_decode(m->header.data, &v->hdr);
	if (r == ENV1_OK && v->hdr.ct_len != ct_len)
		r = ENV1_R_CT_LEN;
	if (r == ENV1_R_CT_LEN)
		return refuse(why, r, "%s: header ct_len does not match %s", ro->name,
		    have_ct ? "the ciphertext length" : "396 + the body length");
	if (r != ENV1_OK)
		return refuse(why, r, "%s: header refused (%s)", ro->name,
		    env1_reason_text(r));
	if (have_ct) {
		env1_h_env_parts(m->header.data, m->ciphertext.data, ct_len, v->h_env);
		v->h_env_known = 1;
	}
	return ENV1_OK;
}

/* The TBS says what the header says (2.7 step 11). */
static int
check_inner(const Homeward__Keys__SignedMessage *m, const struct role *ro,
    struct verified *v, char *why)
{
	const struct env1_header *h = &v->hdr;
	const struct env1_tbs *t = &v->tbs;
	const char *field = NULL;
	uint8_t want[ENV1_HASH_LEN];
	crypto_generichash_state st;

	if (t->version != h->version)
		field = "version";
	else if (t->suite != h->suite)
		field = "suite";
	else if (memcmp(t->message_id, h->message_id, ENV1_ID_LEN) != 0)
		field = "message_id";
	else if (t->created_at != h->created_at)
		field = "created_at";
	else if (memcmp(t->sender_rik, h->sender_rik, ENV1_KEY_LEN) != 0)
		field = "sender_rik";
	else if (memcmp(t->recipient_rik, h->recipient_rik, ENV1_KEY_LEN) != 0)
		field = "recipient_rik";
	if (field != NULL)
		return refuse(why, ENV1_R_INNER_MISMATCH,
		    "%s: TBS %s differs from the header", ro->name, field);

	crypto_generichash_init(&st, NULL, 0, ENV1_HASH_LEN);
	crypto_generichash_update(&st, LABEL_HDR, sizeof(LABEL_HDR));
	crypto_generichash_update(&st, m->header.data, ENV1_HDR_PREFIX_LEN);
	crypto_generichash_final(&st, want, sizeof(want));
	if (memcmp(want, t->hdr_hash, ENV1_HASH_LEN) != 0)
		return refuse(why, ENV1_R_HDR_HASH,
		    "%s: hdr_hash does not match the header", ro->name);
	return ENV1_OK;
}

/*
 * Revocations, for evidence.  Open refuses a revoked DSK whatever its
 * created_at, because a thief can backdate (3.4).  Evidence must not undo
 * what was accepted before a revocation, yet cannot trust the signer's own
 * created_at either: the signature counts only if something the signer does
 * not control dates it before the revocation.  For a message that is the
 * receipt's committed_at, signed by the other agency (anchor); without a
 * receipt any revocation of the signing key refuses (anchor UINT64_MAX).
 * A receipt has no such witness until time-stamping exists (3.4's RFC 3161
 * anchor), so it is judged by its own created_at.
 */
static int
check_revocations(const struct role *ro, const struct verified *v,
    uint64_t anchor, const char *anchor_what, char *why)
{
	const struct peerkeys *pk = &ro->signer->keys;
	char id[FP_KEYID_BUFLEN];

	fp_key_id(v->tbs.signer_dsk, id);
	for (size_t i = 0; i < pk->nrevocations; i++) {
		const struct stmt_revocation *rv = &pk->revocations[i];

		if (rv->revoked_at > anchor)
			continue;
		if (rv->kind == STMT_REVOKE_DSK &&
		    memcmp(rv->revoked_key, v->tbs.signer_dsk, ENV1_KEY_LEN) == 0)
			return refuse(why, ENV1_R_CERT_REVOKED, "%s: DSK %s was revoked "
			    "at %llu, and %s", ro->name, id,
			    (unsigned long long)rv->revoked_at, anchor_what);
		if (rv->kind == STMT_REVOKE_RIK &&
		    memcmp(rv->revoked_key, pk->rik, ENV1_KEY_LEN) == 0)
			return refuse(why, ENV1_R_SENDER_SUSPENDED, "%s: the signing "
			    "agency's RIK revoked itself at %llu, and %s", ro->name,
			    (unsigned long long)rv->revoked_at, anchor_what);
	}
	return ENV1_OK;
}

/* Step 12 for evidence, revocations apart (check_revocations). */
static int
check_signer(const struct role *ro, const struct verified *v, char *why)
{
	const struct peerkeys *pk = &ro->signer->keys;
	const struct env1_tbs *t = &v->tbs;
	struct peerkeys certs_only;
	char id[FP_KEYID_BUFLEN];
	int r;

	fp_key_id(t->signer_dsk, id);
	/* The certificate checks of peerkeys, without its revocation rule:
	 * a shallow copy that shares the arrays and owns nothing. */
	certs_only = *pk;
	certs_only.revocations = NULL;
	certs_only.nrevocations = 0;
	r = peerkeys_check_signer(&certs_only, t->signer_dsk, STMT_USAGE_MSG,
	    t->created_at);
	switch (r) {
	case ENV1_OK:
		return ENV1_OK;
	case ENV1_R_CERT_USAGE:
		return refuse(why, r, "%s: DSK %s is not certified for MSG usage",
		    ro->name, id);
	case ENV1_R_CERT_VALIDITY:
		return refuse(why, r, "%s: DSK %s has no certificate valid at "
		    "created_at %llu", ro->name, id, (unsigned long long)t->created_at);
	default:
		return refuse(why, r, "%s: DSK %s has no certificate from the %s's RIK",
		    ro->name, id, ro->signer_side);
	}
}

/* A withheld body: empty, never a receipt's (its body is what it proves),
 * and its length the TBS's, read before the header is checked against
 * it. */
static int
check_withheld(const Homeward__Keys__SignedMessage *m, const struct role *ro,
    struct verified *v, char *why)
{
	struct env1_tbs t;
	int r;

	if (!m->body_withheld)
		return ENV1_OK;
	if (m->body.len != 0)
		return refuse(why, ENV1_R_MALFORMED, "%s: body withheld but %zu bytes "
		    "of it present", ro->name, m->body.len);
	if (strcmp(ro->name, "receipt") == 0)
		return refuse(why, ENV1_R_RECEIPT_BODY,
		    "receipt: its body is withheld, and it is what a receipt proves");
	if ((r = env1_tbs_decode(m->tbs.data, &t)) != ENV1_OK)
		return refuse(why, r, "%s: TBS does not start with \"ENV1 message sig\"",
		    ro->name);
	if (t.body_len > ENV1_MAX_INLINE)
		return refuse(why, ENV1_R_BODY_LEN, "%s: the TBS says the body is "
		    "%llu bytes, over the limit", ro->name,
		    (unsigned long long)t.body_len);
	v->withheld = 1;
	v->body_len = (size_t)t.body_len;
	return ENV1_OK;
}

static int
verify_signed(const Homeward__Keys__SignedMessage *m, const struct role *ro,
    struct verified *v, char *why)
{
	char id[FP_KEYID_BUFLEN];
	uint8_t ch[ENV1_HASH_LEN];
	int r;

	memset(v, 0, sizeof(*v));
	if (m->version != EVIDENCE_VERSION)
		return refuse(why, ENV1_R_VERSION, "%s: record version %u, expected %d",
		    ro->name, (unsigned)m->version, EVIDENCE_VERSION);
	if (m->header.len != ENV1_HDR_LEN)
		return refuse(why, ENV1_R_MALFORMED, "%s: header is %zu bytes, expected %d",
		    ro->name, m->header.len, ENV1_HDR_LEN);
	if (m->tbs.len != ENV1_TBS_LEN)
		return refuse(why, ENV1_R_MALFORMED, "%s: TBS is %zu bytes, expected %d",
		    ro->name, m->tbs.len, ENV1_TBS_LEN);
	if (m->sig.len != ENV1_SIG_LEN)
		return refuse(why, ENV1_R_MALFORMED,
		    "%s: signature is %zu bytes, expected %d", ro->name, m->sig.len,
		    ENV1_SIG_LEN);
	if (m->body.len > ENV1_MAX_INLINE)
		return refuse(why, ENV1_R_BODY_LEN, "%s: body is %zu bytes, over the limit",
		    ro->name, m->body.len);
	v->body_len = m->body.len;
	if ((r = check_withheld(m, ro, v, why)) != ENV1_OK ||
	    (r = parse_header(m, ro, v, why)) != ENV1_OK)
		return r;
	if ((r = env1_tbs_decode(m->tbs.data, &v->tbs)) != ENV1_OK)
		return refuse(why, r, "%s: TBS does not start with \"ENV1 message sig\"",
		    ro->name);
	if (v->tbs.body_len != v->body_len)
		return refuse(why, ENV1_R_BODY_LEN, "%s: body is %zu bytes but the TBS "
		    "says %llu", ro->name, m->body.len,
		    (unsigned long long)v->tbs.body_len);
	if (v->hdr.ct_len != ENV1_CT_MIN + v->body_len)
		return refuse(why, ENV1_R_CT_LEN,
		    "%s: header ct_len does not match 396 + the body length", ro->name);
	if ((r = check_inner(m, ro, v, why)) != ENV1_OK)
		return r;
	if (memcmp(v->tbs.sender_rik, ro->signer->keys.rik, ENV1_KEY_LEN) != 0) {
		fp_key_id(v->tbs.sender_rik, id);
		return refuse(why, ro->r_signer, "%s: sender_rik %s is not the %s "
		    "bundle's RIK", ro->name, id, ro->signer_side);
	}
	if (memcmp(v->tbs.recipient_rik, ro->addressee->keys.rik, ENV1_KEY_LEN) != 0) {
		fp_key_id(v->tbs.recipient_rik, id);
		return refuse(why, ro->r_addressee, "%s: recipient_rik %s is not the %s "
		    "bundle's RIK", ro->name, id, ro->addressee_side);
	}
	if ((r = check_signer(ro, v, why)) != ENV1_OK)
		return r;
	if (crypto_sign_verify_detached(m->sig.data, m->tbs.data, ENV1_TBS_LEN,
	    v->tbs.signer_dsk) != 0) {
		fp_key_id(v->tbs.signer_dsk, id);
		return refuse(why, ENV1_R_SIGNATURE,
		    "%s: signature does not verify under DSK %s", ro->name, id);
	}
	/* Withheld, the signed content_hash stands for the body: whoever
	 * holds the document can show it is this one. */
	if (!v->withheld) {
		crypto_generichash(ch, sizeof(ch), m->body.data, m->body.len,
		    v->tbs.content_salt, ENV1_HASH_LEN);
		if (memcmp(ch, v->tbs.content_hash, ENV1_HASH_LEN) != 0)
			return refuse(why, ENV1_R_CONTENT_HASH,
			    "%s: body does not match content_hash", ro->name);
		v->body = m->body.data;
	}
	env1_h_inner(m->tbs.data, m->sig.data, v->h_inner);
	return ENV1_OK;
}

/* The receipt body names this message, both agencies and its H_inner. */
static int
check_receipt(const struct verified *msg, const struct verified *rv,
    struct evidence_report *out, char *why)
{
	struct receipt rc;
	int r;

	if (rv->tbs.msg_type != ENV1_MSG_DELIVERY_RECEIPT)
		return refuse(why, ENV1_R_MSG_TYPE, "receipt: msg_type 0x%04x is not "
		    "DELIVERY_RECEIPT (0x0100)", (unsigned)rv->tbs.msg_type);
	if ((r = receipt_decode(rv->body, rv->body_len, &rc)) != ENV1_OK)
		return refuse(why, r, "receipt: body is not a %d-byte receipt",
		    RECEIPT_BODY_LEN);
	if (memcmp(rc.message_id, msg->tbs.message_id, ENV1_ID_LEN) != 0)
		return refuse(why, ENV1_R_RECEIPT_UNMATCHED,
		    "receipt: names another message_id");
	/* As receipt_check on the sender's side: it answers what it names. */
	if (memcmp(rv->tbs.in_reply_to, rc.message_id, ENV1_ID_LEN) != 0)
		return refuse(why, ENV1_R_RECEIPT_BODY,
		    "receipt: in_reply_to does not name the acknowledged message");
	/* 2.9: a receipt takes the recipient's next seq in the same thread. */
	if (memcmp(rv->tbs.thread_id, msg->tbs.thread_id, ENV1_ID_LEN) != 0)
		return refuse(why, ENV1_R_RECEIPT_UNMATCHED,
		    "receipt: thread_id is not the message's thread");
	if (memcmp(rc.sender_rik, msg->tbs.sender_rik, ENV1_KEY_LEN) != 0)
		return refuse(why, ENV1_R_RECEIPT_ADDRESSEE,
		    "receipt: original sender_rik is not the message's sender");
	if (memcmp(rc.recipient_rik, msg->tbs.recipient_rik, ENV1_KEY_LEN) != 0 ||
	    memcmp(rc.recipient_rik, rv->tbs.sender_rik, ENV1_KEY_LEN) != 0)
		return refuse(why, ENV1_R_RECEIPT_SIGNER,
		    "receipt: original recipient_rik is not the receipt's signer");
	if (memcmp(rc.h_inner, msg->h_inner, ENV1_HASH_LEN) != 0)
		return refuse(why, ENV1_R_RECEIPT_UNMATCHED,
		    "receipt: H_inner does not match the message");
	out->receipted = 1;
	out->received_at = rc.received_at;
	out->committed_at = rc.committed_at;
	/* Another H_env is a retransmission receipted as first accepted,
	 * not a forgery: report it, do not refuse. */
	if (msg->h_env_known)
		out->receipt_h_env_matches =
		    memcmp(rc.h_env, msg->h_env, ENV1_HASH_LEN) == 0;
	return ENV1_OK;
}

/* msg is a SignedMessage or an Evidence: exactly one of *m, *e is set. */
static int
decode_input(const uint8_t *msg, size_t msglen, Homeward__Keys__SignedMessage **m,
    Homeward__Keys__Evidence **e, char *why)
{
	*m = NULL;
	*e = NULL;
	if (msglen > EVIDENCE_MAX_LEN)
		return refuse(why, ENV1_R_MALFORMED, "evidence: %zu bytes, over the limit",
		    msglen);
	/*
	 * Both start with field 2 length-delimited, but a SignedMessage's
	 * field 2 is the 206-byte header while an Evidence's is a whole
	 * SignedMessage, always longer: the header length tells them apart.
	 * A record that is neither but parses as a SignedMessage is kept as
	 * one, so the refusal names its bad field.
	 */
	*m = homeward__keys__signed_message__unpack(NULL, msglen, msg);
	if (*m != NULL && (*m)->header.len == ENV1_HDR_LEN)
		return ENV1_OK;
	*e = homeward__keys__evidence__unpack(NULL, msglen, msg);
	if (*e != NULL && (*e)->message != NULL) {
		homeward__keys__signed_message__free_unpacked(*m, NULL);
		*m = NULL;
		if ((*e)->version != EVIDENCE_VERSION)
			return refuse(why, ENV1_R_VERSION,
			    "evidence: version %u, expected %d",
			    (unsigned)(*e)->version, EVIDENCE_VERSION);
		return ENV1_OK;
	}
	homeward__keys__evidence__free_unpacked(*e, NULL);
	*e = NULL;
	if (*m != NULL)
		return ENV1_OK;
	return refuse(why, ENV1_R_MALFORMED,
	    "evidence: neither a SignedMessage nor an Evidence");
}

/* The receipt to check, if any: the one the evidence carries or the one
 * given apart (decoded into *rm, the caller's to free), never both. */
static int
pick_receipt(const Homeward__Keys__Evidence *e, const uint8_t *rcpt,
    size_t rcptlen, Homeward__Keys__SignedMessage **rm,
    const Homeward__Keys__SignedMessage **rr, char *why)
{
	*rr = NULL;
	if (e != NULL && e->receipt != NULL) {
		if (rcpt != NULL)
			return refuse(why, ENV1_R_INVALID_ARG,
			    "evidence: carries a receipt and another was given");
		*rr = e->receipt;
	} else if (rcpt != NULL) {
		if (rcptlen > EVIDENCE_MAX_LEN ||
		    (*rm = homeward__keys__signed_message__unpack(NULL, rcptlen,
		    rcpt)) == NULL)
			return refuse(why, ENV1_R_MALFORMED,
			    "receipt: not a SignedMessage");
		*rr = *rm;
	}
	return ENV1_OK;
}

/* What the verified message says, for the report. */
static void
report_message(const struct verified *vm, struct evidence_report *out)
{
	out->msg_type = vm->tbs.msg_type;
	memcpy(out->message_id, vm->tbs.message_id, ENV1_ID_LEN);
	out->created_at = vm->tbs.created_at;
	memcpy(out->thread_id, vm->tbs.thread_id, ENV1_ID_LEN);
	out->seq = vm->tbs.seq;
	memcpy(out->h_inner, vm->h_inner, ENV1_HASH_LEN);
	out->h_env_known = vm->h_env_known;
	memcpy(out->h_env, vm->h_env, ENV1_HASH_LEN);
	out->body_withheld = vm->withheld;
}

int
evidence_verify(const uint8_t *msg, size_t msglen, const uint8_t *rcpt,
    size_t rcptlen, const struct bundle *sender, const struct bundle *recipient,
    struct evidence_report *out, char why[EVIDENCE_WHY_LEN])
{
	const struct role as_message = { "message", sender, recipient, "sender",
	    "recipient", ENV1_R_UNKNOWN_SENDER, ENV1_R_WRONG_RECIPIENT };
	const struct role as_receipt = { "receipt", recipient, sender, "recipient",
	    "sender", ENV1_R_RECEIPT_SIGNER, ENV1_R_RECEIPT_ADDRESSEE };
	Homeward__Keys__SignedMessage *m = NULL, *rm = NULL;
	const Homeward__Keys__SignedMessage *mm, *rr;
	Homeward__Keys__Evidence *e = NULL;
	struct verified vm, vr;
	char scratch[EVIDENCE_WHY_LEN];
	int r;

	if (why == NULL)
		why = scratch;
	why[0] = '\0';
	memset(out, 0, sizeof(*out));
	out->receipt_h_env_matches = -1;
	if ((r = decode_input(msg, msglen, &m, &e, why)) != ENV1_OK)
		goto done;
	mm = m != NULL ? m : e->message;
	if ((r = pick_receipt(e, rcpt, rcptlen, &rm, &rr, why)) != ENV1_OK)
		goto done;

	if ((r = verify_signed(mm, &as_message, &vm, why)) != ENV1_OK)
		goto done;
	if (rr != NULL) {
		if (vm.tbs.msg_type == ENV1_MSG_DELIVERY_RECEIPT) {
			r = refuse(why, ENV1_R_RECEIPT_FOR_RECEIPT,
			    "message: is itself a receipt, and receipts are never "
			    "acknowledged");
			goto done;
		}
		if ((r = verify_signed(rr, &as_receipt, &vr, why)) != ENV1_OK ||
		    (r = check_revocations(&as_receipt, &vr, vr.tbs.created_at,
		    "the receipt was created after that", why)) != ENV1_OK ||
		    (r = check_receipt(&vm, &vr, out, why)) != ENV1_OK)
			goto done;
	}
	if (out->receipted)
		r = check_revocations(&as_message, &vm, out->committed_at,
		    "the receipt was committed after that", why);
	else
		r = check_revocations(&as_message, &vm, UINT64_MAX,
		    "no receipt shows the message was accepted before", why);
	if (r != ENV1_OK)
		goto done;
	report_message(&vm, out);
	r = ENV1_OK;
done:
	homeward__keys__signed_message__free_unpacked(m, NULL);
	homeward__keys__signed_message__free_unpacked(rm, NULL);
	homeward__keys__evidence__free_unpacked(e, NULL);
	if (r != ENV1_OK)
		memset(out, 0, sizeof(*out));
	return r;
}
