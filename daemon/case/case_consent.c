/*
 * Consent records and what follows from them (case.h): recording one
 * releases what it covers; withdrawing cancels what no consent covers any
 * more and tells every partner that received data of the case and is no
 * longer named by a consent in force.  The safety exception is in
 * case_approve.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/base/log.h"
#include "daemon/case/case.h"
#include "daemon/case/case_int.h"
#include "daemon/core/core.h"
#include "daemon/store/audit.h"
#include "keys/bundle.h"
#include "keys/secret.h"
#include "proto/pbwipe.h"
#include "proto/refcat.h"

/* The scope as the gate reads it; -EINVAL with why when it cannot be a
 * valid consent. */
static int
scope_to_consent(const Homeward__Referral__ConsentScope *s, struct consent *c,
    uint64_t now, char *why, size_t whylen)
{
	memset(c, 0, sizeof(*c));
	if (s->n_recipients == 0 || s->n_recipients > CONSENT_MAX_RECIPIENTS) {
		snprintf(why, whylen, "a consent names 1-%d recipient agencies",
		    CONSENT_MAX_RECIPIENTS);
		return -EINVAL;
	}
	for (size_t i = 0; i < s->n_recipients; i++) {
		if (bundle_agency_id_problem(s->recipients[i]) != NULL) {
			snprintf(why, whylen, "recipient %zu is not an agency id", i + 1);
			return -EINVAL;
		}
		snprintf(c->recipients[i], sizeof(c->recipients[i]), "%s",
		    s->recipients[i]);
	}
	c->nrecipients = s->n_recipients;
	for (size_t i = 0; i < s->n_steps; i++) {
		if (s->steps[i] < 1 || s->steps[i] > 7) {
			snprintf(why, whylen, "steps are 1-7");
			return -EINVAL;
		}
		c->steps |= 1u << s->steps[i];
	}
	for (size_t i = 0; i < s->n_categories; i++) {
		if (s->categories[i] < HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_IDENTITY ||
		    s->categories[i] > HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_REINTEGRATION) {
			snprintf(why, whylen, "categories are identity, profile, health, "
			    "security, travel, reintegration");
			return -EINVAL;
		}
		c->categories |= 1u << s->categories[i];
	}
	if (c->steps == 0) {
		snprintf(why, whylen, "a consent names the steps it covers");
		return -EINVAL;
	}
	if (s->method == HOMEWARD__REFERRAL__CONSENT_METHOD__METHOD_UNSPECIFIED) {
		snprintf(why, whylen, "say how the consent was given (written, oral, "
		    "oral with an interpreter)");
		return -EINVAL;
	}
	if (s->method == HOMEWARD__REFERRAL__CONSENT_METHOD__METHOD_WRITTEN &&
	    s->form_hash.len != 32) {
		snprintf(why, whylen, "a written consent records the SHA-256 of the "
		    "signed form (--form FILE)");
		return -EINVAL;
	}
	if (s->method == HOMEWARD__REFERRAL__CONSENT_METHOD__METHOD_ORAL_INTERPRETED &&
	    (s->language == NULL || *s->language == '\0')) {
		snprintf(why, whylen, "an interpreted consent names the language");
		return -EINVAL;
	}
	if (s->expires_at != 0 && s->expires_at <= now) {
		snprintf(why, whylen, "the consent's expiry is in the past");
		return -EINVAL;
	}
	memcpy(c->id, s->consent_id.data, ENV1_ID_LEN);
	c->given_at = s->given_at;
	c->expires_at = s->expires_at;
	return 0;
}

static int
case_minor(struct daemon *d, const struct store_case *c, int *minor)
{
	Homeward__Referral__Profile    *pf = NULL;
	uint8_t                        *raw;
	size_t                          len;
	int                             rc;

	*minor = 0;
	if ((rc = store_case_profile(d->store, c, &raw, &len)) != 0)
		return rc;
	if (len > 0 && (pf = homeward__referral__profile__unpack(&pbwipe_allocator,
	    len, raw)) != NULL) {
		*minor = pf->minor;
		homeward__referral__profile__free_unpacked(pf, &pbwipe_allocator);
	}
	secret_free(raw);
	return 0;
}

