/*
 * Held documents (case_int.h): what waits for a consent or for the second
 * supervisor of the safety exception, listed, cancelled, and released
 * through the gate into the case's thread when a consent now covers it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/base/clock.h"
#include "daemon/case/case_int.h"
#include "daemon/core/core.h"
#include "common/hex.h"
#include "daemon/base/log.h"
#include "daemon/store/audit.h"
#include "keys/secret.h"
#include "proto/pbwipe.h"

struct held_walk {
	struct store_held      *v;
	size_t                  n, cap;
};

static int
held_collect(const struct store_held *h, void *arg)
{
	struct held_walk       *w = arg;
	struct store_held      *grown;

	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 8;
		if ((grown = realloc(w->v, w->cap * sizeof(*grown))) == NULL)
			return -ENOMEM;
		w->v = grown;
	}
	w->v[w->n++] = *h;
	return 0;
}

int
case_held_list(struct daemon *d, const uint8_t case_id[ENV1_ID_LEN], int state,
    struct store_held **out, size_t *n)
{
	struct held_walk        w = { NULL, 0, 0 };
	int                     rc;

	rc = store_held_each(d->store, case_id, state, held_collect, &w);
	if (rc != 0) {
		free(w.v);
		return rc;
	}
	*out = w.v;
	*n = w.n;
	return 0;
}

/* Cancel what the case holds (in the caller's transaction). */
int
case_cancel_held(struct daemon *d, const struct store_case *c, const char *actor,
    const char *why)
{
	struct store_held      *v;
	size_t                  n;
	int                     rc;

	if ((rc = case_held_list(d, c->case_id, 0, &v, &n)) != 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		v[i].state = HELD_CANCELLED;
		snprintf(v[i].missing, sizeof(v[i].missing), "%s", why);
		if ((rc = store_held_update(d->store, &v[i])) == 0)
			rc = audit_append(d->store, actor, AUDIT_CANCEL, c->code, NULL,
			    why, clock_now());
	}
	free(v);
	return rc;
}

/* --- release ------------------------------------------------------------------ */

/* Send one held document now (under scope or safety): in the open
 * transaction.  A document the order rules now refuse is cancelled. */
int
case_release_one(struct daemon *d, const struct store_case *c,
    struct store_held *h, Homeward__Referral__ConsentScope *scope,
    Homeward__Referral__SafetyException *safety, const char *actor, int *sent)
{
	Homeward__Referral__CaseHeader **slot;
	struct store_case_thread        ct;
	ProtobufCMessage               *doc = NULL;
	struct peer                    *p;
	uint8_t                        *body = NULL;
	size_t                          len = 0;
	char                           *sreason = NULL, why[CASE_WHY_LEN];
	int                             rc;

	*sent = 0;
	if ((p = peers_by_rik(d, h->peer_rik)) == NULL || !peer_active(p))
		return 0;               /* stays held until the peer is back */
	if ((rc = store_ct_find(d->store, c->case_id, h->peer_rik, &ct)) != 0)
		return rc;
	if ((rc = store_held_body(d->store, h, &body, &len, &sreason)) != 0)
		return rc;
	if ((doc = case_doc_unpack(h->msg_type, body, len)) == NULL) {
		rc = -EBADMSG;
		goto out;
	}
	slot = case_doc_header(doc);
	if (*slot != NULL) {
		protobuf_c_message_free_unpacked(&(*slot)->base,
		    &pbwipe_allocator);
		*slot = NULL;
	}
	/* Its reason is stored with the row and the audit entry: English. */
	lang_pause();
	rc = flow_check(&ct.flow, &(struct flow_config){ d->cfg.require_reintegration },
	    c->role == CASE_ROLE_DESTINATION ? FLOW_DESTINATION : FLOW_ORIGIN,
	    h->msg_type, doc, why, sizeof(why));
	lang_resume();
	if (rc != 0) {
		h->state = HELD_CANCELLED;
		snprintf(h->missing, sizeof(h->missing), "cancelled: %.300s", why);
		if ((rc = store_held_update(d->store, h)) == 0)
			rc = audit_append(d->store, actor, AUDIT_CANCEL, c->code, NULL,
			    h->missing, clock_now());
		goto out;
	}
	if (safety != NULL && sreason != NULL)
		safety->reason = sreason;
	snprintf(why, sizeof(why), "held %s released %s",
	    log_hex(h->held_id, ENV1_ID_LEN), safety != NULL ? "under the safety "
	    "exception" : "now that a consent covers it");
	if ((rc = case_queue_doc(d, c, p, &ct, 0, h->msg_type, doc, scope, safety,
	    actor, h->message_id)) != 0)
		goto out;
	if (safety != NULL)
		safety->reason = NULL;
	h->state = HELD_RELEASED;
	h->released_at = clock_now();
	h->missing[0] = '\0';
	if ((rc = store_held_update(d->store, h)) == 0)
		rc = audit_append(d->store, actor, AUDIT_RELEASE, c->code,
		    h->message_id, why, clock_now());
	*sent = rc == 0;
out:
	if (safety != NULL)
		safety->reason = NULL;
	case_doc_free(doc);
	secret_free(body);
	secret_free(sreason);
	return rc;
}

