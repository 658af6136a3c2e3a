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
	if (flow_check(&ct.flow, &(struct flow_config){ d->cfg.require_reintegration },
	    c->role == CASE_ROLE_DESTINATION ? FLOW_DESTINATION : FLOW_ORIGIN,
	    h->msg_type, doc, why, sizeof(why)) != 0) {
		h->state = HELD_CANCELLED;
		snprintf(h->missing, sizeof(h->missing), "cancelled: %.300s", why);
		if ((rc = store_held_update(d->store, h)) == 0)
			rc = audit_append(d->store, actor, AUDIT_CANCEL, c->code, NULL,
			    h->missing, clock_now());
		goto out;
	}
	if (safety != NULL && sreason != NULL)
		safety->reason = sreason;
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
		    h->message_id, safety != NULL ? "released under the safety "
		    "exception" : "released: a consent covers it", clock_now());
	*sent = rc == 0;
out:
	if (safety != NULL)
		safety->reason = NULL;
	case_doc_free(doc);
	secret_free(body);
	secret_free(sreason);
	return rc;
}

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
