/*
 * The safety exception (case.h, seed 002 8.4): a document no consent
 * covers goes only when two different supervisors approve it, each with
 * the reason; the recipient sees both names in its header.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "daemon/base/config.h"
#include "daemon/base/log.h"
#include "daemon/case/case.h"
#include "daemon/case/case_int.h"
#include "daemon/core/core.h"
#include "daemon/store/audit.h"
#include "keys/secret.h"
#include "proto/pbwipe.h"

/* Whether a can approve h of case c now; why says why not. */
static int
approve_check(const struct case_actor *a, const struct store_held *h,
    const struct store_case *c, const char *reason, char *why, size_t whylen)
{
	const char *hex = log_hex(h->held_id, ENV1_ID_LEN);

	if (h->state == HELD_CONSENT) {
		if (reason == NULL || *reason == '\0') {
			snprintf(why, whylen, _("%s is held for consent; to send it under "
			    "the safety exception give the reason (--reason)"), hex);
			return -EINVAL;
		}
	} else if (h->state != HELD_APPROVAL) {
		snprintf(why, whylen, _("%s is %s: nothing to approve"), hex,
		    store_held_state_name(h->state));
		return -EPERM;
	} else if (strcmp(h->approved_by, a->name) == 0) {
		snprintf(why, whylen, _("%s approved it already: the safety exception "
		    "needs a second, different supervisor"), a->name);
		return -EPERM;
	} else if (reason == NULL || *reason == '\0') {
		snprintf(why, whylen, _("an approval needs its reason (--reason): "
		    "read the document and the safety reason first with `homeward "
		    "held show %s`"), hex);
		return -EINVAL;
	}
	if (c->state != CASE_OPEN) {
		snprintf(why, whylen, _("case %s is %s"), c->code,
		    store_case_state_name(c->state));
		return -EPERM;
	}
	return 0;
}

/* The approval's audit record: the held id and the reason's hash, never
 * its words (case_reason_tag). */
static int
approve_audit(struct daemon *d, const struct case_actor *a,
    const struct store_held *h, const struct store_case *c, const char *which,
    const char *reason)
{
	char    detail[128], tag[CASE_REASON_TAG_LEN];

	case_reason_tag(reason, tag);
	snprintf(detail, sizeof(detail), "%s approval of held %s; reason sha256 %s",
	    which, log_hex(h->held_id, ENV1_ID_LEN), tag);
	return audit_append(d->store, a->name, AUDIT_APPROVE, c->code, NULL, detail,
	    clock_now());
}

/* The first approval: recorded, the document waits for a second
 * supervisor (open transaction). */
static int
approve_first(struct daemon *d, const struct case_actor *a, struct store_held *h,
    const struct store_case *c, const char *reason, struct case_step_result *res)
{
	int rc;

	if (h->state == HELD_CONSENT &&
	    (rc = store_held_set_safety(d->store, h, reason)) != 0)
		return rc;
	h->state = HELD_APPROVAL;
	snprintf(h->approved_by, sizeof(h->approved_by), "%s", a->name);
	snprintf(h->missing, sizeof(h->missing), "safety exception: approved by "
	    "%s; a second, different supervisor must approve", a->name);
	if ((rc = store_held_update(d->store, h)) != 0 ||
	    (rc = store_held_set_reason(d->store, h, 1, reason)) != 0 ||
	    (rc = approve_audit(d, a, h, c, "first", reason)) != 0)
		return rc;
	res->state = CASE_STEP_APPROVAL;
	snprintf(res->missing, sizeof(res->missing), "%s", h->missing);
	return 0;
}

/* The second approval, by another supervisor: the document goes under
 * the safety exception (open transaction). */
static int
approve_second(struct daemon *d, const struct case_actor *a, struct store_held *h,
    const struct store_case *c, const char *reason, struct case_step_result *res,
    char *why, size_t whylen)
{
	Homeward__Referral__SafetyException     se =
	    HOMEWARD__REFERRAL__SAFETY_EXCEPTION__INIT;
	int                                     rc, sent = 0;

	se.approved_by = h->approved_by;
	se.second_approved_by = (char *)a->name;
	se.approved_at = clock_now();
	if ((rc = store_held_set_reason(d->store, h, 2, reason)) != 0 ||
	    (rc = approve_audit(d, a, h, c, "second", reason)) != 0 ||
	    (rc = case_release_one(d, c, h, NULL, &se, a->name, &sent)) != 0)
		return rc;
	if (!sent) {
		snprintf(why, whylen, "%s", h->state == HELD_CANCELLED ? h->missing :
		    "its peer is suspended or gone: it stays held");
		return -EPERM;
	}
	res->state = CASE_STEP_QUEUED;
	memcpy(res->message_id, h->message_id, ENV1_ID_LEN);
	return 0;
}

int
case_approve(struct daemon *d, const struct case_actor *a,
    const uint8_t held_id[ENV1_ID_LEN], const char *reason,
    struct case_step_result *res, char *why, size_t whylen)
{
	struct store_held       h;
	struct store_case       c;
	struct peer            *p;
	int                     rc;

