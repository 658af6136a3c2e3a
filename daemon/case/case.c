/*
 * Cases and the way out for their documents (case.h): a step goes through
 * the order rules (flow.c), the travel rules for departures (travel.c) and
 * the consent gate (consent.c), then into the outbox, or into the held
 * table with what is missing.  The case's state, the audit record and the
 * outbox row commit in one transaction; sealing follows the commit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/store/audit.h"
#include "daemon/case/case.h"
#include "daemon/case/case_int.h"
#include "daemon/core/core.h"
#include "daemon/base/log.h"
#include "daemon/rules/travel.h"
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
		snprintf(why, whylen, "a case code is 1-%d letters, digits, '-', '_', "
		    "'.' or '/'", CASE_CODE_MAX);
		return -EINVAL;
	}
	rc = store_case_get(d->store, code, home, out);
	if (rc == -ENOENT)
		snprintf(why, whylen, "no case %s%s%s; `homeward case list` lists them",
		    code, home != NULL && *home ? " of " : "", home != NULL ? home : "");
	else if (rc == -EEXIST)
		snprintf(why, whylen, "case code %s is used by two agencies; name the "
		    "one you mean with --home AGENCY", code);
	return rc;
}

ProtobufCMessage *
case_doc_unpack(uint16_t msg_type, const uint8_t *body, size_t len)
{
	const ProtobufCMessageDescriptor *desc = refcat_descriptor(msg_type);

	if (desc == NULL)
		return NULL;
	return protobuf_c_message_unpack(desc, &pbwipe_allocator, len, body);
}

/* Every document's field 1 is its CaseHeader. */
Homeward__Referral__CaseHeader **
case_doc_header(ProtobufCMessage *m)
{
	const ProtobufCFieldDescriptor *f;

	f = protobuf_c_message_descriptor_get_field(m->descriptor, 1);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE ||
	    f->descriptor != &homeward__referral__case_header__descriptor)
		fatalx("document %s has no case header", m->descriptor->name);
	return (Homeward__Referral__CaseHeader **)(void *)((char *)m + f->offset);
}

const char *
case_step_label(uint16_t msg_type, const ProtobufCMessage *doc)
{
	const Homeward__Referral__DepartureNotification *dn = (const void *)doc;

	if (msg_type != ENV1_MSG_DEPARTURE_NOTIFICATION || doc == NULL)
		return flow_step_name(msg_type);
	return dn->kind == HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_FINAL ?
	    "departure notification (final)" :
	    "departure notification (provisional)";
}

void
case_rearm(struct store_case_thread *ct, uint16_t msg_type,
    const ProtobufCMessage *doc)
{
	const Homeward__Referral__DepartureNotification *dn = (const void *)doc;

	if (msg_type == ENV1_MSG_ASSISTANCE_REQUEST)
		ct->alerted &= ~CT_ALERT_REQUEST;
	else if (msg_type == ENV1_MSG_REINTEGRATION_REQUEST)
		ct->alerted &= ~CT_ALERT_REINT;
	else if (msg_type == ENV1_MSG_DEPARTURE_NOTIFICATION &&
	    dn->kind == HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_FINAL)
		ct->alerted &= ~CT_ALERT_ARRIVAL;
}

int
case_doc_pack(const ProtobufCMessage *m, uint8_t **out, size_t *len)
{
	size_t n = protobuf_c_message_get_packed_size(m);

	if (n > ENV1_MAX_INLINE)
		return -EMSGSIZE;
	if ((*out = secret_alloc(n ? n : 1)) == NULL)
		return -ENOMEM;
	*len = protobuf_c_message_pack(m, *out);
	return 0;
}

void
case_doc_free(ProtobufCMessage *m)
{
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, &pbwipe_allocator);
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
		snprintf(why, whylen, "a case code is 1-%d letters, digits, '-', '_', "
		    "'.' or '/': a code number, never a name", CASE_CODE_MAX);
		return -EINVAL;
	}
	if (profile_len > 0 && (pf = homeward__referral__profile__unpack(
	    &pbwipe_allocator, profile_len, profile)) == NULL) {
		snprintf(why, whylen, "the profile does not decode");
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
			snprintf(why, whylen, "case %s exists already", code);
		return rc;
	}
	if ((rc = store_commit(d->store)) != 0)
		return rc;
	audit_anchor_sync(d->store);
	log_info("case %s opened by %s", c.code, a->name);
	*out = c;
	return 0;
}

