/*
 * Agency bundles (see bundle.h).  A bundle reaches us from a file an
 * operator imports or from a peer daemon, possibly through relays, so it is
 * hostile input until every signature has been checked.  It is all or
 * nothing: one bad statement refuses the whole bundle, with a reason and a
 * sentence naming the field, because an operator has to act on it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keys/bundle.h"
#include "keys/bundle_info.h"
#include "keys/fingerprint.h"
#include "proto/pbcheck.h"
#include "proto/keys.pb-c.h"

static int __attribute__((format(printf, 3, 4)))
refuse(char *why, int reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, BUNDLE_WHY_LEN, fmt, ap);
	va_end(ap);
	return reason;
}

/* --- build --- */

/* The Bundle message: its statements encoded into raw, one item each. */
static void
fill_bundle(Homeward__Keys__Bundle *b, const uint8_t *rik,
    const struct bundle_parts *p, ProtobufCBinaryData *it, uint8_t *w)
{
	b->version = BUNDLE_VERSION;
	b->rik.data = (uint8_t *)rik;
	b->rik.len = ENV1_KEY_LEN;
	b->agency_info.data = (uint8_t *)p->agency_info;
	b->agency_info.len = p->agency_info_len;
	b->agency_sig.data = (uint8_t *)p->agency_sig;
	b->agency_sig.len = p->agency_sig != NULL ? ENV1_SIG_LEN : 0;
	b->n_dsk_certs = p->ncerts;
	b->dsk_certs = it;
	for (size_t i = 0; i < p->ncerts; i++, it++, w += STMT_CERT_LEN) {
		stmt_cert_encode(&p->certs[i], w);
		*it = (ProtobufCBinaryData){ .len = STMT_CERT_LEN, .data = w };
	}
	b->n_prekeys = p->nprekeys;
	b->prekeys = it;
	for (size_t i = 0; i < p->nprekeys; i++, it++, w += STMT_SPK_LEN) {
		stmt_spk_encode(&p->prekeys[i], w);
		*it = (ProtobufCBinaryData){ .len = STMT_SPK_LEN, .data = w };
	}
	b->n_revocations = p->nrevocations;
	b->revocations = it;
	for (size_t i = 0; i < p->nrevocations; i++, it++, w += STMT_REVOCATION_LEN) {
		stmt_revocation_encode(&p->revocations[i], w);
		*it = (ProtobufCBinaryData){ .len = STMT_REVOCATION_LEN, .data = w };
	}
	b->n_transitions = p->ntransitions;
	b->transitions = it;
	for (size_t i = 0; i < p->ntransitions; i++, it++, w += STMT_TRANSITION_LEN) {
		stmt_transition_encode(&p->transitions[i], w);
		*it = (ProtobufCBinaryData){ .len = STMT_TRANSITION_LEN, .data = w };
	}
}

int
bundle_build(const uint8_t rik[ENV1_KEY_LEN], const struct bundle_parts *p,
    uint8_t **out, size_t *outlen)
{
	Homeward__Keys__Bundle b = HOMEWARD__KEYS__BUNDLE__INIT;
	ProtobufCBinaryData *items = NULL;
	uint8_t *raw = NULL, *buf = NULL;
	size_t nitems, rawlen, n;
	int r = ENV1_R_INVALID_ARG;

	*out = NULL;
	*outlen = 0;
	if (p->ncerts > BUNDLE_MAX_STMTS || p->nprekeys > BUNDLE_MAX_STMTS ||
	    p->nrevocations > BUNDLE_MAX_STMTS || p->ntransitions > BUNDLE_MAX_STMTS ||
	    p->agency_info_len > BUNDLE_MAX_LEN)
		return ENV1_R_INVALID_ARG;
	nitems = p->ncerts + p->nprekeys + p->nrevocations + p->ntransitions;
	rawlen = p->ncerts * STMT_CERT_LEN + p->nprekeys * STMT_SPK_LEN +
	    p->nrevocations * STMT_REVOCATION_LEN + p->ntransitions * STMT_TRANSITION_LEN;
	items = calloc(nitems > 0 ? nitems : 1, sizeof(*items));
	raw = malloc(rawlen > 0 ? rawlen : 1);
	if (items == NULL || raw == NULL) {
		r = ENV1_R_NOMEM;
		goto done;
	}
	fill_bundle(&b, rik, p, items, raw);
	n = homeward__keys__bundle__get_packed_size(&b);
	if (n > BUNDLE_MAX_LEN)
		goto done;      /* we would refuse it ourselves */
	if ((buf = malloc(n)) == NULL) {
		r = ENV1_R_NOMEM;
		goto done;
	}
	homeward__keys__bundle__pack(&b, buf);
	*out = buf;
	*outlen = n;
	r = ENV1_OK;
done:
	free(items);
	free(raw);
	return r;
}

