/*
 * make bench (part): what the consent gate costs next to sealing the same
 * document, measured in the same run.  Per document the daemon decodes
 * the body, derives the categories it carries (refcat_of_body) and decides
 * against the case's consents (consent_decide); the target is at most a
 * tenth of one env1_seal, so the gate never shows in delivery figures.
 *
 * The document is a full AssistanceRequest (every field set, about 1 KiB);
 * the case has 10 consents, the covering one last.  Best of several rounds
 * of thread CPU time, as bench-crypto.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "daemon/rules/consent.h"
#include "keys/envelope.h"
#include "keys/secret.h"
#include "proto/refcat.h"
#include "proto/referral.pb-c.h"
#include "tests/lib/fixture.h"

#define ROUNDS          7
#define NCONSENTS       10

struct bench_ctx {
	struct fixture_agency   alpha, beta;
	struct peerkeys         beta_pinned;
	struct env1_seal_params params;
	uint8_t                *body;
	size_t                  len;
	struct consent          consents[NCONSENTS];
	volatile int            sink;
};

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
measure(void (*fn)(struct bench_ctx *), struct bench_ctx *b, int n)
{
	double best = 1e9;

	for (int r = 0; r < ROUNDS; r++) {
		double t0 = cpu_now();

		for (int i = 0; i < n; i++)
			fn(b);
		double per = (cpu_now() - t0) / n;
		if (per < best)
			best = per;
	}
	return best;
}

static void
do_seal(struct bench_ctx *b)
{
	struct env1_sealed s;

	if (env1_seal(&b->alpha.id, &b->beta_pinned, &b->beta.prekey.stmt,
	    &b->params, FIXTURE_NOW, &s) != ENV1_OK)
		abort();
	env1_sealed_free(&s);
}

static void
do_gate(struct bench_ctx *b)
{
	struct consent_need     need;
	struct consent_verdict  v;
	uint32_t                mask;

	if (refcat_of_body(1, b->body, b->len, &mask) != 0)
		abort();
	need.recipient = "ml-bamako";
	need.step = 1;
	need.categories = mask;
	need.now = FIXTURE_NOW;
	consent_decide(b->consents, NCONSENTS, &need, &v);
	b->sink += v.covered;
}

/* A request with every field set: the most the gate has to walk. */
static void
make_document(struct bench_ctx *b)
{
	Homeward__Referral__AssistanceRequest   r =
	    HOMEWARD__REFERRAL__ASSISTANCE_REQUEST__INIT;
	Homeward__Referral__CaseHeader          h = HOMEWARD__REFERRAL__CASE_HEADER__INIT;
	Homeward__Referral__ConsentScope        cs = HOMEWARD__REFERRAL__CONSENT_SCOPE__INIT;
	Homeward__Referral__Profile             p = HOMEWARD__REFERRAL__PROFILE__INIT;
	Homeward__Referral__SecurityAssessment  s =
	    HOMEWARD__REFERRAL__SECURITY_ASSESSMENT__INIT;
	Homeward__Referral__ReturnWindow        w = HOMEWARD__REFERRAL__RETURN_WINDOW__INIT;
	Homeward__Referral__Identity            id = HOMEWARD__REFERRAL__IDENTITY__INIT;
	Homeward__Referral__FamilyContact       fc = HOMEWARD__REFERRAL__FAMILY_CONTACT__INIT;
	Homeward__Referral__FamilyContact      *fcs[] = { &fc, &fc };
	Homeward__Referral__IdentityDocument    doc =
	    HOMEWARD__REFERRAL__IDENTITY_DOCUMENT__INIT;
	Homeward__Referral__IdentityDocument   *docs[] = { &doc };
	Homeward__Referral__AssistanceType      needs[] = { 1, 2, 3, 5, 6 };
	Homeward__Referral__Step                steps[] = { 1, 2, 3, 4, 5, 6, 7 };
	Homeward__Referral__DataCategory        cats[] = { 2, 3, 4, 5, 6, 7 };
	char                                   *rcpt[] = { (char *)"ml-bamako" };
	char                                   *langs[] = { (char *)"bm", (char *)"fr" };
	uint8_t                                 cid[16] = { 1 }, form[32] = { 2 };
	char                                    notes[400];

	memset(notes, 'n', sizeof(notes) - 1);
	notes[sizeof(notes) - 1] = '\0';
	cs.consent_id.data = cid;
	cs.consent_id.len = sizeof(cid);
	cs.n_recipients = 1;
	cs.recipients = rcpt;
	cs.n_steps = 7;
	cs.steps = steps;
	cs.n_categories = 6;
	cs.categories = cats;
	cs.given_at = FIXTURE_NOW;
	cs.method = 1;
	cs.by_guardian = 1;
	cs.child_consulted = 1;
	cs.form_hash.data = form;
	cs.form_hash.len = sizeof(form);
	h.case_code = (char *)"CI-2026-0042";
	h.consent = &cs;
	p.sex = 1;
	p.age = 16;
	p.age_band = 2;
	p.minor = 1;
	p.nationality = (char *)"ML";
	p.n_languages = 2;
	p.languages = langs;
	p.interpreter_needed = 1;
	s.risk = 2;
	s.trafficker_aware = 1;
	s.cooperated_with_law_enforcement = 1;
	s.notes = notes;
	w.earliest = FIXTURE_NOW;
	w.latest = FIXTURE_NOW + 86400000;
	fc.name = (char *)"Synthetic Relative";
	fc.relationship = (char *)"aunt";
	fc.phone = (char *)"+000 00 00 00";
	fc.address = (char *)"synthetic address";
	doc.kind = (char *)"passport";
	doc.number = (char *)"X0000000";
	doc.issuer = (char *)"ML";
	doc.expires = (char *)"2030-01-01";
	id.full_name = (char *)"Synthetic Person";
	id.date_of_birth = (char *)"2010-01-01";
	id.n_documents = 1;
	id.documents = docs;
	id.n_family_contacts = 2;
	id.family_contacts = fcs;
	r.header = &h;
	r.scenario = 2;
	r.profile = &p;
	r.n_needs = 5;
	r.needs = needs;
	r.security = &s;
	r.proposed_return = &w;
	r.reply_by = FIXTURE_NOW + 7 * 86400000ull;
	r.identity = &id;
	b->len = homeward__referral__assistance_request__get_packed_size(&r);
	if ((b->body = malloc(b->len)) == NULL)
		abort();
	homeward__referral__assistance_request__pack(&r, b->body);
}

