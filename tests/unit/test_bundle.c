/*
 * Unit tests: agency bundles (keys/bundle.c).  Each refusal is checked for
 * its reason code and for the exact sentence naming the field, because an
 * operator acts on that sentence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "keys/bundle.h"
#include "keys/fingerprint.h"
#include "proto/keys.pb-c.h"
#include "tests/lib/fixture.h"

static struct fixture_agency alpha, beta, alpha2;

/* Everything a bundle is made of, editable by a test before building. */
struct spec {
	struct fixture_agency  *a;
	struct agency_info      info;
	uint8_t                *info_raw;
	size_t                  info_len;
	uint8_t                 sig[ENV1_SIG_LEN];
	struct stmt_dsk_cert    certs[70];
	size_t                  ncerts;
	struct stmt_spk         prekeys[4];
	size_t                  nprekeys;
	struct stmt_revocation  revs[4];
	size_t                  nrevs;
	struct stmt_transition  trans[2];
	size_t                  ntrans;
};

static void
spec_init(struct spec *s, struct fixture_agency *a)
{
	memset(s, 0, sizeof(*s));
	s->a = a;
	snprintf(s->info.agency_id, sizeof(s->info.agency_id), "%s-agency", a->label);
	snprintf(s->info.name, sizeof(s->info.name), "Agency %s (synthetic)", a->label);
	snprintf(s->info.country, sizeof(s->info.country), "FR");
	snprintf(s->info.time_zone, sizeof(s->info.time_zone), "Europe/Paris");
	snprintf(s->info.endpoint, sizeof(s->info.endpoint), "%s.example:7443", a->label);
	memcpy(s->info.rik, a->rik_pk, ENV1_KEY_LEN);
	memset(s->info.tls_spki_sha256, 0x7c, 32);
	s->info.issued_at = FIXTURE_NOW;
	s->certs[0] = a->id.cert;
	s->ncerts = 1;
	s->prekeys[0] = a->prekey.stmt;
	s->nprekeys = 1;
}

/* Sign arbitrary AgencyInfo bytes as the spec's agency would. */
static void
spec_sign_raw(struct spec *s, const uint8_t *raw, size_t len)
{
	uint8_t *msg = malloc(16 + len);

	assert_non_null(msg);
	memcpy(msg, "ENV1 agency v1\0\0", 16);
	memcpy(msg + 16, raw, len);
	assert_int_equal(crypto_sign_detached(s->sig, NULL, msg, 16 + len,
	    s->a->rik_sk), 0);
	free(msg);
	free(s->info_raw);
	s->info_raw = malloc(len > 0 ? len : 1);
	assert_non_null(s->info_raw);
	memcpy(s->info_raw, raw, len);
	s->info_len = len;
}

/* Encode an AgencyInfo with protobuf-c directly (bypassing the checks of
 * bundle_sign_agency) and sign it. */
static void
spec_sign_pb(struct spec *s, Homeward__Keys__AgencyInfo *pi)
{
	size_t n = homeward__keys__agency_info__get_packed_size(pi);
	uint8_t *raw = malloc(n);

	assert_non_null(raw);
	homeward__keys__agency_info__pack(pi, raw);
	spec_sign_raw(s, raw, n);
	free(raw);
}

static void
spec_pb_info(struct spec *s, Homeward__Keys__AgencyInfo *pi)
{
	homeward__keys__agency_info__init(pi);
	pi->agency_id = s->info.agency_id;
	pi->name = s->info.name;
	pi->country = s->info.country;
	pi->time_zone = s->info.time_zone;
	pi->endpoint = s->info.endpoint;
	pi->duty_contact = s->info.duty_contact;
	pi->rik.data = s->info.rik;
	pi->rik.len = ENV1_KEY_LEN;
	pi->tls_spki_sha256.data = s->info.tls_spki_sha256;
	pi->tls_spki_sha256.len = 32;
	pi->issued_at = s->info.issued_at;
}

static void
spec_build(struct spec *s, uint8_t **out, size_t *outlen)
{
	struct bundle_parts p;

	if (s->info_raw == NULL)
		assert_int_equal(bundle_sign_agency(&s->info, s->a->rik_sk, &s->info_raw,
		    &s->info_len, s->sig), ENV1_OK);
	p = (struct bundle_parts){ s->info_raw, s->info_len, s->sig, s->certs,
	    s->ncerts, s->prekeys, s->nprekeys, s->revs, s->nrevs, s->trans,
	    s->ntrans };
	assert_int_equal(bundle_build(s->a->rik_pk, &p, out, outlen), ENV1_OK);
	free(s->info_raw);
	s->info_raw = NULL;
}

/* Build s and parse it, which must succeed. */
static void
spec_parse(struct spec *s, struct bundle *b)
{
	uint8_t *buf;
	size_t len;

	spec_build(s, &buf, &len);
	assert_int_equal(bundle_parse(buf, len, b, NULL), ENV1_OK);
	free(buf);
}

/* Parse buf and expect a refusal with this reason and exactly this text. */
static void
expect_refused(const uint8_t *buf, size_t len, int reason, const char *why_want)
{
	struct bundle b;
	char why[BUNDLE_WHY_LEN];

	memset(&b, 0xee, sizeof(b));
	assert_int_equal(bundle_parse(buf, len, &b, why), reason);
	assert_string_equal(why, why_want);
	/* Nothing half-parsed is left behind. */
	assert_null(b.keys.certs);
	assert_null(b.transitions);
	assert_int_equal(b.keys.ncerts, 0);
	assert_int_equal(b.info.agency_id[0], '\0');
}