/* --- held documents -------------------------------------------------------- */

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

int
case_close(struct daemon *d, const struct case_actor *a, const struct store_case *c,
    char *why, size_t whylen)
{
	int rc;

	if (c->state == CASE_CLOSED || c->state == CASE_ERASED ||
	    c->state == CASE_ERASING) {
		snprintf(why, whylen, "case %s is %s already", c->code,
		    store_case_state_name(c->state));
		return -EPERM;
	}
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
		consent_explain(v, &need, missing, missinglen);
		/* The state is said by whoever shows it: keep the what. */
		if (strncmp(missing, "held: ", 6) == 0)
			memmove(missing, missing + 6, strlen(missing + 6) + 1);
	}
	free(rows);
	free(plain);
	return rc;
}

/* --- sending ------------------------------------------------------------------ */

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
	uint8_t                        *body = NULL;
	size_t                          len = 0;
	int                             rc;

	hdr.case_code = (char *)c->code;
	hdr.consent = scope;
	hdr.safety = safety;
	*slot = &hdr;
	rc = case_doc_pack(doc, &body, &len);
	*slot = old;
	if (rc != 0)
		return rc;
	rc = deliver_queue(d, p, msg_type, body, len, ct->thread_id, new_thread,
	    message_id);
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
	return audit_append(d->store, actor, AUDIT_SEND, c->code, message_id, detail,
	    clock_now());
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

struct only_peer {
	uint8_t         rik[ENV1_KEY_LEN];
	size_t          n;
};

static int
only_peer_cb(const struct store_case_thread *t, void *arg)
{
	struct only_peer *o = arg;

	memcpy(o->rik, t->peer_rik, ENV1_KEY_LEN);
	o->n++;
	return 0;
}

static struct peer *
resolve_peer(struct daemon *d, const struct store_case *c, const char *agency,
    char *why, size_t whylen)
{
	struct only_peer        o = { { 0 }, 0 };
	struct peer            *p;

	if (agency != NULL && *agency != '\0') {
		if ((p = peers_by_agency(d, agency)) == NULL)
			snprintf(why, whylen, "no peer %s; `homeward peers` lists them",
			    agency);
		return p;
	}
	if (c->role == CASE_ROLE_ORIGIN) {
		if ((p = peers_by_agency(d, c->home)) == NULL)
			snprintf(why, whylen, "the agency of case %s, %s, is no longer "
			    "a peer", c->code, c->home);
		return p;
	}
	if (store_ct_each(d->store, c->case_id, only_peer_cb, &o) != 0 || o.n != 1) {
		snprintf(why, whylen, "case %s has %s partner agency: name the "
		    "recipient with --to AGENCY", c->code, o.n == 0 ? "no" : "more than one");
		return NULL;
	}
	if ((p = peers_by_rik(d, o.rik)) == NULL)
		snprintf(why, whylen, "the partner of case %s is no longer a peer",
		    c->code);
	return p;
}

/* Defaults the operator may leave out: reply-by on requests. */
static void
fill_defaults(struct daemon *d, uint16_t msg_type, ProtobufCMessage *doc)
{
	uint64_t by = clock_now() + d->cfg.reply_ms;

	if (msg_type == ENV1_MSG_ASSISTANCE_REQUEST) {
		Homeward__Referral__AssistanceRequest *r = (void *)doc;

		if (r->reply_by == 0)
			r->reply_by = by;
	} else if (msg_type == ENV1_MSG_REINTEGRATION_REQUEST) {
		Homeward__Referral__ReintegrationRequest *r = (void *)doc;

		if (r->reply_by == 0)
			r->reply_by = by;
	}
}

static int
waived(char *const *waive, size_t nwaive, const char *rule)
{
	for (size_t i = 0; i < nwaive; i++)
		if (strcmp(waive[i], rule) == 0)
			return 1;
	return 0;
}