/* A later draft in v (oldest first) of v[i]'s step to v[i]'s partner. */
static const struct store_held *
newer_draft(const struct store_held *v, size_t n, size_t i)
{
	for (size_t j = n; j-- > i + 1;)
		if (v[j].msg_type == v[i].msg_type &&
		    memcmp(v[j].peer_rik, v[i].peer_rik, ENV1_KEY_LEN) == 0)
			return &v[j];
	return NULL;
}

static int held_replace(struct daemon *, const struct store_case *,
    struct store_held *, const uint8_t new_id[ENV1_ID_LEN], int sent,
    const char *actor);

int
case_release_held(struct daemon *d, const struct store_case *c, const char *actor,
    unsigned *released)
{
	Homeward__Referral__ConsentScope       *scope;
	struct consent_verdict                  v;
	struct store_held                      *hv = NULL;
	struct peer                            *p;
	uint8_t                                *raw;
	size_t                                  n = 0, rawlen;
	int                                     rc, sent;

	*released = 0;
	if ((rc = case_held_list(d, c->case_id, HELD_CONSENT, &hv, &n)) != 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char missing[STORE_MISSING_LEN];

		/* Only the newest draft of a step to a partner is live: it is
		 * what the operator last saw.  Older ones (held before drafts
		 * replaced each other) are cancelled for it, never sent. */
		if (newer_draft(hv, n, i) != NULL) {
			rc = held_replace(d, c, &hv[i], newer_draft(hv, n, i)->held_id,
			    0, actor);
			continue;
		}
		if ((p = peers_by_rik(d, hv[i].peer_rik)) == NULL)
			continue;
		if ((rc = case_gate(d, c, p, hv[i].msg_type, hv[i].categories, &v,
		    missing, sizeof(missing), &raw, &rawlen)) != 0)
			break;
		if (!v.covered) {
			/* Still held: say what is missing now. */
			if (strcmp(missing, hv[i].missing) != 0) {
				snprintf(hv[i].missing, sizeof(hv[i].missing), "%s", missing);
				rc = store_held_update(d->store, &hv[i]);
			}
			continue;
		}
		scope = homeward__referral__consent_scope__unpack(&pbwipe_allocator,
		    rawlen, raw);
		secret_free(raw);
		if (scope == NULL) {
			rc = -EBADMSG;
			break;
		}
		rc = case_release_one(d, c, &hv[i], scope, NULL, actor, &sent);
		homeward__referral__consent_scope__free_unpacked(scope,
		    &pbwipe_allocator);
		if (rc == 0 && sent) {
			(*released)++;
			p->seal_pending = 1;
		}
	}
	free(hv);
	return rc;
}

/* --- reading, cancelling, replacing -------------------------------------------- */

void
case_reason_tag(const char *reason, char out[CASE_REASON_TAG_LEN])
{
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const uint8_t *)reason, strlen(reason));
	hex_encode(h, CASE_REASON_TAG_LEN / 2, out);
}

/* What the case's audit trail says of one held document: whether actor
 * (NULL: anyone) read it, and who gave the second approval. */
