/*
 * Views of the referral procedure's records for homeward: a case and its
 * threads, a consent (its scope decoded from the ConsentScope the daemon
 * keeps), a held message, an audit entry and the result of sending a step.
 * Several commands show the same record (case show lists consents, held
 * messages and the audit trail), so each record is printed and turned
 * into JSON in one place.  Times for people are local, JSON times RFC 3339.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/refnames.h"
#include "common/i18n.h"

/* --- a case --- */

static json_t *
thread_json_flow(const Homeward__Control__CaseThread *t)
{
	return json_pack("{s:s, s:o, s:s, s:o, s:o, s:o, s:b, s:b, s:I, s:I, "
	    "s:I, s:I}",
	    "peer", t->peer,
	    "thread_id", cli_json_hex(t->thread_id),
	    "summary", t->summary,
	    "request_reply_by", cli_json_rfc3339(t->request_reply_by),
	    "reint_reply_by", cli_json_rfc3339(t->reint_reply_by),
	    "scheduled_arrival", cli_json_rfc3339(t->scheduled_arrival),
	    "withdrawn", (int)t->withdrawn,
	    "erasure_confirmed", (int)t->erasure_confirmed,
	    "request", (json_int_t)t->request,
	    "reintegration", (json_int_t)t->reintegration,
	    "departure", (json_int_t)t->departure,
	    "arrival", (json_int_t)t->arrival);
}

static json_t *
thread_json(const Homeward__Control__CaseThread *t)
{
	json_t *j = thread_json_flow(t);

	if (j != NULL && json_object_update_new(j, json_pack("{s:b, s:s?, s:s?, "
	    "s:o, s:b}",
	    "safety_hold", (int)t->safety_hold,
	    "outcome", t->outcome[0] != '\0' ? t->outcome : NULL,
	    "outcome_by", t->outcome_by[0] != '\0' ? t->outcome_by : NULL,
	    "outcome_at", cli_json_rfc3339(t->outcome_at),
	    "erased", (int)t->erased)) != 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

json_t *
cli_case_json(const Homeward__Control__CaseInfo *c)
{
	json_t *threads;

	if ((threads = json_array()) == NULL)
		return NULL;
	for (size_t i = 0; i < c->n_threads; i++)
		json_array_append_new(threads, thread_json(c->threads[i]));
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:I, s:I, s:o}",
	    "code", c->code,
	    "home", c->home,
	    "role", c->role,
	    "state", c->state,
	    "opened_at", cli_json_rfc3339(c->opened_at),
	    "closed_at", cli_json_rfc3339(c->closed_at),
	    "erase_after", cli_json_rfc3339(c->erase_after),
	    "held", (json_int_t)c->held,
	    "consents", (json_int_t)c->consents,
	    "threads", threads);
}

void
cli_case_print(const Homeward__Control__CaseInfo *c)
{
	char t[CLI_LOCALTIME_BUFLEN], id[CLI_ID_BUFLEN];

	cli_kv(_("case"), "%s", c->code);
	cli_kv(_("home"), "%s", c->home);
	cli_kv(_("role"), "%s", c->role);
	cli_kv(_("state"), "%s", c->state);
	cli_localtime(c->opened_at, t);
	cli_kv(_("opened"), "%s", t);
	if (c->closed_at != 0) {
		cli_localtime(c->closed_at, t);
		cli_kv(_("closed"), "%s", t);
	}
	if (c->erase_after != 0) {
		cli_localtime(c->erase_after, t);
		cli_kv(_("erased after"), "%s", t);
	}
	cli_kv(_("consents"), _("%u in force"), c->consents);
	if (c->held > 0)
		cli_kv(_("held"), ngettext("%u message (see 'homeward held %s')",
		    "%u messages (see 'homeward held %s')", c->held), c->held,
		    c->code);
	else
		cli_kv(_("held"), _("none"));
	for (size_t i = 0; i < c->n_threads; i++) {
		const Homeward__Control__CaseThread *th = c->threads[i];

		cli_kv(_("partner"), _("%s (thread %s)"), th->peer,
		    cli_hex(th->thread_id, id));
		/* TRANSLATORS: the labels of a partner's lines in the case
		 * view keep their two leading spaces: they sit under it. */
		cli_kv(_("  where"), "%s", th->summary[0] != '\0' ? th->summary :
		    _("nothing sent or received yet"));
		if (th->request_reply_by != 0) {
			cli_localtime(th->request_reply_by, t);
			cli_kv(_("  answer due"), _("%s (assistance request)"), t);
		}
		if (th->reint_reply_by != 0) {
			cli_localtime(th->reint_reply_by, t);
			cli_kv(_("  answer due"), _("%s (reintegration request)"), t);
		}
		if (th->scheduled_arrival != 0) {
			cli_localtime(th->scheduled_arrival, t);
			cli_kv(_("  arrival"), _("%s, not yet confirmed"), t);
		}
		if (th->outcome[0] != '\0') {
			cli_localtime(th->outcome_at, t);
			cli_kv(_("  outcome"), _("%s (recorded by %s, %s)"), th->outcome,
			    th->outcome_by, t);
		}
		if (th->withdrawn)
			cli_kv(_("  consent"), _("withdrawn; thread restricted; erasure %s%s"),
			    th->erasure_confirmed ? _("confirmed") :
			    _("NOT yet confirmed"), th->erased ? _("; its data erased") : "");
		if (th->safety_hold)
			cli_kv(_("  SAFETY"), _("she is travelling: her arrival is awaited "
			    "whatever happens to consent"));
	}
}