/* The consent row, its audit record and what it now releases: one
 * transaction.  enc: the scope as recorded. */
static int
consent_commit(struct daemon *d, const struct case_actor *a,
    const struct store_case *c, const struct store_consent *sc,
    const uint8_t *enc, size_t enc_len, unsigned *released, char *why,
    size_t whylen)
{
	char    detail[192], cats[128];
	int     rc;

	refcat_mask_format(sc->c.categories, cats, sizeof(cats));
	snprintf(detail, sizeof(detail), "consent %s: %zu recipient(s), steps 0x%x, "
	    "categories %s", log_hex(sc->c.id, 8), sc->c.nrecipients, sc->c.steps,
	    cats[0] ? cats : "none");
	if ((rc = store_begin(d->store)) != 0)
		return rc;
	if ((rc = store_consent_insert(d->store, sc, enc, enc_len)) == -EEXIST)
		snprintf(why, whylen, "consent %s is recorded already",
		    log_hex(sc->c.id, 8));
	if (rc != 0 ||
	    (rc = audit_append(d->store, a->name, AUDIT_CONSENT_RECORD, c->code, NULL,
	    detail, clock_now())) != 0 ||
	    (rc = case_release_held(d, c, a->name, released)) != 0) {
		store_rollback(d->store);
		return rc;
	}
	return store_commit(d->store);
}

int
case_consent_record(struct daemon *d, const struct case_actor *a,
    const struct store_case *c, const uint8_t *raw, size_t raw_len,
    uint8_t consent_id[ENV1_ID_LEN], unsigned *released, char *why, size_t whylen)
{
	Homeward__Referral__ConsentScope       *s;
	struct store_consent                    sc;
	uint8_t                                 id[ENV1_ID_LEN], *enc = NULL;
	size_t                                  enc_len;
	int                                     rc, minor;

	*released = 0;
	if (c->state != CASE_OPEN) {
		snprintf(why, whylen, "case %s is %s", c->code,
		    store_case_state_name(c->state));
		return -EPERM;
	}
	if ((s = homeward__referral__consent_scope__unpack(&pbwipe_allocator,
	    raw_len, raw)) == NULL) {
		snprintf(why, whylen, "the consent scope does not decode");
		return -EINVAL;
	}
	if (s->consent_id.len == 0) {
		randombytes_buf(id, sizeof(id));
		s->consent_id.data = id;        /* ours; put back before freeing */
		s->consent_id.len = sizeof(id);
	} else if (s->consent_id.len != ENV1_ID_LEN) {
		snprintf(why, whylen, "a consent id is 16 bytes");
		rc = -EINVAL;
		goto out;
	} else {
		memcpy(id, s->consent_id.data, sizeof(id));
	}
	if (s->given_at == 0)
		s->given_at = clock_now();
	memset(&sc, 0, sizeof(sc));
	if ((rc = scope_to_consent(s, &sc.c, clock_now(), why, whylen)) != 0)
		goto out;
	if ((rc = case_minor(d, c, &minor)) != 0)
		goto out;
	if (minor && !s->by_guardian) {
		snprintf(why, whylen, "case %s is a minor's: the consent is given by a "
		    "guardian (--guardian), saying whether the child was consulted",
		    c->code);
		rc = -EINVAL;
		goto out;
	}
	memcpy(sc.case_id, c->case_id, ENV1_ID_LEN);
	snprintf(sc.recorded_by, sizeof(sc.recorded_by), "%s", a->name);
	sc.recorded_at = clock_now();
	sc.source = CONSENT_RECORDED;
	if ((rc = case_doc_pack(&s->base, &enc, &enc_len)) != 0)
		goto out;
	if ((rc = consent_commit(d, a, c, &sc, enc, enc_len, released, why,
	    whylen)) != 0)
		goto out;
	audit_anchor_sync(d->store);
	memcpy(consent_id, id, ENV1_ID_LEN);
	if (*released > 0)
		daemon_wake(d);
	log_info("case %s: consent %s recorded by %s; %u held document(s) released",
	    c->code, log_hex(id, 8), a->name, *released);
out:
	if (s->consent_id.data == id) {
		s->consent_id.data = NULL;
		s->consent_id.len = 0;
	}
	homeward__referral__consent_scope__free_unpacked(s, &pbwipe_allocator);
	secret_free(enc);
	return rc;
}

