/*
 * Cases themselves (case.h): their codes, finding one, opening,
 * correcting the person's profile (case_profile.h) and closing.  A
 * closed case cancels what it holds (case_held.c); retention erases it
 * later (case_recv.c).
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
#include "daemon/rules/travel.h"
#include "daemon/store/audit.h"
#include "keys/secret.h"
#include "proto/pbwipe.h"
#include "proto/refcat.h"

int
case_code_valid(const char *code)
{
	size_t n = code != NULL ? strlen(code) : 0;

	if (n == 0 || n > CASE_CODE_MAX)
		return 0;
	return strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_./") == n;
}

int
case_find(struct daemon *d, const char *code, const char *home,
    struct store_case *out, char *why, size_t whylen)
{
	int rc;

	if (!case_code_valid(code)) {
		snprintf(why, whylen, _("a case code is 1-%d letters, digits, '-', '_', "
		    "'.' or '/'"), CASE_CODE_MAX);
		return -EINVAL;
	}
	rc = store_case_get(d->store, code, home, out);
	if (rc == -ENOENT)
		snprintf(why, whylen, _("no case %s%s%s; `homeward case list` lists them"),
		    code, home != NULL && *home ? " of " : "", home != NULL ? home : "");
	else if (rc == -EEXIST)
		snprintf(why, whylen, _("case code %s is used by two agencies; name the "
		    "one you mean with --home AGENCY"), code);
	return rc;
}

int
case_open(struct daemon *d, const struct case_actor *a, const char *code,
    const uint8_t *profile, size_t profile_len, struct store_case *out,
    char *why, size_t whylen)
{
	Homeward__Referral__Profile    *pf = NULL;
	struct store_case               c;
	int                             rc;

	if (!case_code_valid(code)) {
		snprintf(why, whylen, _("a case code is 1-%d letters, digits, '-', '_', "
		    "'.' or '/': a code number, never a name"), CASE_CODE_MAX);
		return -EINVAL;
	}
	if ((rc = case_code_allowed(d, code, why, whylen)) != 0)
		return rc;
	if (profile_len > 0 && (pf = homeward__referral__profile__unpack(
	    &pbwipe_allocator, profile_len, profile)) == NULL) {
		snprintf(why, whylen, _("the profile does not decode"));
		return -EINVAL;
	}
	if (pf != NULL)
		homeward__referral__profile__free_unpacked(pf, &pbwipe_allocator);
	memset(&c, 0, sizeof(c));
	randombytes_buf(c.case_id, ENV1_ID_LEN);
	snprintf(c.code, sizeof(c.code), "%s", code);
	snprintf(c.home, sizeof(c.home), "%s", d->keys.agency_id);
	c.role = CASE_ROLE_DESTINATION;
	c.state = CASE_OPEN;
	c.opened_at = clock_now();
	snprintf(c.opened_by, sizeof(c.opened_by), "%s", a->name);
	if ((rc = store_begin(d->store)) != 0)
		return rc;
	if ((rc = store_case_insert(d->store, &c, profile, profile_len)) != 0 ||
	    (rc = audit_append(d->store, a->name, AUDIT_CASE_OPEN, c.code, NULL,
	    "opened", c.opened_at)) != 0) {
		store_rollback(d->store);
		if (rc == -EEXIST)
			snprintf(why, whylen, _("case %s exists already"), code);
		return rc;
	}
	if ((rc = store_commit(d->store)) != 0)
		return rc;
	audit_anchor_sync(d->store);
	log_info("case %s opened by %s", c.code, a->name);
	*out = c;
	return 0;
}

/* --- the profile ----------------------------------------------------------- */

static int
update_refused(const struct store_case *c, char *why, size_t whylen)
{
	if (c->state == CASE_OPEN)
		return 0;
	if (c->state == CASE_CLOSED)
		snprintf(why, whylen, _("case %s is closed: its profile no longer "
		    "changes, and it is erased when retention ends; if the person "
		    "is referred again, open a new case"), c->code);
	else if (c->state == CASE_ERASED)
		snprintf(why, whylen, _("case %s is erased: nothing of its profile "
		    "remains; if the person is referred again, open a new case"),
		    c->code);
	else if (c->state == CASE_RESTRICTED && c->role == CASE_ROLE_DESTINATION)
		snprintf(why, whylen, _("case %s is restricted (consent withdrawn): "
		    "nothing more is done with its data; if the person consents "
		    "again, `homeward consent record %s ...` reopens it, then "
		    "correct it"), c->code, c->code);
	else
		snprintf(why, whylen, _("case %s is %s (consent withdrawn): nothing "
		    "more is done with its data; if the person is referred again, "
		    "it is a new case"), c->code, store_case_state_name(c->state));
	return -EPERM;
}