static void
spec_expect(struct spec *s, int reason, const char *why_want)
{
	uint8_t *buf;
	size_t len;

	spec_build(s, &buf, &len);
	expect_refused(buf, len, reason, why_want);
	free(buf);
}

/* A second DSK of agency a with the given usage, certified by a's RIK. */
static void
second_dsk(struct fixture_agency *a, uint16_t usage, uint8_t pk[32], uint8_t sk[64],
    struct stmt_dsk_cert *c)
{
	uint8_t seed[32];
	char l[64];

	snprintf(l, sizeof(l), "%s/dsk2", a->label);
	fixture_bytes(l, seed, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	*c = a->id.cert;
	memcpy(c->dsk_pub, pk, 32);
	c->serial = 2;
	c->usage = usage;
	assert_int_equal(stmt_cert_sign(c, a->rik_sk), ENV1_OK);
}

/* A revocation of key by issuer's RIK. */
static void
revoke(struct stmt_revocation *rv, struct fixture_agency *issuer,
    const uint8_t key[32], uint8_t kind)
{
	memset(rv, 0, sizeof(*rv));
	memcpy(rv->issuer_rik, issuer->rik_pk, 32);
	memcpy(rv->revoked_key, key, 32);
	rv->kind = kind;
	rv->revoked_at = FIXTURE_NOW;
	rv->reason = STMT_REASON_COMPROMISED;
	assert_int_equal(stmt_revocation_sign(rv, issuer->rik_sk), ENV1_OK);
}

static int
setup(void **state)
{
	(void)state;
	fixture_agency_make(&alpha, "alpha", FIXTURE_NOW);
	fixture_agency_make(&beta, "beta", FIXTURE_NOW);
	fixture_agency_make(&alpha2, "alpha2", FIXTURE_NOW);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	fixture_agency_free(&alpha);
	fixture_agency_free(&beta);
	fixture_agency_free(&alpha2);
	return 0;
}

static void
test_roundtrip(void **state)
{
	struct spec s;
	struct bundle b;
	uint8_t *buf;
	size_t len;
	char why[BUNDLE_WHY_LEN] = "x";
	const struct stmt_spk *spk;

	(void)state;
	spec_init(&s, &alpha);
	spec_build(&s, &buf, &len);
	assert_int_equal(bundle_parse(buf, len, &b, why), ENV1_OK);
	assert_string_equal(why, "");
	assert_string_equal(b.info.agency_id, "alpha-agency");
	assert_string_equal(b.info.name, "Agency alpha (synthetic)");
	assert_string_equal(b.info.country, "FR");
	assert_string_equal(b.info.time_zone, "Europe/Paris");
	assert_string_equal(b.info.endpoint, "alpha.example:7443");
	assert_memory_equal(b.info.rik, alpha.rik_pk, 32);
	assert_int_equal(b.info.tls_spki_sha256[31], 0x7c);
	assert_int_equal(b.info.issued_at, FIXTURE_NOW);
	assert_memory_equal(b.keys.rik, alpha.rik_pk, 32);
	assert_int_equal(b.keys.ncerts, 1);
	assert_true(stmt_cert_equal(&b.keys.certs[0], &alpha.id.cert));
	assert_int_equal(b.keys.nprekeys, 1);
	assert_int_equal(b.keys.nrevocations, 0);
	assert_int_equal(b.ntransitions, 0);
	assert_false(b.keys.suspended);
	/* What a sender needs from it: a prekey to seal to. */
	assert_int_equal(peerkeys_choose_prekey(&b.keys, FIXTURE_NOW, &spk), ENV1_OK);
	assert_int_equal(spk->spk_id, 1);
	bundle_free(&b);
	bundle_free(NULL);
	free(buf);
}

static void
test_empty_endpoint_and_ipv6(void **state)
{
	static const char *endpoints[] = { "", "[2001:db8::7]:65535", "10.0.0.7:1" };
	struct spec s;
	struct bundle b;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		spec_init(&s, &alpha);
		snprintf(s.info.endpoint, sizeof(s.info.endpoint), "%s", endpoints[i]);
		snprintf(s.info.time_zone, sizeof(s.info.time_zone), "Etc/GMT+5");
		spec_parse(&s, &b);
		assert_string_equal(b.info.endpoint, endpoints[i]);
		assert_string_equal(b.info.time_zone, "Etc/GMT+5");
		bundle_free(&b);
	}
}

/* One AgencyInfo string field set to a bad value. */
struct info_case {
	int             field;          /* 0 id, 1 name, 2 country, 3 zone, 4 endpoint */
	const char     *value;
	const char     *why;
};