/* --- a consent --- */

static uint32_t
steps_mask(const Homeward__Referral__ConsentScope *s)
{
	uint32_t m = 0;

	for (size_t i = 0; i < s->n_steps; i++)
		if ((unsigned)s->steps[i] < 32)
			m |= 1u << s->steps[i];
	return m;
}

static uint32_t
categories_mask(const Homeward__Referral__ConsentScope *s)
{
	uint32_t m = 0;

	for (size_t i = 0; i < s->n_categories; i++)
		if ((unsigned)s->categories[i] < 32)
			m |= 1u << s->categories[i];
	return m;
}

static const char *
step_name(uint32_t v)
{
	return refnames_step_name(v);
}

static const char *
category_name(uint32_t v)
{
	return refnames_category_name(v);
}

static const char *
consent_state(const Homeward__Control__ConsentInfo *c,
    const Homeward__Referral__ConsentScope *s)
{
	uint64_t now = (uint64_t)time(NULL) * 1000;

	if (c->withdrawn_at != 0)
		return c->in_error ? N_("revoked (recorded in error)") :
		    N_("withdrawn");
	if (s != NULL && s->expires_at != 0 && s->expires_at <= now)
		return N_("expired");
	return N_("in force");
}

static json_t *
scope_json(const Homeward__Referral__ConsentScope *s)
{
	json_t *to;

	if (s == NULL)
		return json_null();
	if ((to = json_array()) == NULL)
		return NULL;
	for (size_t i = 0; i < s->n_recipients; i++)
		json_array_append_new(to, json_string(s->recipients[i]));
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:b, s:b, "
	    "s:o}",
	    "consent_id", cli_json_hex(s->consent_id),
	    "recipients", to,
	    "steps", cli_json_mask(steps_mask(s), step_name),
	    "categories", cli_json_mask(categories_mask(s), category_name),
	    "given_at", cli_json_rfc3339(s->given_at),
	    "expires_at", cli_json_rfc3339(s->expires_at),
	    "method", refnames_method_name(s->method),
	    "language", cli_json_str(s->language),
	    "by_guardian", (int)s->by_guardian,
	    "child_consulted", (int)s->child_consulted,
	    "form_hash", cli_json_hex(s->form_hash));
}

json_t *
cli_consent_json(const Homeward__Control__ConsentInfo *c)
{
	Homeward__Referral__ConsentScope *s;
	json_t *j;

	s = homeward__referral__consent_scope__unpack(NULL, c->scope.len,
	    c->scope.data);
	j = json_pack("{s:o, s:s, s:o, s:s, s:o, s:o, s:s, s:I, s:o, s:o}",
	    "consent_id", cli_json_hex(c->consent_id),
	    "state", consent_state(c, s),
	    "scope", scope_json(s),
	    "recorded_by", c->recorded_by,
	    "recorded_at", cli_json_rfc3339(c->recorded_at),
	    "withdrawn_at", cli_json_rfc3339(c->withdrawn_at),
	    "source", c->source,
	    "released", (json_int_t)c->released,
	    "notice_language", cli_json_str(c->notice_language),
	    "notice_sha256", cli_json_hex(c->notice_sha256));
	homeward__referral__consent_scope__free_unpacked(s, NULL);
	return j;
}