/* --- parse --- */
static int
parse_certs(const Homeward__Keys__Bundle *b, struct peerkeys *pk, char *why)
{
	for (size_t i = 0; i < b->n_dsk_certs; i++) {
		struct stmt_dsk_cert c;
		char id[FP_KEYID_BUFLEN];
		int r;

		if (stmt_cert_decode(b->dsk_certs[i].data, b->dsk_certs[i].len, &c) != ENV1_OK)
			return refuse(why, ENV1_R_MALFORMED,
			    "dsk_certs[%zu]: not a %d-byte DSK certificate", i, STMT_CERT_LEN);
		if (c.not_before > c.not_after)
			return refuse(why, ENV1_R_MALFORMED,
			    "dsk_certs[%zu]: not_after is before not_before", i);
		switch ((r = peerkeys_add_cert(pk, &c))) {
		case ENV1_OK:
			break;
		case ENV1_R_STMT_ISSUER:
			fp_key_id(c.issuer_rik, id);
			return refuse(why, r, "dsk_certs[%zu]: issued by another RIK (%s)", i, id);
		case ENV1_R_STMT_SIGNATURE:
			return refuse(why, r, "dsk_certs[%zu]: signature does not verify", i);
		default:
			return refuse(why, r, "dsk_certs[%zu]: %s", i, env1_reason_text(r));
		}
	}
	return ENV1_OK;
}

static int
parse_prekeys(const Homeward__Keys__Bundle *b, struct peerkeys *pk, char *why)
{
	for (size_t i = 0; i < b->n_prekeys; i++) {
		struct stmt_spk s;
		char id[FP_KEYID_BUFLEN];
		int r;

		r = stmt_spk_decode(b->prekeys[i].data, b->prekeys[i].len, &s);
		/* A suite we lack is a newer peer's, not a forgery: skip it. */
		if (r == ENV1_R_SUITE)
			continue;
		if (r != ENV1_OK)
			return refuse(why, ENV1_R_MALFORMED,
			    "prekeys[%zu]: not a %d-byte SPK statement", i, STMT_SPK_LEN);
		if (s.not_before > s.not_after || s.not_after > s.retain_until)
			return refuse(why, ENV1_R_MALFORMED,
			    "prekeys[%zu]: times out of order (not_before <= not_after "
			    "<= retain_until)", i);
		fp_key_id(s.signer_dsk, id);
		switch ((r = peerkeys_add_prekey(pk, &s))) {
		case ENV1_OK:
			break;
		case ENV1_R_PREKEY_OWNER:
			return refuse(why, r, "prekeys[%zu]: prekey belongs to another agency", i);
		case ENV1_R_STMT_SIGNATURE:
			return refuse(why, r,
			    "prekeys[%zu]: signature does not verify under DSK %s", i, id);
		case ENV1_R_PREKEY_USAGE:
			return refuse(why, r, "prekeys[%zu]: signer DSK %s has no "
			    "certificate with PREKEY usage in this bundle", i, id);
		case ENV1_R_PREKEY_VALIDITY:
			return refuse(why, r, "prekeys[%zu]: signer DSK %s's certificate "
			    "is not valid at the prekey's not_before", i, id);
		case ENV1_R_PREKEY_POINT:
			return refuse(why, r, "prekeys[%zu]: spk_pub is a low-order point", i);
		default:
			return refuse(why, r, "prekeys[%zu]: %s", i, env1_reason_text(r));
		}
	}
	return ENV1_OK;
}