static void
test_agency_info_fields(void **state)
{
	static const struct info_case cases[] = {
		{ 0, "Alpha", "agency_info.agency_id: only a-z, 0-9 and '-' are allowed" },
		{ 0, "", "agency_info.agency_id: must be 1 to 63 characters" },
		{ 0, "alpha_agency", "agency_info.agency_id: only a-z, 0-9 and '-' are allowed" },
		{ 1, "", "agency_info.name: empty" },
		{ 1, "Agency\x01", "agency_info.name: contains a control character" },
		{ 1, "Agency\x7f", "agency_info.name: contains a control character" },
		{ 1, "Agency \xe2\x80\xae", "agency_info.name: contains a control character" },
		{ 1, "Agency \xc2\x85", "agency_info.name: contains a control character" },
		/* Invisible marks that make one name pass for another. */
		{ 1, "Agency \xe2\x80\x8f", "agency_info.name: contains a control character" },
		{ 1, "\xe2\x80\x8e" "Agency", "agency_info.name: contains a control character" },
		{ 1, "Agency \xd8\x9c", "agency_info.name: contains a control character" },
		{ 1, "\xef\xbb\xbf" "Agency", "agency_info.name: contains a control character" },
		{ 1, "Age\xe2\x80\x8bncy", "agency_info.name: contains a control character" },
		{ 1, "Agency\xe2\x81\xa0", "agency_info.name: contains a control character" },
		{ 1, "Agency \xc3\x28", "agency_info.name: not valid UTF-8" },
		{ 1, "Agency \xc0\xaf", "agency_info.name: not valid UTF-8" },
		{ 1, "Agency \xed\xa0\x80", "agency_info.name: not valid UTF-8" },
		{ 1, "Agency \xf4\x90\x80\x80", "agency_info.name: not valid UTF-8" },
		{ 1, "Agency \xe2\x82", "agency_info.name: not valid UTF-8" },
		{ 2, "fr", "agency_info.country: not two upper-case letters (ISO 3166-1 alpha-2)" },
		{ 2, "FRA", "agency_info.country: not two upper-case letters (ISO 3166-1 alpha-2)" },
		{ 3, "Europe/../etc", "agency_info.time_zone: not an IANA zone name" },
		{ 3, "/etc/passwd", "agency_info.time_zone: not an IANA zone name" },
		{ 3, "Europe Paris", "agency_info.time_zone: not an IANA zone name" },
		{ 3, "Europe//Paris", "agency_info.time_zone: not an IANA zone name" },
		{ 3, "Europe/", "agency_info.time_zone: not an IANA zone name" },
		{ 3, "", "agency_info.time_zone: not an IANA zone name (1 to 63 characters)" },
		{ 4, "alpha.example", "agency_info.endpoint: not host:port" },
		{ 4, ":7443", "agency_info.endpoint: not host:port (empty host)" },
		{ 4, "alpha.example:0", "agency_info.endpoint: port must be 1 to 65535" },
		{ 4, "alpha.example:65536", "agency_info.endpoint: port must be 1 to 65535" },
		{ 4, "alpha.example:07443", "agency_info.endpoint: port must be 1 to 65535" },
		{ 4, "alpha.example:74x3", "agency_info.endpoint: port must be 1 to 65535" },
		{ 4, "alpha example:7443", "agency_info.endpoint: not host:port (bad host name)" },
		{ 4, "[2001:db8::7:7443", "agency_info.endpoint: not host:port (unbalanced '[')" },
		{ 4, "[2001:zz8::7]:7443", "agency_info.endpoint: not host:port (bad IPv6 address)" },
		{ 5, "+223 20\n00 00 00", "agency_info.duty_contact: contains a control character" },
		{ 5, "+223 20 00 00 00\x7f", "agency_info.duty_contact: contains a control character" },
		{ 5, "call \xe2\x80\xae" "00 00", "agency_info.duty_contact: contains a control character" },
		{ 5, "+223 \xc3\x28", "agency_info.duty_contact: not valid UTF-8" },
		{ 5, "   ", "agency_info.duty_contact: starts or ends with a space" },
		{ 5, "+223 20 00 00 00 ", "agency_info.duty_contact: starts or ends with a space" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		Homeward__Keys__AgencyInfo pi;
		struct spec s;
		uint8_t *info = (uint8_t *)&s, sig[64];
		size_t infolen = 9;
		char *f[6];

		spec_init(&s, &alpha);
		f[0] = s.info.agency_id;
		f[1] = s.info.name;
		f[2] = s.info.country;
		f[3] = s.info.time_zone;
		f[4] = s.info.endpoint;
		f[5] = s.info.duty_contact;
		strcpy(f[cases[i].field], cases[i].value);
		/* We never sign what we would refuse... */
		assert_int_equal(bundle_sign_agency(&s.info, alpha.rik_sk, &info, &infolen,
		    sig), ENV1_R_INVALID_ARG);
		assert_null(info);
		assert_int_equal(infolen, 0);
		/* ...and refuse it, naming the field, when another signer does. */
		spec_pb_info(&s, &pi);
		spec_sign_pb(&s, &pi);
		spec_expect(&s, ENV1_R_MALFORMED, cases[i].why);
	}
}

static void
test_agency_info_binary_fields(void **state)
{
	Homeward__Keys__AgencyInfo pi;
	struct spec s;
	uint8_t raw[512];
	size_t n;

	(void)state;
	for (int k = 0; k < 4; k++) {
		static const char *whys[] = {
			"agency_info.rik: not the bundle's rik",
			"agency_info.rik: 31 bytes, expected 32",
			"agency_info.tls_spki_sha256: 31 bytes, expected 32",
			"agency_info.issued_at: missing",
		};

		spec_init(&s, &alpha);
		spec_pb_info(&s, &pi);
		if (k == 0)
			pi.rik.data = beta.rik_pk;
		else if (k == 1)
			pi.rik.len = 31;
		else if (k == 2)
			pi.tls_spki_sha256.len = 31;
		else
			pi.issued_at = 0;
		spec_sign_pb(&s, &pi);
		spec_expect(&s, ENV1_R_MALFORMED, whys[k]);
	}

	/* A name with an embedded NUL, which a C string would silently cut
	 * to "Agency". */
	spec_init(&s, &alpha);
	spec_pb_info(&s, &pi);
	pi.name = "";           /* proto3: not encoded; appended raw below */
	n = homeward__keys__agency_info__pack(&pi, raw);
	memcpy(raw + n, "\x12\x0b" "Agency\0beta", 13);
	spec_sign_raw(&s, raw, n + 13);
	spec_expect(&s, ENV1_R_MALFORMED, "agency_info.name: contains a control character");

	/* A second name (protobuf would keep the last; another reader might
	 * show the first): refused, whatever the values. */
	spec_init(&s, &alpha);
	spec_pb_info(&s, &pi);
	n = homeward__keys__agency_info__pack(&pi, raw);
	memcpy(raw + n, "\x12\x04" "Beta", 6);
	spec_sign_raw(&s, raw, n + 6);
	spec_expect(&s, ENV1_R_MALFORMED, "agency_info: field 2 occurs more than once");

	/* Not an AgencyInfo at all. */
	spec_init(&s, &alpha);
	spec_sign_raw(&s, (const uint8_t *)"\xff\xff\xff", 3);
	spec_expect(&s, ENV1_R_MALFORMED, "agency_info: not a valid AgencyInfo");
}

/* A singular Bundle field twice is refused; ZWNJ, which Persian and Indic
 * spellings need, is not an invisible mark we refuse. */
static void
test_singular_once(void **state)
{
	struct spec s;
	struct bundle b;
	uint8_t *buf, *twice;
	size_t len;

	(void)state;
	spec_init(&s, &alpha);
	spec_build(&s, &buf, &len);
	assert_non_null(twice = malloc(len + 2));
	memcpy(twice, buf, len);
	memcpy(twice + len, "\x08\x01", 2);  /* version = 1, again */
	expect_refused(twice, len + 2, ENV1_R_MALFORMED,
	    "bundle: field 1 occurs more than once");
	free(twice);
	free(buf);

	spec_init(&s, &alpha);
	strcpy(s.info.name, "Agency \xe2\x80\x8c" "one");
	spec_parse(&s, &b);
	assert_string_equal(b.info.name, "Agency \xe2\x80\x8c" "one");
	bundle_free(&b);
}

/* The duty contact (AgencyInfo field 9): optional, checked, signed. */
static void
test_duty_contact(void **state)
{
	static const char phone[] = "+223 20 00 00 00 (duty officer)";
	Homeward__Keys__AgencyInfo pi;
	struct spec s;
	struct bundle b;
	uint8_t raw[512], *info, sig[64], *at;
	size_t n, infolen;
	char c64[65], c65[66];

	(void)state;
	/* Without it: the encoding is the one from before the field existed,
	 * so old bundles and their signatures stay valid. */
	spec_init(&s, &alpha);
	spec_pb_info(&s, &pi);
	pi.duty_contact = (char *)"";
	n = homeward__keys__agency_info__pack(&pi, raw);
	assert_int_equal(bundle_sign_agency(&s.info, alpha.rik_sk, &info, &infolen,
	    sig), ENV1_OK);
	assert_int_equal(infolen, n);
	assert_memory_equal(info, raw, n);
	free(info);
	spec_parse(&s, &b);
	assert_string_equal(b.info.duty_contact, "");
	bundle_free(&b);

	/* With it, and 64 bytes is the most. */
	spec_init(&s, &alpha);
	strcpy(s.info.duty_contact, phone);
	spec_parse(&s, &b);
	assert_string_equal(b.info.duty_contact, phone);
	bundle_free(&b);
	memset(c64, '7', 64);
	c64[64] = '\0';
	spec_init(&s, &alpha);
	strcpy(s.info.duty_contact, c64);
	spec_parse(&s, &b);
	assert_string_equal(b.info.duty_contact, c64);
	bundle_free(&b);

	/* 65 bytes: never signed by us, refused from another signer. */
	spec_init(&s, &alpha);
	memset(s.info.duty_contact, '7', sizeof(s.info.duty_contact));
	info = NULL;
	assert_int_equal(bundle_sign_agency(&s.info, alpha.rik_sk, &info, &infolen,
	    sig), ENV1_R_INVALID_ARG);
	assert_null(info);
	spec_init(&s, &alpha);
	spec_pb_info(&s, &pi);
	memset(c65, '7', 65);
	c65[65] = '\0';
	pi.duty_contact = c65;
	spec_sign_pb(&s, &pi);
	spec_expect(&s, ENV1_R_MALFORMED, "agency_info.duty_contact: longer than 64 bytes");

	/* An embedded NUL, which a C string would cut to "+223". */
	spec_init(&s, &alpha);
	spec_pb_info(&s, &pi);
	n = homeward__keys__agency_info__pack(&pi, raw);
	memcpy(raw + n, "\x4a\x09" "+223\0" "7777", 11);
	spec_sign_raw(&s, raw, n + 11);
	spec_expect(&s, ENV1_R_MALFORMED,
	    "agency_info.duty_contact: contains a control character");

	/* The agency signature covers it: a changed contact, or one taken
	 * away, does not verify. */
	for (int k = 0; k < 2; k++) {
		spec_init(&s, &alpha);
		strcpy(s.info.duty_contact, phone);
		assert_int_equal(bundle_sign_agency(&s.info, alpha.rik_sk, &s.info_raw,
		    &s.info_len, s.sig), ENV1_OK);
		if (k == 0) {
			at = memmem(s.info_raw, s.info_len, "+223", 4);
			assert_non_null(at);
			at[1] = '9';
		} else {
			spec_pb_info(&s, &pi);
			pi.duty_contact = (char *)"";
			s.info_len = homeward__keys__agency_info__pack(&pi, s.info_raw);
		}
		spec_expect(&s, ENV1_R_STMT_SIGNATURE,
		    "agency_sig: signature does not verify under rik");
	}
}

static void
test_agency_sig(void **state)
{
	struct spec s;
	struct bundle_parts p;
	uint8_t *buf;
	size_t len;

	(void)state;
	spec_init(&s, &alpha);
	assert_int_equal(bundle_sign_agency(&s.info, alpha.rik_sk, &s.info_raw,
	    &s.info_len, s.sig), ENV1_OK);
	s.sig[10] ^= 0x04;
	spec_expect(&s, ENV1_R_STMT_SIGNATURE,
	    "agency_sig: signature does not verify under rik");

	/* Signed by another agency's RIK. */
	spec_init(&s, &alpha);
	s.a = &beta;
	spec_sign_raw(&s, (const uint8_t *)"", 0);
	s.a = &alpha;
	spec_expect(&s, ENV1_R_STMT_SIGNATURE,
	    "agency_sig: signature does not verify under rik");

	/* No signature at all. */
	memset(&p, 0, sizeof(p));
	assert_int_equal(bundle_build(alpha.rik_pk, &p, &buf, &len), ENV1_OK);
	expect_refused(buf, len, ENV1_R_MALFORMED, "agency_sig: 0 bytes, expected 64");
	free(buf);

	/* The signing key must be the RIK the info names. */
	spec_init(&s, &alpha);
	assert_int_equal(bundle_sign_agency(&s.info, beta.rik_sk, &s.info_raw,
	    &s.info_len, s.sig), ENV1_R_INVALID_ARG);
	assert_null(s.info_raw);
}

enum outer_edit { E_VERSION, E_RIK_LEN, E_CERT_LEN, E_MANY_PREKEYS, E_SUITE2_PREKEY };

/* Unpack a bundle, edit its outer fields, pack it again. */
static void
repack(const uint8_t *buf, size_t len, enum outer_edit e, uint8_t **out,
    size_t *outlen)
{
	static ProtobufCBinaryData many[BUNDLE_MAX_STMTS + 1];
	static uint8_t spk2[STMT_SPK_LEN];
	Homeward__Keys__Bundle *b = homeward__keys__bundle__unpack(NULL, len, buf);
	Homeward__Keys__Bundle copy;

	assert_non_null(b);
	copy = *b;
	if (e == E_VERSION) {
		copy.version = 2;
	} else if (e == E_RIK_LEN) {
		copy.rik.len = 31;
	} else if (e == E_CERT_LEN) {
		copy.dsk_certs[0].len--;
	} else {
		/* Many copies of the prekey, or the prekey then a suite-2
		 * statement, as a newer peer would publish. */
		for (size_t i = 0; i < BUNDLE_MAX_STMTS + 1; i++)
			many[i] = b->prekeys[0];
		stmt_spk_encode(&alpha.prekey.stmt, spk2);
		spk2[17] = ENV1_SUITE_XWING;
		many[1].data = spk2;
		copy.prekeys = many;
		copy.n_prekeys = e == E_MANY_PREKEYS ? BUNDLE_MAX_STMTS + 1 : 2;
	}
	*outlen = homeward__keys__bundle__get_packed_size(&copy);
	*out = malloc(*outlen);
	assert_non_null(*out);
	homeward__keys__bundle__pack(&copy, *out);
	homeward__keys__bundle__free_unpacked(b, NULL);
}

static void
test_outer_fields(void **state)
{
	struct spec s;
	uint8_t *buf, *bad;
	size_t len, badlen;
	char want[BUNDLE_WHY_LEN];

	(void)state;
	spec_init(&s, &alpha);
	spec_build(&s, &buf, &len);

	repack(buf, len, E_VERSION, &bad, &badlen);
	expect_refused(bad, badlen, ENV1_R_VERSION, "version: 2, expected 1");
	free(bad);
	repack(buf, len, E_RIK_LEN, &bad, &badlen);
	expect_refused(bad, badlen, ENV1_R_MALFORMED, "rik: 31 bytes, expected 32");
	free(bad);
	repack(buf, len, E_CERT_LEN, &bad, &badlen);
	expect_refused(bad, badlen, ENV1_R_MALFORMED,
	    "dsk_certs[0]: not a 171-byte DSK certificate");
	free(bad);
	repack(buf, len, E_MANY_PREKEYS, &bad, &badlen);
	expect_refused(bad, badlen, ENV1_R_MALFORMED, "prekeys: 65 entries, at most 64");
	free(bad);

	/* Not a protobuf; and the size cap, checked before parsing. */
	expect_refused((const uint8_t *)"\x0a\xff", 2, ENV1_R_MALFORMED,
	    "bundle: not a valid Bundle protobuf");
	bad = calloc(1, BUNDLE_MAX_LEN + 1);
	assert_non_null(bad);
	snprintf(want, sizeof(want), "bundle: %d bytes, over the %d-byte cap",
	    BUNDLE_MAX_LEN + 1, BUNDLE_MAX_LEN);
	expect_refused(bad, BUNDLE_MAX_LEN + 1, ENV1_R_MALFORMED, want);
	free(bad);

	/* Every prefix is either refused with a reason or a smaller bundle. */
	for (size_t k = 0; k < len; k++) {
		struct bundle b;
		char why[BUNDLE_WHY_LEN];
		int r = bundle_parse(buf, k, &b, why);

		if (r == ENV1_OK)
			assert_true(b.keys.ncerts + b.keys.nprekeys < 2);
		else
			assert_true(why[0] != '\0');
		bundle_free(&b);
	}
	free(buf);
}

/* The transition alpha -> alpha2, signed by both. */
static void
make_transition(struct stmt_transition *t)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->old_rik, alpha.rik_pk, 32);
	memcpy(t->new_rik, alpha2.rik_pk, 32);
	t->effective_at = FIXTURE_NOW;
	assert_int_equal(stmt_transition_sign(t, alpha.rik_sk, alpha2.rik_sk), ENV1_OK);
}