void
cli_consent_print(const Homeward__Control__ConsentInfo *c)
{
	Homeward__Referral__ConsentScope *s;
	char t[CLI_LOCALTIME_BUFLEN], id[CLI_ID_BUFLEN], list[REFNAMES_LIST_BUFLEN];

	s = homeward__referral__consent_scope__unpack(NULL, c->scope.len,
	    c->scope.data);
	cli_kv(_("consent"), "%s  %s", cli_hex(c->consent_id, id),
	    _(consent_state(c, s)));
	if (s == NULL) {
		cli_kv(_("  scope"), _("unreadable (%zu bytes): homewardd sent a "
		    "malformed ConsentScope"), c->scope.len);
	} else {
		printf("%-16s ", _("  to"));
		for (size_t i = 0; i < s->n_recipients; i++)
			printf("%s%s", i > 0 ? "," : "", s->recipients[i]);
		printf("%s\n", s->n_recipients == 0 ? _("nobody") : "");
		cli_kv(_("  steps"), "%s", refnames_mask_format(steps_mask(s),
		    step_name, list, sizeof(list)));
		cli_kv(_("  categories"), "%s", refnames_mask_format(
		    categories_mask(s), category_name, list, sizeof(list)));
		cli_kv(_("  method"), "%s%s%s%s%s%s", refnames_method_name(s->method),
		    s->language[0] != '\0' ? " (" : "", s->language,
		    s->language[0] != '\0' ? ")" : "",
		    s->by_guardian ? _(", by a guardian") : "",
		    s->by_guardian ? (s->child_consulted ? _(", child consulted") :
		    _(", child not consulted")) : "");
		if (s->form_hash.len > 0)
			cli_kv(_("  form sha256"), "%s", cli_hex(s->form_hash, id));
		cli_localtime(s->given_at, t);
		cli_kv(_("  given"), "%s", t);
		cli_localtime(s->expires_at, t);
		cli_kv(_("  expires"), "%s", s->expires_at != 0 ? t :
		    _("when withdrawn"));
	}
	/* What she was told before she agreed (homeward consent notice). */
	if (c->notice_sha256.len > 0)
		cli_kv("  notice", "%s, sha256 %s", c->notice_language,
		    cli_hex(c->notice_sha256, id));
	cli_localtime(c->recorded_at, t);
	cli_kv(_("  recorded"), _("%s by %s (%s)"), t, c->recorded_by, c->source);
	if (c->withdrawn_at != 0) {
		cli_localtime(c->withdrawn_at, t);
		cli_kv(_("  withdrawn"), "%s", t);
	}
	homeward__referral__consent_scope__free_unpacked(s, NULL);
}

/* --- a held message --- */

json_t *
cli_held_json(const Homeward__Control__HeldInfo *h)
{
	char tb[16];

	return json_pack("{s:o, s:s, s:s, s:s, s:I, s:s, s:s, s:o, s:o, s:s, "
	    "s:o, s:o, s:o, s:o}",
	    "held_id", cli_json_hex(h->held_id),
	    "case_code", h->case_code,
	    "case_home", h->case_home,
	    "peer", h->peer,
	    "msg_type", (json_int_t)h->msg_type,
	    "msg_type_name", cli_msg_type_name(h->msg_type, tb, sizeof(tb)),
	    "state", h->state,
	    "missing", cli_json_str(h->missing),
	    "created_at", cli_json_rfc3339(h->created_at),
	    "created_by", h->created_by,
	    "categories", cli_json_mask(h->categories, category_name),
	    "approved_by", cli_json_str(h->approved_by),
	    "message_id", cli_json_hex(h->message_id),
	    "replaced_by", cli_json_hex(h->replaced_by));
}

void
cli_held_line(const Homeward__Control__HeldInfo *h)
{
	char t[CLI_LOCALTIME_BUFLEN], id[CLI_ID_BUFLEN], tb[16];
	char list[REFNAMES_LIST_BUFLEN];

	cli_localtime(h->created_at, t);
	/* TRANSLATORS: held id, time, case code, document type, "to" the
	 * partner agency, state, "by" the operator who wrote it. */
	printf(_("%s  %s  %s  %s to %s  %s  by %s\n"), cli_hex(h->held_id, id), t,
	    h->case_code, cli_msg_type_name(h->msg_type, tb, sizeof(tb)),
	    h->peer, h->state, h->created_by);
	printf(_("    carries %s\n"), refnames_mask_format(h->categories,
	    category_name, list, sizeof(list)));
	if (h->missing[0] != '\0')
		printf(_("    missing: %s\n"), h->missing);
	if (h->approved_by[0] != '\0')
		printf(_("    approved by %s%s\n"), h->approved_by,
		    strcmp(h->state, "approval") == 0 ?
		    _("; needs a second, different supervisor") : "");
	if (h->message_id.len > 0)
		printf(_("    sent as message %s\n"), cli_hex(h->message_id, id));
	if (h->replaced_by.len > 0)
		printf(_("    replaced by held message %s\n"), cli_hex(h->replaced_by,
		    id));
}