static int
parse_revocations(const Homeward__Keys__Bundle *b, struct peerkeys *pk, char *why)
{
	for (size_t i = 0; i < b->n_revocations; i++) {
		struct stmt_revocation rv;
		char id[FP_KEYID_BUFLEN];
		int r;

		if (stmt_revocation_decode(b->revocations[i].data, b->revocations[i].len,
		    &rv) != ENV1_OK)
			return refuse(why, ENV1_R_MALFORMED,
			    "revocations[%zu]: not a %d-byte revocation", i,
			    STMT_REVOCATION_LEN);
		switch ((r = peerkeys_add_revocation(pk, &rv))) {
		case ENV1_OK:
			break;
		case ENV1_R_STMT_ISSUER:
			fp_key_id(rv.issuer_rik, id);
			return refuse(why, r, "revocations[%zu]: issued by another RIK (%s)",
			    i, id);
		case ENV1_R_STMT_SIGNATURE:
			return refuse(why, r, "revocations[%zu]: signature does not verify", i);
		default:
			return refuse(why, r, "revocations[%zu]: %s", i, env1_reason_text(r));
		}
	}
	return ENV1_OK;
}

/* Each signature of a transition on its own, so `why` can say which. */
static int
transition_check(const struct stmt_transition *t, size_t i, char *why)
{
	uint8_t enc[STMT_TRANSITION_LEN];
	char id[FP_KEYID_BUFLEN];

	stmt_transition_encode(t, enc);
	if (crypto_sign_verify_detached(t->sig_old, enc, STMT_TRANSITION_BODY_LEN,
	    t->old_rik) != 0) {
		fp_key_id(t->old_rik, id);
		return refuse(why, ENV1_R_STMT_SIGNATURE,
		    "transitions[%zu]: signature by the old RIK %s does not verify", i, id);
	}
	if (crypto_sign_verify_detached(t->sig_new, enc, STMT_TRANSITION_BODY_LEN,
	    t->new_rik) != 0)
		return refuse(why, ENV1_R_STMT_SIGNATURE,
		    "transitions[%zu]: signature by the new RIK does not verify", i);
	return ENV1_OK;
}

static int
parse_transitions(const Homeward__Keys__Bundle *b, struct bundle *out, char *why)
{
	if (b->n_transitions == 0)
		return ENV1_OK;
	out->transitions = calloc(b->n_transitions, sizeof(*out->transitions));
	if (out->transitions == NULL)
		return refuse(why, ENV1_R_NOMEM, "transitions: out of memory");
	for (size_t i = 0; i < b->n_transitions; i++) {
		struct stmt_transition *t = &out->transitions[i];
		int r;

		if (stmt_transition_decode(b->transitions[i].data, b->transitions[i].len,
		    t) != ENV1_OK)
			return refuse(why, ENV1_R_MALFORMED,
			    "transitions[%zu]: not a %d-byte RIK transition", i,
			    STMT_TRANSITION_LEN);
		if (memcmp(t->new_rik, b->rik.data, ENV1_KEY_LEN) != 0)
			return refuse(why, ENV1_R_RIK_TRANSITION,
			    "transitions[%zu]: new_rik is not this bundle's rik", i);
		if (memcmp(t->old_rik, t->new_rik, ENV1_KEY_LEN) == 0)
			return refuse(why, ENV1_R_MALFORMED,
			    "transitions[%zu]: old_rik equals new_rik", i);
		if ((r = transition_check(t, i, why)) != ENV1_OK)
			return r;
		out->ntransitions = i + 1;
	}
	return ENV1_OK;
}

