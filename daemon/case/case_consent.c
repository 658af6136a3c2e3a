/*
 * Consent records (case.h): recording one releases what it covers, and
 * reopens a case its withdrawal had restricted.  Withdrawing is
 * case_revoke.c's; the safety exception is case_approve.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/base/log.h"
#include "daemon/case/case.h"
#include "daemon/case/case_int.h"
#include "daemon/case/case_profile.h"
#include "daemon/core/core.h"
#include "daemon/store/audit.h"
#include "keys/bundle.h"
#include "keys/secret.h"
#include "proto/notice.h"
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
		snprintf(why, whylen, _("a consent names 1-%d recipient agencies"),
		    CONSENT_MAX_RECIPIENTS);
		return -EINVAL;
	}
	for (size_t i = 0; i < s->n_recipients; i++) {
		if (bundle_agency_id_problem(s->recipients[i]) != NULL) {
			snprintf(why, whylen, _("recipient %zu is not an agency id"),
			    i + 1);
			return -EINVAL;
		}
		snprintf(c->recipients[i], sizeof(c->recipients[i]), "%s",
		    s->recipients[i]);
	}
	c->nrecipients = s->n_recipients;
	for (size_t i = 0; i < s->n_steps; i++) {
		if (s->steps[i] < 1 || s->steps[i] > 7) {
			snprintf(why, whylen, _("steps are 1-7"));
			return -EINVAL;
		}
		c->steps |= 1u << s->steps[i];
	}
	for (size_t i = 0; i < s->n_categories; i++) {
		if (s->categories[i] < HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_IDENTITY ||
		    s->categories[i] > HOMEWARD__REFERRAL__DATA_CATEGORY__CATEGORY_REINTEGRATION) {
			snprintf(why, whylen, _("categories are identity, profile, health, "
			    "security, travel, reintegration"));
			return -EINVAL;
		}
		c->categories |= 1u << s->categories[i];
	}
	if (c->steps == 0) {
		snprintf(why, whylen, _("a consent names the steps it covers"));
		return -EINVAL;
	}
	if (s->method == HOMEWARD__REFERRAL__CONSENT_METHOD__METHOD_UNSPECIFIED) {
		snprintf(why, whylen, _("say how the consent was given (written, oral, "
		    "oral with an interpreter)"));
		return -EINVAL;
	}
	if (s->method == HOMEWARD__REFERRAL__CONSENT_METHOD__METHOD_WRITTEN &&
	    s->form_hash.len != 32) {
		snprintf(why, whylen, _("a written consent records the SHA-256 of the "
		    "signed form (--form FILE)"));
		return -EINVAL;
	}
	if (s->method == HOMEWARD__REFERRAL__CONSENT_METHOD__METHOD_ORAL_INTERPRETED &&
	    (s->language == NULL || *s->language == '\0')) {
		snprintf(why, whylen, _("an interpreted consent names the language"));
		return -EINVAL;
	}
	if (s->expires_at != 0 && s->expires_at <= now) {
		snprintf(why, whylen, _("the consent's expiry is in the past"));
		return -EINVAL;
	}
	memcpy(c->id, s->consent_id.data, ENV1_ID_LEN);
	c->given_at = s->given_at;
	c->expires_at = s->expires_at;
	return 0;
}

/* A guardian consents for a minor: the more protective of what the case
 * records and what its documents stated (case_profile.h). */
static int
case_minor(struct daemon *d, const struct store_case *c, int *minor)
{
	struct case_profile     rec, docs, rules;
	int                     rc;

	*minor = 0;
	if ((rc = case_profile_get(d, c, &rec, &docs, &rules)) != 0)
		return rc;
	*minor = case_profile_minor(&rules) == 1;
	return 0;
}

/* The notice she was given, against the consent about to be recorded:
 * its language and SHA-256 into sc when it explains exactly this scope. */