static void
test_certificates_and_transitions(void **state)
{
	struct spec s;
	uint8_t pk2[32], sk2[64];
	char want[BUNDLE_WHY_LEN], id[FP_KEYID_BUFLEN];

	(void)state;
	/* A certificate issued by another agency's RIK. */
	spec_init(&s, &alpha);
	s.certs[s.ncerts++] = beta.id.cert;
	fp_key_id(beta.rik_pk, id);
	snprintf(want, sizeof(want), "dsk_certs[1]: issued by another RIK (%s)", id);
	spec_expect(&s, ENV1_R_STMT_ISSUER, want);

	/* A certificate claiming alpha as issuer but signed by beta. */
	spec_init(&s, &alpha);
	second_dsk(&alpha, STMT_USAGE_MSG, pk2, sk2, &s.certs[1]);
	assert_int_equal(stmt_cert_sign(&s.certs[1], beta.rik_sk), ENV1_OK);
	s.ncerts = 2;
	spec_expect(&s, ENV1_R_STMT_SIGNATURE, "dsk_certs[1]: signature does not verify");

	/* Validity backwards. */
	spec_init(&s, &alpha);
	s.certs[0].not_after = s.certs[0].not_before - 1;
	assert_int_equal(stmt_cert_sign(&s.certs[0], alpha.rik_sk), ENV1_OK);
	spec_expect(&s, ENV1_R_MALFORMED, "dsk_certs[0]: not_after is before not_before");

	/* RIK transitions: both signatures, and new_rik == the bundle's. */
	spec_init(&s, &alpha2);
	make_transition(&s.trans[0]);
	s.ntrans = 1;
	s.trans[0].sig_old[5] ^= 1;
	fp_key_id(alpha.rik_pk, id);
	snprintf(want, sizeof(want),
	    "transitions[0]: signature by the old RIK %s does not verify", id);
	spec_expect(&s, ENV1_R_STMT_SIGNATURE, want);

	make_transition(&s.trans[0]);
	s.trans[0].sig_new[5] ^= 1;
	spec_expect(&s, ENV1_R_STMT_SIGNATURE,
	    "transitions[0]: signature by the new RIK does not verify");

	/* A valid transition to another RIK than this bundle's. */
	spec_init(&s, &beta);
	make_transition(&s.trans[0]);
	s.ntrans = 1;
	spec_expect(&s, ENV1_R_RIK_TRANSITION,
	    "transitions[0]: new_rik is not this bundle's rik");
}