int
bundle_parse(const uint8_t *buf, size_t len, struct bundle *out,
    char why[BUNDLE_WHY_LEN])
{
	Homeward__Keys__Bundle *b = NULL;
	char scratch[BUNDLE_WHY_LEN];
	int r;

	if (why == NULL)
		why = scratch;
	why[0] = '\0';
	memset(out, 0, sizeof(*out));
	/* Cap first: nothing is decoded or allocated for an oversized input. */
	if (len > BUNDLE_MAX_LEN)
		return refuse(why, ENV1_R_MALFORMED, "bundle: %zu bytes, over the %d-byte cap",
		    len, BUNDLE_MAX_LEN);
	if ((b = homeward__keys__bundle__unpack(NULL, len, buf)) == NULL)
		return refuse(why, ENV1_R_MALFORMED, "bundle: not a valid Bundle protobuf");
	if ((r = pbcheck_singular_once(buf, len,
	    &homeward__keys__bundle__descriptor)) != 0) {
		r = r < 0 ? refuse(why, ENV1_R_MALFORMED,
		    "bundle: not a valid Bundle protobuf") : refuse(why,
		    ENV1_R_MALFORMED, "bundle: field %d occurs more than once", r);
		goto done;
	}
	if (b->version != BUNDLE_VERSION) {
		r = refuse(why, ENV1_R_VERSION, "version: %u, expected %d",
		    (unsigned)b->version, BUNDLE_VERSION);
		goto done;
	}
	if (b->rik.len != ENV1_KEY_LEN) {
		r = refuse(why, ENV1_R_MALFORMED, "rik: %zu bytes, expected %d",
		    b->rik.len, ENV1_KEY_LEN);
		goto done;
	}
	{
		const struct { const char *field; size_t n; } counts[] = {
			{ "dsk_certs", b->n_dsk_certs },
			{ "prekeys", b->n_prekeys },
			{ "revocations", b->n_revocations },
			{ "transitions", b->n_transitions },
		};

		for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
			if (counts[i].n > BUNDLE_MAX_STMTS) {
				r = refuse(why, ENV1_R_MALFORMED,
				    "%s: %zu entries, at most %d", counts[i].field,
				    counts[i].n, BUNDLE_MAX_STMTS);
				goto done;
			}
	}
	peerkeys_init(&out->keys, b->rik.data);
	if ((r = bundle_info_verify(b->rik.data, b->agency_info.data,
	    b->agency_info.len, b->agency_sig.data, b->agency_sig.len, &out->info,
	    why)) != ENV1_OK)
		goto done;
	/* Prekeys before revocations: a prekey signed by a DSK revoked later
	 * is kept, and the seal path refuses it (peerkeys_validate_prekey). */
	if ((r = parse_certs(b, &out->keys, why)) != ENV1_OK ||
	    (r = parse_prekeys(b, &out->keys, why)) != ENV1_OK ||
	    (r = parse_revocations(b, &out->keys, why)) != ENV1_OK ||
	    (r = parse_transitions(b, out, why)) != ENV1_OK)
		goto done;
	r = ENV1_OK;
done:
	homeward__keys__bundle__free_unpacked(b, NULL);
	if (r != ENV1_OK)
		bundle_free(out);
	return r;
}

void
bundle_free(struct bundle *b)
{
	if (b == NULL)
		return;
	peerkeys_clear(&b->keys);
	free(b->transitions);
	memset(b, 0, sizeof(*b));
}

int
bundle_check_identity(const struct bundle *b, const uint8_t pinned_rik[ENV1_KEY_LEN],
    const struct peerkeys *pinned, int *rotated)
{
	*rotated = 0;
	if (memcmp(b->keys.rik, pinned_rik, ENV1_KEY_LEN) == 0)
		return ENV1_OK;
	/* A RIK that revoked itself is the kill switch: it cannot hand the
	 * identity on, whatever transition it signed before or after. */
	if (pinned != NULL && peerkeys_is_revoked(pinned, pinned_rik, STMT_REVOKE_RIK))
		return ENV1_R_RIK_TRANSITION;
	for (size_t i = 0; i < b->ntransitions; i++) {
		const struct stmt_transition *t = &b->transitions[i];

		if (memcmp(t->old_rik, pinned_rik, ENV1_KEY_LEN) != 0 ||
		    memcmp(t->new_rik, b->keys.rik, ENV1_KEY_LEN) != 0)
			continue;
		/* Checked by bundle_parse; again here for a hand-made struct. */
		if (stmt_transition_verify(t) != ENV1_OK)
			continue;
		*rotated = 1;
		return ENV1_OK;
	}
	return ENV1_R_RIK_TRANSITION;
}

int
bundle_check_transition(const uint8_t *buf, size_t len,
    const uint8_t pinned_rik[ENV1_KEY_LEN], const struct peerkeys *pinned,
    const uint8_t new_rik[ENV1_KEY_LEN])
{
	struct stmt_transition t;

	if (buf == NULL || stmt_transition_decode(buf, len, &t) != ENV1_OK)
		return ENV1_R_MALFORMED;
	if (memcmp(t.old_rik, pinned_rik, ENV1_KEY_LEN) != 0 ||
	    memcmp(t.new_rik, new_rik, ENV1_KEY_LEN) != 0 ||
	    memcmp(t.old_rik, t.new_rik, ENV1_KEY_LEN) == 0)
		return ENV1_R_RIK_TRANSITION;
	if (pinned != NULL && peerkeys_is_revoked(pinned, pinned_rik, STMT_REVOKE_RIK))
		return ENV1_R_RIK_TRANSITION;
	return stmt_transition_verify(&t);
}