static int
notice_check(struct daemon *d, const struct store_case *c,
    const struct case_consent_in *in, struct store_consent *sc, char *why,
    size_t whylen)
{
	struct notice_head      h;
	const char             *bad;

	if (in->notice_len == 0) {
		if (!d->cfg.require_notice)
			return 0;
		snprintf(why, whylen, "this office records a consent only with the "
		    "notice she was given (require_notice): make it with 'homeward "
		    "consent notice %s' and the same --to, --steps and --categories, "
		    "explain it to her, and give its text with --notice FILE", c->code);
		return -EPERM;
	}
	if (in->notice_len > NOTICE_MAX_BYTES) {
		snprintf(why, whylen, "the notice is over %d bytes: give the text "
		    "file 'homeward consent notice --text' wrote", NOTICE_MAX_BYTES);
		return -EINVAL;
	}
	if (notice_head_parse((const char *)in->notice, in->notice_len, &h,
	    &bad) != 0) {
		snprintf(why, whylen, "the notice is not one homeward made: %s", bad);
		return -EINVAL;
	}
	if (consent_notice_matches(&h, c->code, &sc->c, why, whylen) != 0)
		return -EPERM;
	snprintf(sc->notice_language, sizeof(sc->notice_language), "%s",
	    h.language);
	crypto_hash_sha256(sc->notice_sha256, in->notice, in->notice_len);
	sc->has_notice = 1;
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
	    "categories %s%s%s", log_hex(sc->c.id, 8), sc->c.nrecipients,
	    sc->c.steps, cats[0] ? cats : "none", sc->has_notice ? "; notice " :
	    "", sc->has_notice ? log_hex(sc->notice_sha256, 8) : "");
	if ((rc = store_begin(d->store)) != 0)
		return rc;
	if ((rc = store_consent_insert(d->store, sc, enc, enc_len)) == -EEXIST)
		snprintf(why, whylen, _("consent %s is recorded already"),
		    log_hex(sc->c.id, 8));
	/* Her new consent after a withdrawal reopens the case. */
	if (rc == 0 && c->state == CASE_RESTRICTED &&
	    ((rc = store_case_set_state(d->store, c->case_id, CASE_OPEN,
	    clock_now())) != 0 ||
	    (rc = audit_append(d->store, a->name, AUDIT_CASE_REOPEN, c->code, NULL,
	    "reopened: a new consent was recorded after the withdrawal",
	    clock_now())) != 0)) {
		store_rollback(d->store);
		return rc;
	}
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
    const struct store_case *c, const struct case_consent_in *in,
    uint8_t consent_id[ENV1_ID_LEN], unsigned *released, char *why, size_t whylen)
{
	Homeward__Referral__ConsentScope       *s;
	struct store_consent                    sc;
	uint8_t                                 id[ENV1_ID_LEN], *enc = NULL;
	size_t                                  enc_len;
	int                                     rc, minor;

	*released = 0;
	/* A case we referred reopens with her new consent; one referred to
	 * us is restricted by its partner's withdrawal, which we cannot undo. */
	if (c->state != CASE_OPEN && !(c->state == CASE_RESTRICTED &&
	    c->role == CASE_ROLE_DESTINATION)) {
		snprintf(why, whylen, _("case %s is %s: a consent can no longer be "
		    "recorded for it%s"), c->code, store_case_state_name(c->state),
		    c->state == CASE_CLOSED ? _("; open a new case") : "");
		return -EPERM;
	}
	if ((s = homeward__referral__consent_scope__unpack(&pbwipe_allocator,
	    in->scope_len, in->scope)) == NULL) {
		snprintf(why, whylen, _("the consent scope does not decode"));
		return -EINVAL;
	}
	if (s->consent_id.len == 0) {
		randombytes_buf(id, sizeof(id));
		s->consent_id.data = id;        /* ours; put back before freeing */
		s->consent_id.len = sizeof(id);
	} else if (s->consent_id.len != ENV1_ID_LEN) {
		snprintf(why, whylen, _("a consent id is 16 bytes"));
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
	if ((rc = notice_check(d, c, in, &sc, why, whylen)) != 0)
		goto out;
	if ((rc = case_minor(d, c, &minor)) != 0)
		goto out;
	if (minor && !s->by_guardian) {
		snprintf(why, whylen, _("case %s is a minor's: the consent is given by a "
		    "guardian (--guardian), saying whether the child was consulted"),
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
