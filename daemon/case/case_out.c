/*
 * The way out for a document (case_int.h): the consents of a case as the
 * pure gate (rules/consent.c) sees them, the gate's decision, the case's
 * thread with a peer, and queueing a document in that thread with its
 * header, its state change and its audit record, in one transaction.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/base/clock.h"
#include "daemon/case/case_int.h"
#include "daemon/core/core.h"
#include "daemon/rules/header.h"
#include "daemon/store/audit.h"
#include "keys/secret.h"

/* --- the gate ---------------------------------------------------------------- */

/* The consents of a case as the pure gate sees them. */
int
case_consents(struct daemon *d, const uint8_t case_id[ENV1_ID_LEN],
    struct store_consent **rows, struct consent **plain, size_t *n)
{
	int rc;

	*plain = NULL;
	if ((rc = store_consent_list(d->store, case_id, rows, n)) != 0)
		return rc;
	if (*n > 0 && (*plain = calloc(*n, sizeof(**plain))) == NULL) {
		free(*rows);
		*rows = NULL;
		return -ENOMEM;
	}
	for (size_t i = 0; i < *n; i++)
		(*plain)[i] = (*rows)[i].c;
	return 0;
}

/* Her arrival is confirmed whatever became of consent (PROTOCOL.md 21.5):
 * in a thread in safety hold, an arrival confirmation goes under the
 * consent that covered it before the withdrawal. */
static int
gate_safety_hold(struct daemon *d, const struct store_case *c,
    const struct peer *p, const struct store_consent *rows,
    struct consent *plain, size_t n, const struct consent_need *need,
    struct consent_verdict *v)
{
	struct store_case_thread        ct;
	int                             rc;

	if ((rc = store_ct_find(d->store, c->case_id, p->rec.rik, &ct)) != 0)
		return rc == -ENOENT ? 0 : rc;
	if (!case_safety_hold(&ct))
		return 0;
	/* Withdrawn, not revoked: one she never gave is no basis. */
	for (size_t i = 0; i < n; i++)
		if (!rows[i].in_error)
			plain[i].withdrawn_at = 0;
	consent_decide(plain, n, need, v);
	return 0;
}

/* Why no consent covers it, without the state ("held: "): whoever shows
 * it says the state. */
static void
gate_explain(const struct consent_verdict *v, const struct consent_need *need,
    char *missing, size_t missinglen)
{
	consent_explain(v, need, missing, missinglen);
	if (strncmp(missing, "held: ", 6) == 0)
		memmove(missing, missing + 6, strlen(missing + 6) + 1);
}

/* Decide for one document; on release, *scope is the covering consent's
 * encoded scope (secret_free). */
int
case_gate(struct daemon *d, const struct store_case *c, const struct peer *p,
    uint16_t msg_type, uint32_t categories, struct consent_verdict *v,
    char *missing, size_t missinglen, uint8_t **scope, size_t *scope_len)
{
	struct store_consent   *rows = NULL;
	struct consent         *plain = NULL;
	struct consent_need     need;
	size_t                  n = 0;
	int                     rc;

	*scope = NULL;
	*scope_len = 0;
	if ((rc = case_consents(d, c->case_id, &rows, &plain, &n)) != 0)
		return rc;
	need.recipient = p->rec.agency_id;
	need.step = msg_type;
	need.categories = categories;
	need.now = clock_now();
	consent_decide(plain, n, &need, v);
	if (!v->covered && msg_type == ENV1_MSG_ARRIVAL_CONFIRMATION &&
	    (rc = gate_safety_hold(d, c, p, rows, plain, n, &need, v)) != 0)
		goto out;
	if (v->covered) {
		for (size_t i = 0; i < n; i++)
			if (memcmp(rows[i].c.id, v->consent_id, ENV1_ID_LEN) == 0) {
				rc = store_consent_scope(d->store, &rows[i], scope,
				    scope_len);
				break;
			}
		if (rc == 0 && *scope == NULL)
			rc = -ENOENT;
	} else {
		/* Kept with the held row: English (case_gate_say answers). */
		lang_pause();
		gate_explain(v, &need, missing, missinglen);
		lang_resume();
	}
out:
	free(rows);
	free(plain);
	return rc;
}

void
case_gate_say(const struct peer *p, uint16_t msg_type, uint32_t categories,
    const struct consent_verdict *v, char *out, size_t outlen)
{
	struct consent_need     need;

	need.recipient = p->rec.agency_id;
	need.step = msg_type;
	need.categories = categories;
	need.now = clock_now();
	gate_explain(v, &need, out, outlen);
}

/* --- sending ------------------------------------------------------------------ */

/* We report that she did not arrive: our own urgent alert too, and the
 * worklist keeps her until a supervisor records what became of her. */