/* --- withdrawal -------------------------------------------------------------- */

struct ct_walk {
	struct store_case_thread       *v;
	size_t                          n, cap;
};

static int
ct_collect(const struct store_case_thread *t, void *arg)
{
	struct ct_walk                 *w = arg;
	struct store_case_thread       *grown;

	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 4;
		if ((grown = realloc(w->v, w->cap * sizeof(*grown))) == NULL)
			return -ENOMEM;
		w->v = grown;
	}
	w->v[w->n++] = *t;
	return 0;
}

static int
named_in_force(const struct consent *v, size_t n, const char *agency, uint64_t now)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i].withdrawn_at != 0 ||
		    (v[i].expires_at != 0 && now >= v[i].expires_at))
			continue;
		for (size_t k = 0; k < v[i].nrecipients; k++)
			if (strcmp(v[i].recipients[k], agency) == 0)
				return 1;
	}
	return 0;
}

/* Tell one partner (open transaction). */
static int
send_withdrawal(struct daemon *d, const struct store_case *c, struct peer *p,
    struct store_case_thread *ct, const uint8_t *consent_id, const char *actor)
{
	Homeward__Referral__ConsentWithdrawal   w =
	    HOMEWARD__REFERRAL__CONSENT_WITHDRAWAL__INIT;
	uint8_t                                 mid[ENV1_ID_LEN];

	w.withdrawn_at = clock_now();
	if (consent_id != NULL) {
		w.consent_id.data = (uint8_t *)consent_id;
		w.consent_id.len = ENV1_ID_LEN;
	}
	/* No personal data: it needs no consent, and goes even to a
	 * suspended peer's queue (it leaves when the peer is back). */
	return case_queue_doc(d, c, p, ct, 0, ENV1_MSG_CONSENT_WITHDRAWAL, &w.base,
	    NULL, NULL, actor, mid);
}

/* Held documents no consent in force covers any more are cancelled (open
 * transaction). */
static int
cancel_uncovered(struct daemon *d, const struct case_actor *a,
    const struct store_case *c, const struct consent *plain, size_t n,
    uint64_t now)
{
	struct store_held      *hv = NULL;
	struct peer            *p;
	size_t                  nh = 0;
	int                     rc;

	if ((rc = case_held_list(d, c->case_id, HELD_CONSENT, &hv, &nh)) != 0)
		return rc;
	for (size_t i = 0; i < nh && rc == 0; i++) {
		struct consent_verdict  v;
		struct consent_need     need;
		char                    agency[STORE_NAME_LEN] = "";

		if ((p = peers_by_rik(d, hv[i].peer_rik)) != NULL)
			snprintf(agency, sizeof(agency), "%s", p->rec.agency_id);
		need.recipient = agency;
		need.step = hv[i].msg_type;
		need.categories = hv[i].categories;
		need.now = now;
		consent_decide(plain, n, &need, &v);
		if (v.covered)
			continue;
		hv[i].state = HELD_CANCELLED;
		snprintf(hv[i].missing, sizeof(hv[i].missing), "cancelled: consent "
		    "withdrawn");
		if ((rc = store_held_update(d->store, &hv[i])) == 0)
			rc = audit_append(d->store, a->name, AUDIT_CANCEL, c->code, NULL,
			    "held document cancelled: consent withdrawn", now);
	}
	free(hv);
	return rc;
}