/* The new profile into *pf (the recorded one with the update applied). */
static int
update_profile(struct daemon *d, const struct store_case *c, const uint8_t *upd,
    size_t upd_len, unsigned fields, Homeward__Referral__Profile **pf,
    unsigned *changed, char *why, size_t whylen)
{
	Homeward__Referral__Profile    *u;
	uint8_t                        *raw = NULL;
	size_t                          len = 0;
	int                             rc;

	if ((u = homeward__referral__profile__unpack(&pbwipe_allocator, upd_len,
	    upd)) == NULL) {
		snprintf(why, whylen, _("the profile does not decode"));
		return -EINVAL;
	}
	if ((rc = store_case_profile(d->store, c, &raw, &len)) == 0 &&
	    (*pf = homeward__referral__profile__unpack(&pbwipe_allocator, len,
	    raw != NULL ? raw : (const uint8_t *)"")) == NULL)
		rc = -EBADMSG;
	secret_free(raw);
	if (rc == 0 && (rc = case_profile_apply(*pf, u, fields, changed, why,
	    whylen)) != 0) {
		homeward__referral__profile__free_unpacked(*pf, &pbwipe_allocator);
		*pf = NULL;
	}
	homeward__referral__profile__free_unpacked(u, &pbwipe_allocator);
	return rc;
}

/* What the documents sent still say against the corrected case. */
static void
update_note(struct daemon *d, const struct store_case *c, char *note,
    size_t notelen)
{
	struct case_profile     rec, docs, rules;
	char                    diff[CASE_WHY_LEN];

	note[0] = '\0';
	if (case_profile_get(d, c, &rec, &docs, &rules) != 0 ||
	    case_profile_compare(&rec, &docs, c->code, diff, sizeof(diff)) == 0)
		return;
	snprintf(note, notelen, _("the latest request for assistance in case %s "
	    "states another profile: the travel rules take the more protective "
	    "of the two (%s%s%s) until a document states otherwise"), c->code,
	    rules.minor ? _("a minor") : _("not a minor"), rules.sex != 0 ? ", " : "",
	    rules.sex != 0 ? case_profile_sex_name(rules.sex) : "");
}

int
case_update(struct daemon *d, const struct case_actor *a,
    const struct store_case *c, const uint8_t *upd, size_t upd_len,
    unsigned fields, unsigned *changed, char *note, size_t notelen,
    char *why, size_t whylen)
{
	Homeward__Referral__Profile    *pf = NULL;
	uint8_t                        *raw = NULL;
	size_t                          len = 0;
	char                            detail[64], names[32];
	int                             rc;

	*changed = 0;
	note[0] = '\0';
	if ((rc = update_refused(c, why, whylen)) != 0 ||
	    (rc = update_profile(d, c, upd, upd_len, fields, &pf, changed, why,
	    whylen)) != 0)
		return rc;
	if (*changed == 0)
		goto out;
	if ((rc = case_doc_pack(&pf->base, &raw, &len)) != 0 ||
	    (rc = store_begin(d->store)) != 0)
		goto out;
	/* The audit names the fields, never their values. */
	case_profile_fields_format(*changed, names, sizeof(names));
	snprintf(detail, sizeof(detail), "profile corrected: %s", names);
	if ((rc = store_case_set_profile(d->store, c, raw, len)) != 0 ||
	    (rc = audit_append(d->store, a->name, AUDIT_CASE_UPDATE, c->code,
	    NULL, detail, clock_now())) != 0) {
		store_rollback(d->store);
		goto out;
	}
	if ((rc = store_commit(d->store)) != 0)
		goto out;
	audit_anchor_sync(d->store);
	log_info("case %s: profile corrected by %s (%s)", c->code, a->name, names);
	update_note(d, c, note, notelen);
out:
	secret_free(raw);
	if (pf != NULL)
		homeward__referral__profile__free_unpacked(pf, &pbwipe_allocator);
	if (rc != 0)
		*changed = 0;
	return rc;
}

/* --- held documents -------------------------------------------------------- */

int
case_close(struct daemon *d, const struct case_actor *a, const struct store_case *c,
    char *why, size_t whylen)
{
	int rc;

	if (c->state == CASE_CLOSED || c->state == CASE_ERASED ||
	    c->state == CASE_ERASING) {
		snprintf(why, whylen, _("case %s is %s already"), c->code,
		    store_case_state_name(c->state));
		return -EPERM;
	}
	/* Her arrival is never dropped by tidying up. */
	if ((rc = case_travelling(d, c, why, whylen)) != 0)
		return rc;
	if ((rc = store_begin(d->store)) != 0)
		return rc;
	if ((rc = case_cancel_held(d, c, a->name, "the case was closed")) != 0 ||
	    (rc = store_case_set_state(d->store, c->case_id, CASE_CLOSED,
	    clock_now())) != 0 ||
	    (rc = audit_append(d->store, a->name, AUDIT_CASE_CLOSE, c->code, NULL,
	    "closed; erased when retention ends", clock_now())) != 0) {
		store_rollback(d->store);
		return rc;
	}
	if ((rc = store_commit(d->store)) != 0)
		return rc;
	audit_anchor_sync(d->store);
	return 0;
}