static void
test_prekeys(void **state)
{
	struct spec s;
	struct bundle b;
	uint8_t pk2[32], sk2[64], *buf, *out;
	size_t len, outlen;
	char want[BUNDLE_WHY_LEN], id[FP_KEYID_BUFLEN];

	(void)state;
	/* Owned by another agency although signed by alpha's DSK. */
	spec_init(&s, &alpha);
	memcpy(s.prekeys[0].owner_rik, beta.rik_pk, 32);
	assert_int_equal(stmt_spk_sign(&s.prekeys[0], alpha.id.dsk_sk), ENV1_OK);
	spec_expect(&s, ENV1_R_PREKEY_OWNER,
	    "prekeys[0]: prekey belongs to another agency");

	/* Signature broken. */
	spec_init(&s, &alpha);
	s.prekeys[0].sig[0] ^= 1;
	fp_key_id(alpha.id.dsk_pub, id);
	snprintf(want, sizeof(want), "prekeys[0]: signature does not verify under DSK %s", id);
	spec_expect(&s, ENV1_R_STMT_SIGNATURE, want);

	/* Signed by a DSK certified for MSG only. */
	spec_init(&s, &alpha);
	second_dsk(&alpha, STMT_USAGE_MSG, pk2, sk2, &s.certs[1]);
	s.ncerts = 2;
	memcpy(s.prekeys[0].signer_dsk, pk2, 32);
	assert_int_equal(stmt_spk_sign(&s.prekeys[0], sk2), ENV1_OK);
	fp_key_id(pk2, id);
	snprintf(want, sizeof(want), "prekeys[0]: signer DSK %s has no certificate with "
	    "PREKEY usage in this bundle", id);
	spec_expect(&s, ENV1_R_PREKEY_USAGE, want);

	/* Signed by a DSK with no certificate at all. */
	spec_init(&s, &alpha);
	s.ncerts = 1;
	memcpy(s.prekeys[0].signer_dsk, pk2, 32);
	assert_int_equal(stmt_spk_sign(&s.prekeys[0], sk2), ENV1_OK);
	spec_expect(&s, ENV1_R_PREKEY_USAGE, want);

	/* Low-order X25519 key. */
	spec_init(&s, &alpha);
	memset(s.prekeys[0].spk_pub, 0, 32);
	assert_int_equal(stmt_spk_sign(&s.prekeys[0], alpha.id.dsk_sk), ENV1_OK);
	spec_expect(&s, ENV1_R_PREKEY_POINT, "prekeys[0]: spk_pub is a low-order point");

	/* Times out of order. */
	spec_init(&s, &alpha);
	s.prekeys[0].retain_until = s.prekeys[0].not_after - 1;
	assert_int_equal(stmt_spk_sign(&s.prekeys[0], alpha.id.dsk_sk), ENV1_OK);
	spec_expect(&s, ENV1_R_MALFORMED, "prekeys[0]: times out of order "
	    "(not_before <= not_after <= retain_until)");

	/* An expired prekey is kept: the seal path skips it. */
	spec_init(&s, &alpha);
	s.prekeys[0].not_before = FIXTURE_NOW - 20 * FIXTURE_DAY;
	s.prekeys[0].not_after = FIXTURE_NOW - 12 * FIXTURE_DAY;
	assert_int_equal(stmt_spk_sign(&s.prekeys[0], alpha.id.dsk_sk), ENV1_OK);
	spec_parse(&s, &b);
	assert_int_equal(b.keys.nprekeys, 1);
	bundle_free(&b);

	/* A suite-2 statement, as a newer peer would publish: skipped. */
	spec_init(&s, &alpha);
	spec_build(&s, &buf, &len);
	repack(buf, len, E_SUITE2_PREKEY, &out, &outlen);
	assert_int_equal(bundle_parse(out, outlen, &b, NULL), ENV1_OK);
	assert_int_equal(b.keys.nprekeys, 1);
	assert_int_equal(b.keys.prekeys[0].suite, ENV1_SUITE_X25519);
	bundle_free(&b);
	free(out);
	free(buf);
}