static int
sent_no_show(struct daemon *d, const struct store_case *c, struct peer *p,
    struct store_case_thread *ct, uint16_t msg_type, const ProtobufCMessage *doc,
    const uint8_t message_id[ENV1_ID_LEN])
{
	char detail[400];

	if (msg_type != ENV1_MSG_ARRIVAL_CONFIRMATION ||
	    ((const Homeward__Referral__ArrivalConfirmation *)doc)->outcome !=
	    HOMEWARD__REFERRAL__ARRIVAL_OUTCOME__ARRIVAL_NOT_ARRIVED)
		return 0;
	snprintf(detail, sizeof(detail), "message %s: we reported to %.64s that "
	    "the person did not arrive: she may be missing; a supervisor records "
	    "what became of her (`homeward case outcome %s`)",
	    log_hex(message_id, ENV1_ID_LEN), p->rec.agency_id, c->code);
	return case_no_show(d, ct, c->code, detail);
}

/* The document an answer names in its envelope's in_reply_to
 * (PROTOCOL.md 21.8): the partner's newest of the type it answers in the
 * thread; NULL for a document that answers none. */
static int
answer_reply_to(struct daemon *d, const struct store_case_thread *ct,
    uint16_t msg_type, int new_thread, uint8_t id[ENV1_ID_LEN], int *has)
{
	uint16_t        want = header_answers(msg_type);
	int             rc;

	*has = 0;
	if (want == 0 || new_thread)
		return 0;
	rc = store_in_last_of_type(d->store, ct->thread_id, want, id);
	if (rc == -ENOENT)
		return 0;
	*has = rc == 0;
	return rc;
}

/* Put the header on doc, pack it, queue it in the case's thread with p,
 * and advance the thread's procedure state: in the open transaction. */
int
case_queue_doc(struct daemon *d, const struct store_case *c, struct peer *p,
    struct store_case_thread *ct, int new_thread, uint16_t msg_type,
    ProtobufCMessage *doc, Homeward__Referral__ConsentScope *scope,
    Homeward__Referral__SafetyException *safety, const char *actor,
    uint8_t message_id[ENV1_ID_LEN])
{
	Homeward__Referral__CaseHeader  hdr = HOMEWARD__REFERRAL__CASE_HEADER__INIT;
	Homeward__Referral__CaseHeader **slot = case_doc_header(doc), *old = *slot;
	char                            detail[160];
	uint8_t                        *body = NULL, reply[ENV1_ID_LEN];
	size_t                          len = 0;
	int                             rc, has_reply;

	if ((rc = answer_reply_to(d, ct, msg_type, new_thread, reply,
	    &has_reply)) != 0)
		return rc;
	hdr.case_code = (char *)c->code;
	hdr.consent = scope;
	hdr.safety = safety;
	*slot = &hdr;
	rc = case_doc_pack(doc, &body, &len);
	*slot = old;
	if (rc != 0)
		return rc;
	rc = deliver_queue_reply(d, p, msg_type, body, len, ct->thread_id,
	    new_thread, has_reply ? reply : NULL, message_id);
	secret_free(body);
	if (rc != 0)
		return rc;
	flow_apply(&ct->flow, c->role == CASE_ROLE_DESTINATION ? FLOW_DESTINATION :
	    FLOW_ORIGIN, msg_type, doc);
	case_rearm(ct, msg_type, doc);
	ct->updated_at = clock_now();
	if ((rc = store_ct_put(d->store, ct)) != 0)
		return rc;
	snprintf(detail, sizeof(detail), "%s to %s%s", case_step_label(msg_type, doc),
	    p->rec.agency_id, safety != NULL ? " under the safety exception" : "");
	if ((rc = audit_append(d->store, actor, AUDIT_SEND, c->code, message_id,
	    detail, clock_now())) != 0)
		return rc;
	return sent_no_show(d, c, p, ct, msg_type, doc, message_id);
}

struct ct_list {
	int                            (*keep)(const struct store_case_thread *);
	struct store_case_thread        *v;
	size_t                           n, cap;
};

static int
ct_list_add(const struct store_case_thread *t, void *arg)
{
	struct ct_list                 *l = arg;
	struct store_case_thread       *grown;

	if (l->keep != NULL && !l->keep(t))
		return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4;
		if ((grown = realloc(l->v, l->cap * sizeof(*grown))) == NULL)
			return -ENOMEM;
		l->v = grown;
	}
	l->v[l->n++] = *t;
	return 0;
}

int
case_threads(struct daemon *d, const uint8_t *case_id,
    int (*keep)(const struct store_case_thread *),
    struct store_case_thread **out, size_t *n)
{
	struct ct_list  l = { keep, NULL, 0, 0 };
	int             rc;

	rc = store_ct_each(d->store, case_id, ct_list_add, &l);
	*out = l.v;
	*n = rc == 0 ? l.n : 0;
	return rc;
}

/* The case's thread with p, or a new one (destination only). */
int
case_thread_for(struct daemon *d, const struct store_case *c, const struct peer *p,
    struct store_case_thread *ct, int *is_new)
{
	int rc = store_ct_find(d->store, c->case_id, p->rec.rik, ct);

	*is_new = 0;
	if (rc != -ENOENT)
		return rc;
	if (c->role != CASE_ROLE_DESTINATION)
		return -ENOENT;
	memset(ct, 0, sizeof(*ct));
	randombytes_buf(ct->thread_id, ENV1_ID_LEN);
	memcpy(ct->case_id, c->case_id, ENV1_ID_LEN);
	memcpy(ct->peer_rik, p->rec.rik, ENV1_KEY_LEN);
	*is_new = 1;
	return 0;
}