	memset(res, 0, sizeof(*res));
	if ((a->roles & ROLE_SUPERVISOR) == 0) {
		snprintf(why, whylen, _("only supervisors approve"));
		return -EACCES;
	}
	if ((rc = store_held_get(d->store, held_id, &h)) != 0) {
		if (rc == -ENOENT)
			snprintf(why, whylen, _("no held document %s; `homeward held` "
			    "lists them"), log_hex(held_id, ENV1_ID_LEN));
		return rc;
	}
	if ((rc = store_case_get_id(d->store, h.case_id, &c)) != 0)
		return rc;
	memcpy(res->held_id, h.held_id, ENV1_ID_LEN);
	res->categories = h.categories;
	if ((p = peers_by_rik(d, h.peer_rik)) != NULL)
		snprintf(res->peer, sizeof(res->peer), "%s", p->rec.agency_id);
	if ((rc = approve_check(a, &h, &c, reason, why, whylen)) != 0)
		return rc;
	if (!case_may_approve(a)) {
		snprintf(why, whylen, _("uid %u is homewardd's own account, not a "
		    "person: it never counts as a supervisor. Approve as your own "
		    "user, named under [roles]"), (unsigned)a->uid);
		return -EACCES;
	}
	if ((rc = store_begin(d->store)) != 0)
		return rc;
	rc = h.state == HELD_CONSENT || h.approved_by[0] == '\0' ?
	    approve_first(d, a, &h, &c, reason, res) :
	    approve_second(d, a, &h, &c, reason, res, why, whylen);
	if (rc != 0) {
		store_rollback(d->store);
		return rc;
	}
	if ((rc = store_commit(d->store)) != 0)
		return rc;
	audit_anchor_sync(d->store);
	if (res->state == CASE_STEP_QUEUED && p != NULL)
		deliver_kick(d, p);
	return 0;
}

/* --- the partner's safety exception ------------------------------------------ */

/*
 * A request a partner sent under its safety exception has no consent
 * behind it, so nothing of ours could answer it.  The SafetyException it
 * came with is kept (encrypted under the case key, like every held
 * document: a row of the held table in state HELD_PARTNER_SAFETY, its
 * body the encoded SafetyException, never listed as a draft) and our
 * answers to that partner go on that basis when no consent covers them.
 */
int
case_keep_received_safety(struct daemon *d, const struct peer *p,
    uint16_t msg_type, const Homeward__Referral__CaseHeader *hdr,
    const struct store_case *c)
{
	struct store_held       h;
	uint8_t                *body;
	size_t                  len;
	int                     rc;

	if (c->role != CASE_ROLE_ORIGIN || msg_type != ENV1_MSG_ASSISTANCE_REQUEST ||
	    hdr == NULL || hdr->safety == NULL)
		return 0;
	len = homeward__referral__safety_exception__get_packed_size(hdr->safety);
	if ((body = secret_alloc(len + 1)) == NULL)
		return -ENOMEM;
	homeward__referral__safety_exception__pack(hdr->safety, body);
	memset(&h, 0, sizeof(h));
	randombytes_buf(h.held_id, ENV1_ID_LEN);
	memcpy(h.case_id, c->case_id, ENV1_ID_LEN);
	memcpy(h.peer_rik, p->rec.rik, ENV1_KEY_LEN);
	h.msg_type = msg_type;
	h.state = HELD_PARTNER_SAFETY;
	h.created_at = clock_now();
	snprintf(h.missing, sizeof(h.missing), "the basis of our answers to %s",
	    p->rec.agency_id);
	snprintf(h.created_by, sizeof(h.created_by), "peer %.58s", p->rec.agency_id);
	rc = store_held_insert(d->store, &h, body, len, NULL);
	secret_free(body);
	return rc;
}

static int
newest_cb(const struct store_held *h, void *arg)
{
	struct store_held *out = arg;

	if (memcmp(h->peer_rik, out->peer_rik, ENV1_KEY_LEN) == 0)
		*out = *h;              /* oldest first: the last one wins */
	return 0;
}

int
case_partner_safety(struct daemon *d, const struct store_case *c,
    const struct peer *p, uint16_t msg_type,
    Homeward__Referral__SafetyException **out)
{
	struct store_held       h;
	uint8_t                *body = NULL;
	size_t                  len = 0;
	char                   *unused = NULL;
	int                     rc;

	*out = NULL;
	/* Our answers: the confirmation, the reintegration confirmation, the
	 * arrival and the follow-up (steps 2, 4, 6, 7). */
	if (c->role != CASE_ROLE_ORIGIN || (msg_type != 2 && msg_type != 4 &&
	    msg_type != 6 && msg_type != 7))
		return 0;
	memset(&h, 0, sizeof(h));
	memcpy(h.peer_rik, p->rec.rik, ENV1_KEY_LEN);
	if ((rc = store_held_each(d->store, c->case_id, HELD_PARTNER_SAFETY,
	    newest_cb, &h)) != 0 || h.state != HELD_PARTNER_SAFETY)
		return rc;
	if ((rc = store_held_body(d->store, &h, &body, &len, &unused)) != 0)
		return rc;
	*out = homeward__referral__safety_exception__unpack(&pbwipe_allocator, len,
	    body);
	secret_free(body);
	secret_free(unused);
	return *out != NULL ? 0 : -EBADMSG;
}