/* --- an audit entry --- */

json_t *
cli_audit_json(const Homeward__Control__AuditEntry *a)
{
	return json_pack("{s:I, s:o, s:s, s:s, s:o, s:o, s:s}",
	    "seq", (json_int_t)a->seq,
	    "at", cli_json_rfc3339(a->at),
	    "actor", a->actor,
	    "action", a->action,
	    "case_code", cli_json_str(a->case_code),
	    "message_id", cli_json_hex(a->message_id),
	    "detail", a->detail);
}

#define AUDIT_COL_MAX   24      /* a longer name pushes its line only */

void
cli_audit_cols(const struct cli_answer *ans, struct cli_audit_cols *cols)
{
	cols->actor = 5;
	cols->action = 6;
	for (size_t i = 0; i < ans->n; i++) {
		const Homeward__Control__AuditEntry *a;
		int n;

		if (ans->data[i]->kind_case != HOMEWARD__CONTROL__RESPONSE__KIND_AUDIT)
			continue;
		a = ans->data[i]->audit;
		if ((n = (int)strnlen(a->actor, AUDIT_COL_MAX)) > cols->actor)
			cols->actor = n;
		if ((n = (int)strnlen(a->action, AUDIT_COL_MAX)) > cols->action)
			cols->action = n;
	}
}

void
cli_audit_line(const Homeward__Control__AuditEntry *a, int with_case,
    const struct cli_audit_cols *cols)
{
	char t[CLI_LOCALTIME_BUFLEN], id[CLI_ID_BUFLEN];

	cli_localtime(a->at, t);
	if (with_case)
		printf("%6llu  %s  %-16s ", (unsigned long long)a->seq, t,
		    a->case_code[0] != '\0' ? a->case_code : "-");
	else
		printf("%s  ", t);
	printf("%-*s  %-*s  %s", cols->actor, a->actor, cols->action, a->action,
	    a->detail);
	if (a->message_id.len > 0)
		printf("  %s", cli_hex(a->message_id, id));
	printf("\n");
}

/* --- the result of sending a step --- */

json_t *
cli_step_json(const Homeward__Control__StepResult *r)
{
	char tb[16];

	return json_pack("{s:s, s:o, s:o, s:o, s:I, s:s, s:s, s:o}",
	    "state", r->state,
	    "message_id", cli_json_hex(r->message_id),
	    "held_id", cli_json_hex(r->held_id),
	    "missing", cli_json_str(r->missing),
	    "msg_type", (json_int_t)r->msg_type,
	    "msg_type_name", cli_msg_type_name(r->msg_type, tb, sizeof(tb)),
	    "peer", r->peer,
	    "categories", cli_json_mask(r->categories, category_name));
}

void
cli_step_print(const Homeward__Control__StepResult *r)
{
	char id[CLI_ID_BUFLEN];

	if (strcmp(r->state, "queued") == 0) {
		printf(_("queued: message %s\n"), cli_hex(r->message_id, id));
	} else if (strcmp(r->state, "held") == 0) {
		printf(_("held: %s  (held id %s)\n"), r->missing[0] != '\0' ?
		    r->missing : _("no consent covers it"), cli_hex(r->held_id, id));
		printf(_("it goes by itself once a consent covers it "
		    "('homeward consent record')\n"));
	} else if (strcmp(r->state, "approval") == 0) {
		printf(_("awaiting a second supervisor: held id %s\n"),
		    cli_hex(r->held_id, id));
		printf(_("a supervisor approves it with 'homeward approve %s "
		    "--reason TEXT'\n"), id);
	} else {
		printf("%s: %s\n", r->state[0] != '\0' ? r->state : _("refused"),
		    r->missing[0] != '\0' ? r->missing : _("no reason given"));
	}
}