/* Partners that received data of the case and are named by no consent in
 * force are told to erase it (open transaction); *notified counts them. */
static int
notify_unnamed(struct daemon *d, const struct case_actor *a,
    const struct store_case *c, const uint8_t *consent_id,
    const struct consent *plain, size_t n, uint64_t now, unsigned *notified)
{
	struct ct_walk          w = { NULL, 0, 0 };
	struct peer            *p;
	int                     rc;

	if ((rc = store_ct_each(d->store, c->case_id, ct_collect, &w)) != 0) {
		free(w.v);
		return rc;
	}
	for (size_t i = 0; i < w.n && rc == 0; i++) {
		struct store_case_thread *ct = &w.v[i];
		struct store_thread       t;

		if (ct->flow.withdrawn || (p = peers_by_rik(d, ct->peer_rik)) == NULL)
			continue;
		if (named_in_force(plain, n, p->rec.agency_id, now))
			continue;
		/* Nothing was ever sealed to it: nothing to erase there. */
		if (store_thread_get(d->store, ct->thread_id, &t) != 0 || t.out_seq == 0)
			continue;
		if ((rc = send_withdrawal(d, c, p, ct, consent_id, a->name)) == 0) {
			(*notified)++;
			p->seal_pending = 1;
		}
	}
	free(w.v);
	return rc;
}

int
case_consent_withdraw(struct daemon *d, const struct case_actor *a,
    const struct store_case *c, const uint8_t *consent_id, unsigned *withdrawn,
    unsigned *notified, char *why, size_t whylen)
{
	struct store_consent   *rows = NULL;
	struct consent         *plain = NULL;
	size_t                  n = 0;
	uint64_t                now = clock_now();
	char                    detail[128];
	int                     rc, in_force = 0;

	*withdrawn = *notified = 0;
	if (c->state == CASE_ERASED || c->state == CASE_ERASING) {
		snprintf(why, whylen, "case %s is %s", c->code,
		    store_case_state_name(c->state));
		return -EPERM;
	}
	if ((rc = store_begin(d->store)) != 0)
		return rc;
	if ((rc = store_consent_withdraw(d->store, c->case_id, consent_id, now,
	    withdrawn)) != 0)
		goto fail;
	if (*withdrawn == 0) {
		snprintf(why, whylen, "case %s has no such consent in force", c->code);
		rc = -ENOENT;
		goto fail;
	}
	if ((rc = case_consents(d, c->case_id, &rows, &plain, &n)) != 0)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (plain[i].withdrawn_at == 0 &&
		    (plain[i].expires_at == 0 || now < plain[i].expires_at))
			in_force = 1;
	if ((rc = cancel_uncovered(d, a, c, plain, n, now)) != 0 ||
	    (rc = notify_unnamed(d, a, c, consent_id, plain, n, now, notified)) != 0)
		goto fail;
	if (!in_force && (rc = store_case_set_state(d->store, c->case_id,
	    CASE_RESTRICTED, now)) != 0)
		goto fail;
	snprintf(detail, sizeof(detail), "%u consent(s) withdrawn; %u partner(s) "
	    "told to erase%s", *withdrawn, *notified, in_force ? "" :
	    "; case restricted");
	if ((rc = audit_append(d->store, a->name, AUDIT_CONSENT_WITHDRAW, c->code,
	    NULL, detail, now)) != 0)
		goto fail;
	if ((rc = store_commit(d->store)) != 0)
		goto out;
	audit_anchor_sync(d->store);
	daemon_wake(d);
	log_info("case %s: %s", c->code, detail);
	goto out;
fail:
	store_rollback(d->store);
out:
	free(rows);
	free(plain);
	return rc;
}