int
main(int argc, char **argv)
{
	static struct bench_ctx b;
	int     n = argc > 1 ? atoi(argv[1]) : 2000;
	double  seal, seal2, gate;

	if (n <= 0 || secret_init() != 0)
		return 2;
	fixture_agency_make(&b.alpha, "alpha", FIXTURE_NOW);
	fixture_agency_make(&b.beta, "beta", FIXTURE_NOW);
	fixture_peerkeys(&b.beta, &b.beta_pinned);
	make_document(&b);
	fixture_seal_params(&b.params, "bench", 1, 1, b.body, b.len, FIXTURE_NOW);
	for (int i = 0; i < NCONSENTS; i++) {
		struct consent *c = &b.consents[i];

		c->id[0] = (uint8_t)i;
		snprintf(c->recipients[0], sizeof(c->recipients[0]), "%s",
		    i == NCONSENTS - 1 ? "ml-bamako" : "sn-dakar");
		c->nrecipients = 1;
		c->steps = 0xfe;
		c->categories = 0xfc;
	}
	/* Baseline before and after: drift in machine speed hits both. */
	seal = measure(do_seal, &b, n);
	gate = measure(do_gate, &b, n * 10);
	seal2 = measure(do_seal, &b, n);
	if (seal2 < seal)
		seal = seal2;

	printf("bench-gate: one %zu-byte AssistanceRequest, %d consents, best of "
	    "%d rounds, thread CPU time\n", b.len, NCONSENTS, ROUNDS);
	printf("  %-34s %10.0f /s  %7.2f us\n", "env1_seal (baseline)", 1 / seal,
	    seal * 1e6);
	printf("  %-34s %10.0f /s  %7.2f us  ratio to seal %.3f\n",
	    "gate (categories + decision)", 1 / gate, gate * 1e6, gate / seal);
	printf("target: gate <= 0.100 of a seal: %s\n",
	    gate / seal <= 0.10 ? "met" : "NOT met");
	free(b.body);
	peerkeys_clear(&b.beta_pinned);
	fixture_agency_free(&b.alpha);
	fixture_agency_free(&b.beta);
	return b.sink == -1 ? 1 : 0;
}