struct held_trail {
	char            read[64];               /* "held document HEX" */
	char            second[64];             /* "second approval of held HEX" */
	const char     *actor;
	int             was_read;
	char            second_by[STORE_NAME_LEN];
	uint64_t        last;
};

static int
trail_cb(const struct audit_entry *e, void *arg)
{
	struct held_trail *t = arg;

	t->last = e->seq;
	if (strcmp(e->action, AUDIT_READ) == 0 && strcmp(e->detail, t->read) == 0 &&
	    (t->actor == NULL || strcmp(e->actor, t->actor) == 0))
		t->was_read = 1;
	if (strcmp(e->action, AUDIT_APPROVE) == 0 &&
	    strncmp(e->detail, t->second, strlen(t->second)) == 0)
		snprintf(t->second_by, sizeof(t->second_by), "%s", e->actor);
	return 0;
}

static int
held_trail(struct daemon *d, const struct store_case *c,
    const uint8_t held_id[ENV1_ID_LEN], struct held_trail *t)
{
	uint64_t        before;
	int             rc;

	snprintf(t->read, sizeof(t->read), "held document %s",
	    log_hex(held_id, ENV1_ID_LEN));
	snprintf(t->second, sizeof(t->second), "second approval of held %s",
	    log_hex(held_id, ENV1_ID_LEN));
	do {
		before = t->last;
		if ((rc = audit_list(d->store, c->code, t->last, 1000, trail_cb,
		    t)) != 0)
			return rc;
	} while (t->last != before);
	return 0;
}

int
case_held_was_read(struct daemon *d, const struct store_case *c,
    const uint8_t held_id[ENV1_ID_LEN], const char *actor, int *was_read)
{
	struct held_trail       t;
	int                     rc;

	memset(&t, 0, sizeof(t));
	t.actor = actor;
	rc = held_trail(d, c, held_id, &t);
	*was_read = t.was_read;
	return rc;
}

/* The row and its case; why says what is wrong. */
static int
held_find(struct daemon *d, const uint8_t held_id[ENV1_ID_LEN],
    struct store_held *h, struct store_case *c, char *why, size_t whylen)
{
	int rc;

	/* A partner's kept safety exception is no draft of ours. */
	if ((rc = store_held_get(d->store, held_id, h)) == 0 &&
	    h->state == HELD_PARTNER_SAFETY)
		rc = -ENOENT;
	if (rc != 0) {
		if (rc == -ENOENT)
			snprintf(why, whylen, _("no held document %s; `homeward held` "
			    "lists them"), log_hex(held_id, ENV1_ID_LEN));
		return rc;
	}
	return store_case_get_id(d->store, h->case_id, c);
}

void
case_held_view_free(struct case_held_view *v)
{
	secret_free(v->body);
	secret_free(v->safety);
	secret_free(v->first_reason);
	secret_free(v->second_reason);
	v->body = NULL;
	v->safety = v->first_reason = v->second_reason = NULL;
}

int
case_held_show(struct daemon *d, const struct case_actor *a,
    const uint8_t held_id[ENV1_ID_LEN], struct case_held_view *v, char *why,
    size_t whylen)
{
	struct held_trail       t;
	int                     rc;

	memset(v, 0, sizeof(*v));
	memset(&t, 0, sizeof(t));
	if ((rc = held_find(d, held_id, &v->h, &v->c, why, whylen)) != 0)
		return rc;
	if (v->c.state != CASE_OPEN) {
		snprintf(why, whylen, _("case %s is %s: its held documents are no "
		    "longer shown%s"), v->c.code, store_case_state_name(v->c.state),
		    v->c.state == CASE_CLOSED ? " (closing cancelled them)" :
		    " (consent was withdrawn or the case erased)");
		return -EPERM;
	}
	if ((rc = store_held_body(d->store, &v->h, &v->body, &v->len,
	    &v->safety)) != 0 || (rc = store_held_reasons(d->store, &v->h,
	    &v->first_reason, &v->second_reason)) != 0 ||
	    (rc = held_trail(d, &v->c, held_id, &t)) != 0)
		goto fail;
	snprintf(v->second_by, sizeof(v->second_by), "%s", t.second_by);
	/* The read is recorded before anything is shown. */
	if ((rc = audit_append(d->store, a->name, AUDIT_READ, v->c.code, NULL,
	    t.read, clock_now())) != 0)
		goto fail;
	return 0;
fail:
	case_held_view_free(v);
	return rc;
}