static void
test_revocations(void **state)
{
	struct spec s;
	struct bundle b;
	char want[BUNDLE_WHY_LEN], id[FP_KEYID_BUFLEN];
	const struct stmt_spk *spk;
	struct stmt_revocation *rv;

	(void)state;
	/* Alpha revokes its DSK: accepted, and its prekey is no longer used. */
	spec_init(&s, &alpha);
	rv = &s.revs[s.nrevs++];
	revoke(rv, &alpha, alpha.id.dsk_pub, STMT_REVOKE_DSK);
	spec_parse(&s, &b);
	assert_int_equal(b.keys.nrevocations, 1);
	assert_int_equal(b.keys.nprekeys, 1);
	assert_int_equal(peerkeys_choose_prekey(&b.keys, FIXTURE_NOW, &spk),
	    ENV1_R_NO_PREKEY);
	assert_false(b.keys.suspended);
	bundle_free(&b);

	/* Bad signature. */
	rv->sig[63] ^= 0x10;
	spec_expect(&s, ENV1_R_STMT_SIGNATURE, "revocations[0]: signature does not verify");

	/* Issued by another agency. */
	revoke(rv, &beta, alpha.id.dsk_pub, STMT_REVOKE_DSK);
	fp_key_id(beta.rik_pk, id);
	snprintf(want, sizeof(want), "revocations[0]: issued by another RIK (%s)", id);
	spec_expect(&s, ENV1_R_STMT_ISSUER, want);

	/* A RIK revoking itself suspends the agency. */
	revoke(rv, &alpha, alpha.rik_pk, STMT_REVOKE_RIK);
	spec_parse(&s, &b);
	assert_true(b.keys.suspended);
	bundle_free(&b);
}