/* Seed 004's travel rules for a departure; broken rules not waived by a
 * supervisor refuse it. */
static int
check_travel(struct daemon *d, const struct case_actor *a,
    const struct store_case *c, const struct peer *p,
    const struct store_case_thread *ct, Homeward__Referral__DepartureNotification *dn,
    char *const *waive, size_t nwaive, const char *waiver_reason, char *why,
    size_t whylen)
{
	struct travel_finding           f[16];
	struct travel_policy            pol;
	struct travel_ctx               tc;
	Homeward__Referral__Profile    *pf = NULL;
	uint8_t                        *praw = NULL;
	size_t                          plen = 0, n = 0, off = 0, refused = 0;
	int                             rc;

	for (size_t i = 0; i < nwaive; i++)
		if (travel_rule_parse(waive[i]) == 0) {
			snprintf(why, whylen, "unknown travel rule %s", waive[i]);
			return -EINVAL;
		}
	if (nwaive > 0 && ((a->roles & ROLE_SUPERVISOR) == 0 ||
	    waiver_reason == NULL || *waiver_reason == '\0')) {
		snprintf(why, whylen, "waiving a travel rule needs a supervisor and "
		    "a reason (--waiver-reason)");
		return (a->roles & ROLE_SUPERVISOR) == 0 ? -EACCES : -EINVAL;
	}
	travel_policy_default(&pol);
	pol.earliest_hour = d->cfg.travel_earliest_hour;
	pol.latest_hour = d->cfg.travel_latest_hour;
	pol.weekend_days = d->cfg.travel_weekend;
	pol.max_transits = d->cfg.travel_max_transits;
	pol.min_notice_ms = d->cfg.travel_min_notice_ms;
	memset(&tc, 0, sizeof(tc));
	tc.policy = &pol;
	if ((rc = store_case_profile(d->store, c, &praw, &plen)) != 0)
		return rc;
	if (plen > 0)
		pf = homeward__referral__profile__unpack(&pbwipe_allocator, plen, praw);
	secret_free(praw);
	if (pf != NULL) {
		tc.person.minor = pf->minor;
		tc.person.sex = pf->sex;
		homeward__referral__profile__free_unpacked(pf, &pbwipe_allocator);
	}
	tc.receiving_zone = p->b.info.time_zone;
	tc.provisional_sent = ct->flow.departure >= FLOW_DEP_PROVISIONAL;
	tc.now = clock_now();
	if ((rc = travel_check(dn, &tc, f, sizeof(f) / sizeof(f[0]), &n)) != 0) {
		snprintf(why, whylen, "the travel plan could not be checked");
		return -EINVAL;
	}
	if (n > sizeof(f) / sizeof(f[0]))
		n = sizeof(f) / sizeof(f[0]);
	why[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (waived(waive, nwaive, travel_rule_name(f[i].rule)))
			continue;
		if (refused++ == 0)
			off += (size_t)snprintf(why, whylen, "the travel plan breaks "
			    "the rules: ");
		if (off < whylen)
			off += (size_t)snprintf(why + off, whylen - off, "%s%s (%s)",
			    refused > 1 ? "; " : "", f[i].detail,
			    travel_rule_name(f[i].rule));
	}
	if (refused > 0) {
		if (off < whylen)
			snprintf(why + off, whylen - off, ". Change the plan, or a "
			    "supervisor accepts the risk with --waive RULE "
			    "--waiver-reason TEXT");
		return -EPERM;
	}
	if (nwaive > 0) {
		/* The waiver travels with the notice: the partner sees it. */
		dn->rules_waived = (char **)waive;
		dn->n_rules_waived = nwaive;
		dn->waiver_reason = (char *)waiver_reason;
		dn->waived_by = (char *)a->name;
	}
	return 0;
}