int
case_held_cancel(struct daemon *d, const struct case_actor *a,
    const uint8_t held_id[ENV1_ID_LEN], const char *reason, char *why,
    size_t whylen)
{
	struct store_held       h;
	struct store_case       c;
	char                    detail[160], tag[CASE_REASON_TAG_LEN];
	int                     rc;

	if ((rc = held_find(d, held_id, &h, &c, why, whylen)) != 0)
		return rc;
	if (h.state != HELD_CONSENT && h.state != HELD_APPROVAL) {
		snprintf(why, whylen, _("%s is %s already: nothing to cancel"),
		    log_hex(held_id, ENV1_ID_LEN), store_held_state_name(h.state));
		return -EPERM;
	}
	h.state = HELD_CANCELLED;
	snprintf(h.missing, sizeof(h.missing), "cancelled by %s", a->name);
	/* The reason's words may be about the person: the audit log, which
	 * outlives the case, keeps only their hash (case_reason_tag). */
	if (reason != NULL && *reason != '\0') {
		case_reason_tag(reason, tag);
		snprintf(detail, sizeof(detail), "held %s cancelled; reason sha256 "
		    "%s", log_hex(held_id, ENV1_ID_LEN), tag);
	} else
		snprintf(detail, sizeof(detail), "held %s cancelled",
		    log_hex(held_id, ENV1_ID_LEN));
	if ((rc = store_begin(d->store)) != 0)
		return rc;
	if ((rc = store_held_update(d->store, &h)) != 0 ||
	    (rc = audit_append(d->store, a->name, AUDIT_CANCEL, c.code, NULL,
	    detail, clock_now())) != 0) {
		store_rollback(d->store);
		return rc;
	}
	if ((rc = store_commit(d->store)) == 0)
		audit_anchor_sync(d->store);
	return rc;
}

/* Cancel old as replaced by the newer draft new_id: a held id, or when
 * sent a message id (open transaction). */
static int
held_replace(struct daemon *d, const struct store_case *c, struct store_held *old,
    const uint8_t new_id[ENV1_ID_LEN], int sent, const char *actor)
{
	char    detail[128];
	int     rc;

	old->state = HELD_CANCELLED;
	if (!sent)
		memcpy(old->replaced_by, new_id, ENV1_ID_LEN);
	snprintf(old->missing, sizeof(old->missing), "replaced by the newer draft "
	    "%s%s", sent ? "sent as message " : "", log_hex(new_id, ENV1_ID_LEN));
	snprintf(detail, sizeof(detail), "held %s replaced by %s %s",
	    log_hex(old->held_id, ENV1_ID_LEN), sent ? "message" : "held",
	    log_hex(new_id, ENV1_ID_LEN));
	if ((rc = store_held_update(d->store, old)) != 0)
		return rc;
	return audit_append(d->store, actor, AUDIT_CANCEL, c->code, NULL, detail,
	    clock_now());
}

int
case_held_supersede(struct daemon *d, const struct store_case *c,
    const uint8_t peer_rik[ENV1_KEY_LEN], uint16_t msg_type,
    const struct case_step_result *newer, const char *actor,
    struct case_step_result *res)
{
	const uint8_t          *new_id;
	struct store_held      *v;
	size_t                  n;
	int                     rc, sent = newer->state == CASE_STEP_QUEUED;

	new_id = sent ? newer->message_id : newer->held_id;
	if ((rc = case_held_list(d, c->case_id, 0, &v, &n)) != 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (v[i].msg_type != msg_type ||
		    memcmp(v[i].peer_rik, peer_rik, ENV1_KEY_LEN) != 0 ||
		    memcmp(v[i].held_id, new_id, ENV1_ID_LEN) == 0)
			continue;
		if ((rc = held_replace(d, c, &v[i], new_id, sent, actor)) == 0 &&
		    res != NULL) {
			res->has_replaced = 1;
			memcpy(res->replaced, v[i].held_id, ENV1_ID_LEN);
		}
	}
	free(v);
	return rc;
}