static void
test_check_identity(void **state)
{
	struct spec s;
	struct bundle b;
	struct peerkeys pinned;
	struct stmt_revocation rv;
	struct stmt_transition t;
	int rotated = -1;

	(void)state;
	fixture_peerkeys(&alpha, &pinned);

	/* Same RIK. */
	spec_init(&s, &alpha);
	spec_parse(&s, &b);
	assert_int_equal(bundle_check_identity(&b, alpha.rik_pk, &pinned, &rotated), ENV1_OK);
	assert_int_equal(rotated, 0);
	/* Another agency's bundle presented as alpha's. */
	assert_int_equal(bundle_check_identity(&b, beta.rik_pk, NULL, &rotated),
	    ENV1_R_RIK_TRANSITION);
	assert_int_equal(rotated, 0);
	bundle_free(&b);

	/* New RIK without a transition. */
	spec_init(&s, &alpha2);
	spec_parse(&s, &b);
	assert_int_equal(bundle_check_identity(&b, alpha.rik_pk, &pinned, &rotated),
	    ENV1_R_RIK_TRANSITION);
	assert_int_equal(rotated, 0);
	bundle_free(&b);

	/* New RIK with a dual-signed transition from the pinned one. */
	spec_init(&s, &alpha2);
	make_transition(&s.trans[0]);
	s.ntrans = 1;
	spec_parse(&s, &b);
	assert_int_equal(b.ntransitions, 1);
	assert_int_equal(bundle_check_identity(&b, alpha.rik_pk, &pinned, &rotated), ENV1_OK);
	assert_int_equal(rotated, 1);
	/* The transition does not come from beta, so beta cannot be replaced. */
	assert_int_equal(bundle_check_identity(&b, beta.rik_pk, NULL, &rotated),
	    ENV1_R_RIK_TRANSITION);
	assert_int_equal(rotated, 0);
	/* A hand-made record with a forged transition is not trusted. */
	t = b.transitions[0];
	b.transitions[0].sig_new[0] ^= 1;
	assert_int_equal(bundle_check_identity(&b, alpha.rik_pk, &pinned, &rotated),
	    ENV1_R_RIK_TRANSITION);
	b.transitions[0] = t;

	/* The old RIK revoked itself: the transition is worthless. */
	revoke(&rv, &alpha, alpha.rik_pk, STMT_REVOKE_RIK);
	assert_int_equal(peerkeys_add_revocation(&pinned, &rv), ENV1_OK);
	assert_int_equal(bundle_check_identity(&b, alpha.rik_pk, &pinned, &rotated),
	    ENV1_R_RIK_TRANSITION);
	assert_int_equal(rotated, 0);
	bundle_free(&b);
	peerkeys_clear(&pinned);
}