int
case_step_send(struct daemon *d, const struct case_actor *a,
    const struct store_case *c, const char *peer_agency, uint16_t msg_type,
    const uint8_t *raw, size_t raw_len, char *const *waive, size_t nwaive,
    const char *waiver_reason, const char *safety_reason,
    struct case_step_result *res, char *why, size_t whylen)
{
	Homeward__Referral__ConsentScope       *scope = NULL;
	Homeward__Referral__CaseHeader        **slot;
	struct store_case_thread                ct;
	struct consent_verdict                  v;
	struct store_held                       h;
	ProtobufCMessage                       *doc;
	struct peer                            *p;
	char                                  **saved_waive = NULL;
	uint8_t                                *scope_raw = NULL, *body = NULL;
	size_t                                  scope_len = 0, body_len = 0;
	int                                     rc, is_new;

	memset(res, 0, sizeof(*res));
	if (msg_type < ENV1_MSG_ASSISTANCE_REQUEST ||
	    msg_type > ENV1_MSG_FOLLOW_UP_REPORT) {
		snprintf(why, whylen, "steps are types 1-7; withdrawals and erasure "
		    "confirmations are sent by the daemon");
		return -EINVAL;
	}
	if (c->state != CASE_OPEN) {
		snprintf(why, whylen, "case %s is %s: nothing more is sent", c->code,
		    store_case_state_name(c->state));
		return -EPERM;
	}
	if ((p = resolve_peer(d, c, peer_agency, why, whylen)) == NULL)
		return -ENOENT;
	if (!peer_active(p)) {
		snprintf(why, whylen, "peer %s is suspended or unverified",
		    p->rec.agency_id);
		return -EPERM;
	}
	if ((doc = case_doc_unpack(msg_type, raw, raw_len)) == NULL ||
	    refcat_of_body(msg_type, raw, raw_len, &res->categories) != 0) {
		case_doc_free(doc);
		snprintf(why, whylen, "the document does not decode as a %s",
		    flow_step_name(msg_type));
		return -EINVAL;
	}
	slot = case_doc_header(doc);
	if (*slot != NULL) {
		case_doc_free(doc);
		snprintf(why, whylen, "leave the document's header empty: the daemon "
		    "fills it");
		return -EINVAL;
	}
	snprintf(res->peer, sizeof(res->peer), "%s", p->rec.agency_id);
	if ((rc = case_thread_for(d, c, p, &ct, &is_new)) != 0) {
		if (rc == -ENOENT)
			snprintf(why, whylen, "case %s has no thread with %s", c->code,
			    p->rec.agency_id);
		goto out;
	}
	if (ct.flow.withdrawn) {
		snprintf(why, whylen, "consent for %s was withdrawn in case %s",
		    p->rec.agency_id, c->code);
		rc = -EPERM;
		goto out;
	}
	fill_defaults(d, msg_type, doc);
	if (flow_check(&ct.flow, &(struct flow_config){ d->cfg.require_reintegration },
	    c->role == CASE_ROLE_DESTINATION ? FLOW_DESTINATION : FLOW_ORIGIN,
	    msg_type, doc, why, whylen) != 0) {
		rc = -EPERM;
		goto out;
	}
	if (msg_type == ENV1_MSG_DEPARTURE_NOTIFICATION) {
		Homeward__Referral__DepartureNotification *dn = (void *)doc;

		if (dn->n_rules_waived > 0 || *dn->waiver_reason != '\0' ||
		    *dn->waived_by != '\0') {
			snprintf(why, whylen, "waivers are given with --waive and "
			    "--waiver-reason, not in the document");
			rc = -EINVAL;
			goto out;
		}
		saved_waive = dn->rules_waived;
		if ((rc = check_travel(d, a, c, p, &ct, dn, waive, nwaive,
		    waiver_reason, why, whylen)) != 0)
			goto out;
	} else if (nwaive > 0) {
		snprintf(why, whylen, "travel rules apply to departures only");
		rc = -EINVAL;
		goto out;
	}
	if ((rc = case_gate(d, c, p, msg_type, res->categories, &v, res->missing,
	    sizeof(res->missing), &scope_raw, &scope_len)) != 0)
		goto out;
	if (v.covered && (scope = homeward__referral__consent_scope__unpack(
	    &pbwipe_allocator, scope_len, scope_raw)) == NULL) {
		rc = -EBADMSG;
		goto out;
	}
	if ((rc = store_begin(d->store)) != 0)
		goto out;
	if (nwaive > 0 && (rc = audit_append(d->store, a->name, AUDIT_OVERRIDE,
	    c->code, NULL, "travel rules waived by a supervisor", clock_now())) != 0) {
		store_rollback(d->store);
		goto out;
	}
	if (v.covered) {
		rc = case_queue_doc(d, c, p, &ct, is_new, msg_type, doc, scope, NULL,
		    a->name, res->message_id);
		res->state = CASE_STEP_QUEUED;
	} else {
		/* Held: with its header (case code) but no basis yet, and no
		 * thread position, so nothing behind it waits. */
		Homeward__Referral__CaseHeader hdr = HOMEWARD__REFERRAL__CASE_HEADER__INIT;

		if (is_new && (rc = store_ct_put(d->store, &ct)) == 0)
			rc = store_thread_create(d->store, ct.thread_id, p->rec.rik,
			    clock_now());
		hdr.case_code = (char *)c->code;
		*slot = &hdr;
		if (rc == 0)
			rc = case_doc_pack(doc, &body, &body_len);
		*slot = NULL;
		memset(&h, 0, sizeof(h));
		randombytes_buf(h.held_id, ENV1_ID_LEN);
		memcpy(h.case_id, c->case_id, ENV1_ID_LEN);
		memcpy(h.peer_rik, p->rec.rik, ENV1_KEY_LEN);
		h.msg_type = msg_type;
		h.categories = res->categories;
		h.created_at = clock_now();
		snprintf(h.created_by, sizeof(h.created_by), "%s", a->name);
		if (safety_reason != NULL && *safety_reason != '\0') {
			h.state = HELD_APPROVAL;
			snprintf(h.missing, sizeof(h.missing), "safety exception: "
			    "two different supervisors must approve (`homeward "
			    "approve`)");
			if (a->roles & ROLE_SUPERVISOR)
				snprintf(h.approved_by, sizeof(h.approved_by), "%s",
				    a->name);
		} else {
			h.state = HELD_CONSENT;
			snprintf(h.missing, sizeof(h.missing), "%s", res->missing);
		}
		snprintf(res->missing, sizeof(res->missing), "%s", h.missing);
		if (rc == 0)
			rc = store_held_insert(d->store, &h, body, body_len,
			    h.state == HELD_APPROVAL ? safety_reason : NULL);
		if (rc == 0)
			rc = audit_append(d->store, a->name, h.state == HELD_APPROVAL ?
			    AUDIT_HOLD_APPROVAL : AUDIT_HOLD, c->code, NULL,
			    h.state == HELD_APPROVAL ? "held for the safety exception" :
			    h.missing, clock_now());
		memcpy(res->held_id, h.held_id, ENV1_ID_LEN);
		res->state = h.state == HELD_APPROVAL ? CASE_STEP_APPROVAL :
		    CASE_STEP_HELD;
	}
	if (rc != 0) {
		store_rollback(d->store);
		goto out;
	}
	if ((rc = store_commit(d->store)) != 0)
		goto out;
	audit_anchor_sync(d->store);
	if (res->state == CASE_STEP_QUEUED)
		deliver_kick(d, p);
	log_info("case %s: %s to %s %s", c->code, flow_step_name(msg_type),
	    p->rec.agency_id, res->state == CASE_STEP_QUEUED ? "queued" : "held");
out:
	if (msg_type == ENV1_MSG_DEPARTURE_NOTIFICATION) {
		/* The waiver pointed at the caller's strings: not ours to free. */
		Homeward__Referral__DepartureNotification *dn = (void *)doc;

		if (nwaive > 0 && dn->rules_waived == (char **)waive) {
			dn->rules_waived = saved_waive;
			dn->n_rules_waived = 0;
			dn->waiver_reason = (char *)protobuf_c_empty_string;
			dn->waived_by = (char *)protobuf_c_empty_string;
		}
	}
	if (scope != NULL)
		homeward__referral__consent_scope__free_unpacked(scope,
		    &pbwipe_allocator);
	secret_free(scope_raw);
	secret_free(body);
	case_doc_free(doc);
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
