/*
 * Evidence bundles for the operator (`homeward evidence export`): a sent
 * or received message as it was signed, with its receipt, in the format
 * `homeward-keys verify-evidence` checks (docs/PROTOCOL.md section 15);
 * for an auditor, without the message's body.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/core/core.h"
#include "keys/evidence.h"
#include "keys/secret.h"

/* The SignedMessage of one of our outbox rows. */
static int
out_record(struct daemon *d, const struct store_out *m, uint8_t **rec, size_t *len)
{
	uint8_t         tbs[ENV1_TBS_LEN], sig[ENV1_SIG_LEN];
	uint8_t        *env = NULL, *body = NULL;
	size_t          envlen;
	int             rc;

	if ((rc = store_out_envelope(d->store, m, &env, &envlen)) != 0)
		return rc;
	if ((rc = store_out_signed(d->store, m, tbs, sig)) != 0 ||
	    (rc = store_out_body(d->store, m, &body)) != 0)
		goto out;
	rc = evidence_record_encode(env, tbs, sig, body, (size_t)m->body_len,
	    env + ENV1_HDR_LEN, envlen - ENV1_HDR_LEN, rec, len) == ENV1_OK ? 0 : -ENOMEM;
out:
	free(env);
	secret_free(body);
	return rc;
}

/* A record and who owns its memory: store_in_evidence gives secret
 * memory, out_record malloc'ed memory. */
struct record {
	uint8_t        *buf;
	size_t          len;
	int             secret;
};

static void
record_free(struct record *r)
{
	if (r->secret) {
		secret_free(r->buf);
	} else {
		if (r->buf != NULL)
			sodium_memzero(r->buf, r->len);
		free(r->buf);
	}
	memset(r, 0, sizeof(*r));
}

/* The message's record without its body: replaces *r. */
static int
record_withhold(struct record *r)
{
	struct record w = { NULL, 0, 0 };

	if (evidence_record_withhold(r->buf, r->len, &w.buf, &w.len) != ENV1_OK)
		return -EBADMSG;
	record_free(r);
	*r = w;
	return 0;
}

static int
evidence(struct daemon *d, const uint8_t message_id[ENV1_ID_LEN], int with_body,
    uint8_t **out, size_t *outlen)
{
	struct store_out        m, r;
	struct store_in         in, rin;
	struct record           msg = { NULL, 0, 0 }, rcpt = { NULL, 0, 0 };
	int                     rc;

	if ((rc = store_out_get(d->store, message_id, &m)) == 0) {
		if (m.state == OUT_WAITING)
			return -EAGAIN;
		if ((rc = out_record(d, &m, &msg.buf, &msg.len)) != 0)
			goto out;
		if (m.state == OUT_DELIVERED &&
		    store_in_get_id(d->store, m.receipt_id, &rin) == 0) {
			rcpt.secret = 1;
			if ((rc = store_in_evidence(d->store, &rin, &rcpt.buf,
			    &rcpt.len)) != 0)
				goto out;
		}
	} else if (rc == -ENOENT &&
	    (rc = store_in_get_id(d->store, message_id, &in)) == 0) {
		msg.secret = 1;
		if ((rc = store_in_evidence(d->store, &in, &msg.buf, &msg.len)) != 0)
			goto out;
		if (store_out_get(d->store, in.receipt_id, &r) == 0 &&
		    r.state == OUT_RECEIPT &&
		    (rc = out_record(d, &r, &rcpt.buf, &rcpt.len)) != 0)
			goto out;
	} else {
		return rc;
	}
	if (!with_body && (rc = record_withhold(&msg)) != 0)
		goto out;
	rc = evidence_bundle_encode(msg.buf, msg.len, rcpt.buf, rcpt.len, out,
	    outlen) == ENV1_OK ? 0 : -ENOMEM;
out:
	record_free(&msg);
	record_free(&rcpt);
	return rc;
}

int
deliver_evidence(struct daemon *d, const uint8_t message_id[ENV1_ID_LEN],
    uint8_t **out, size_t *outlen)
{
	return evidence(d, message_id, 1, out, outlen);
}

int
deliver_evidence_withheld(struct daemon *d,
    const uint8_t message_id[ENV1_ID_LEN], uint8_t **out, size_t *outlen)
{
	return evidence(d, message_id, 0, out, outlen);
}