/* The transition a Hello carries (bundle_check_transition). */
static void
test_hello_transition(void **state)
{
	struct peerkeys pinned;
	struct stmt_revocation rv;
	struct stmt_transition t;
	uint8_t enc[STMT_TRANSITION_LEN];

	(void)state;
	fixture_peerkeys(&alpha, &pinned);
	make_transition(&t);
	stmt_transition_encode(&t, enc);
	assert_int_equal(bundle_check_transition(enc, sizeof(enc), alpha.rik_pk,
	    &pinned, alpha2.rik_pk), ENV1_OK);
	assert_int_equal(bundle_check_transition(enc, sizeof(enc), alpha.rik_pk,
	    NULL, alpha2.rik_pk), ENV1_OK);
	/* Not exactly one transition. */
	assert_int_equal(bundle_check_transition(NULL, 0, alpha.rik_pk, &pinned,
	    alpha2.rik_pk), ENV1_R_MALFORMED);
	assert_int_equal(bundle_check_transition(enc, sizeof(enc) - 1, alpha.rik_pk,
	    &pinned, alpha2.rik_pk), ENV1_R_MALFORMED);
	enc[0] ^= 1;
	assert_int_equal(bundle_check_transition(enc, sizeof(enc), alpha.rik_pk,
	    &pinned, alpha2.rik_pk), ENV1_R_MALFORMED);
	enc[0] ^= 1;
	/* From another pinned RIK, or to another RIK than the Hello's. */
	assert_int_equal(bundle_check_transition(enc, sizeof(enc), beta.rik_pk,
	    NULL, alpha2.rik_pk), ENV1_R_RIK_TRANSITION);
	assert_int_equal(bundle_check_transition(enc, sizeof(enc), alpha.rik_pk,
	    &pinned, beta.rik_pk), ENV1_R_RIK_TRANSITION);
	/* Either signature bad; signed only by the new key (a forgery). */
	enc[100] ^= 1;
	assert_int_equal(bundle_check_transition(enc, sizeof(enc), alpha.rik_pk,
	    &pinned, alpha2.rik_pk), ENV1_R_STMT_SIGNATURE);
	enc[100] ^= 1;
	enc[200] ^= 1;
	assert_int_equal(bundle_check_transition(enc, sizeof(enc), alpha.rik_pk,
	    &pinned, alpha2.rik_pk), ENV1_R_STMT_SIGNATURE);
	enc[200] ^= 1;
	t.effective_at++;
	assert_int_equal(stmt_transition_sign(&t, alpha2.rik_sk, alpha2.rik_sk), ENV1_OK);
	stmt_transition_encode(&t, enc);
	assert_int_equal(bundle_check_transition(enc, sizeof(enc), alpha.rik_pk,
	    &pinned, alpha2.rik_pk), ENV1_R_STMT_SIGNATURE);
	/* old == new is no transition. */
	memcpy(t.new_rik, alpha.rik_pk, 32);
	assert_int_equal(stmt_transition_sign(&t, alpha.rik_sk, alpha.rik_sk), ENV1_OK);
	stmt_transition_encode(&t, enc);
	assert_int_equal(bundle_check_transition(enc, sizeof(enc), alpha.rik_pk,
	    &pinned, alpha.rik_pk), ENV1_R_RIK_TRANSITION);
	/* The pinned RIK revoked itself: the kill switch hands nothing on. */
	make_transition(&t);
	stmt_transition_encode(&t, enc);
	revoke(&rv, &alpha, alpha.rik_pk, STMT_REVOKE_RIK);
	assert_int_equal(peerkeys_add_revocation(&pinned, &rv), ENV1_OK);
	assert_int_equal(bundle_check_transition(enc, sizeof(enc), alpha.rik_pk,
	    &pinned, alpha2.rik_pk), ENV1_R_RIK_TRANSITION);
	peerkeys_clear(&pinned);
}

static void
test_build_caps(void **state)
{
	struct spec s;
	struct bundle b;
	struct bundle_parts p;
	uint8_t *buf = (uint8_t *)&s;
	size_t len = 5;

	(void)state;
	spec_init(&s, &alpha);
	for (size_t i = 0; i < BUNDLE_MAX_STMTS + 1; i++)
		s.certs[i] = alpha.id.cert;
	memset(&p, 0, sizeof(p));
	p.certs = s.certs;
	p.ncerts = BUNDLE_MAX_STMTS + 1;
	assert_int_equal(bundle_build(alpha.rik_pk, &p, &buf, &len), ENV1_R_INVALID_ARG);
	assert_null(buf);
	assert_int_equal(len, 0);
	/* At the cap: built, and parsed (duplicates collapse to one). */
	s.ncerts = BUNDLE_MAX_STMTS;
	spec_parse(&s, &b);
	assert_int_equal(b.keys.ncerts, 1);
	bundle_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_empty_endpoint_and_ipv6),
		cmocka_unit_test(test_agency_info_fields),
		cmocka_unit_test(test_agency_info_binary_fields),
		cmocka_unit_test(test_singular_once),
		cmocka_unit_test(test_duty_contact),
		cmocka_unit_test(test_agency_sig),
		cmocka_unit_test(test_outer_fields),
		cmocka_unit_test(test_certificates_and_transitions),
		cmocka_unit_test(test_prekeys),
		cmocka_unit_test(test_revocations),
		cmocka_unit_test(test_check_identity),
		cmocka_unit_test(test_hello_transition),
		cmocka_unit_test(test_build_caps),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
