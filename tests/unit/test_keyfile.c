/*
 * Unit tests: ENV1 key files (keys/keyfile.c), the key-file part of
 * negative test 25 (crypto-env1.md 5): wrong passphrase, parameters edited
 * below the minimums, kc mismatch, every AD byte modified; plus ciphertext
 * flips, truncation, the TLV payload, permissions and round trips.
 *
 * Argon2id at the minimums costs about a second (daemon) and several
 * seconds and 1 GiB (RIK), so real KDF runs are few: one daemon file is
 * sealed and its wrap key derived once for the whole group, and every
 * check whose KDF inputs are unchanged uses keyfile_open_key with that key,
 * which is exactly what keyfile_open does after Argon2id.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/bytes.h"
#include "common/fileio.h"
#include "keys/keyfile.h"
#include "keys/secret.h"
#include "tests/lib/fixture.h"

#define PASS            "correct horse alpha"
#define TLS_REF         "/etc/homeward/tls.key"

struct kf {
	struct fixture_agency   alpha;
	struct fixture_agency   beta;
	struct keyfile_contents in;             /* what was sealed */
	uint8_t                *file;           /* the sealed daemon file */
	size_t                  len;
	uint8_t                *wrap_key;       /* its Argon2id key, secret */
	char                    dir[64];
};

static void
contents_daemon(struct keyfile_contents *c, const struct fixture_agency *a)
{
	memset(c, 0, sizeof(*c));
	c->kind = KEYFILE_DAEMON;
	c->dsk_seed = secret_dup(a->dsk_seed, 32);
	c->ksk = secret_alloc(32);
	assert_non_null(c->dsk_seed);
	assert_non_null(c->ksk);
	fixture_bytes("alpha/ksk", c->ksk, 32);
	c->has_cert = 1;
	c->cert = a->id.cert;
	snprintf(c->tls_key_ref, sizeof(c->tls_key_ref), "%s", TLS_REF);
}

static int
setup(void **state)
{
	static struct kf s;
	struct keyfile_params p;
	struct keyfile_header h;
	uint8_t salt[KEYFILE_SALT_LEN], nonce[ENV1_NONCE_LEN];

	fixture_agency_make(&s.alpha, "alpha", FIXTURE_NOW);
	fixture_agency_make(&s.beta, "beta", FIXTURE_NOW);
	contents_daemon(&s.in, &s.alpha);
	fixture_bytes("alpha/keyfile/salt", salt, sizeof(salt));
	fixture_bytes("alpha/keyfile/nonce", nonce, sizeof(nonce));
	keyfile_min_params(KEYFILE_DAEMON, &p);
	/* Real KDF runs 1 and 2. */
	if (keyfile_seal(&s.in, PASS, strlen(PASS), &p, salt, nonce, &s.file,
	    &s.len) != ENV1_OK)
		return -1;
	if ((s.wrap_key = secret_alloc(KEYFILE_KEY_LEN)) == NULL ||
	    keyfile_parse_header(s.file, s.len, KEYFILE_DAEMON, &h) != ENV1_OK ||
	    keyfile_derive(&h, PASS, strlen(PASS), s.wrap_key) != ENV1_OK)
		return -1;
	snprintf(s.dir, sizeof(s.dir), "/tmp/homeward-keyfile-XXXXXX");
	if (mkdtemp(s.dir) == NULL)
		return -1;
	*state = &s;
	return 0;
}

static int
rm_entry(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(p);
}

static int
teardown(void **state)
{
	struct kf *s = *state;

	keyfile_contents_free(&s->in);
	free(s->file);
	secret_free(s->wrap_key);
	fixture_agency_free(&s->alpha);
	fixture_agency_free(&s->beta);
	return nftw(s->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* No secret and no field survives a refusal. */
static void
assert_empty(const struct keyfile_contents *c)
{
	assert_int_equal(c->kind, 0);
	assert_null(c->rik_seed);
	assert_null(c->dsk_seed);
	assert_null(c->ksk);
	assert_int_equal(c->has_cert, 0);
	assert_int_equal(c->tls_key_ref[0], '\0');
}

static void
assert_same_daemon(const struct keyfile_contents *a, const struct keyfile_contents *b)
{
	assert_int_equal(a->kind, KEYFILE_DAEMON);
	assert_int_equal(b->kind, KEYFILE_DAEMON);
	assert_memory_equal(a->dsk_seed, b->dsk_seed, 32);
	assert_memory_equal(a->ksk, b->ksk, 32);
	assert_true(a->has_cert && b->has_cert);
	assert_true(stmt_cert_equal(&a->cert, &b->cert));
	assert_string_equal(a->tls_key_ref, b->tls_key_ref);
	assert_null(a->rik_seed);
	assert_null(b->rik_seed);
}

/* keyfile_open with the real KDF (key NULL), or keyfile_open_key after
 * it: the expected reason, and nothing at all on a refusal. */
static void
check(const uint8_t *key, const uint8_t *buf, size_t len, const char *pass,
    enum keyfile_kind kind, int want)
{
	struct keyfile_contents c;

	memset(&c, 0x5a, sizeof(c));
	if (key == NULL)
		assert_int_equal(keyfile_open(buf, len, pass, strlen(pass), kind, &c),
		    want);
	else
		assert_int_equal(keyfile_open_key(buf, len, key, kind, &c), want);
	if (want != ENV1_OK)
		assert_empty(&c);
	keyfile_contents_free(&c);
}

#define assert_open(b, l, p, k, w)      check(NULL, (b), (l), (p), (k), (w))
#define assert_open_key(s, b, l, w) \
	check((s)->wrap_key, (b), (l), NULL, KEYFILE_DAEMON, (w))

static uint8_t *
copy(const struct kf *s)
{
	uint8_t *b = malloc(s->len + 64);

	assert_non_null(b);
	memcpy(b, s->file, s->len);
	memset(b + s->len, 0, 64);
	return b;
}

static void
test_min_params(void **state)
{
	struct keyfile_params p;

	(void)state;
	keyfile_min_params(KEYFILE_DAEMON, &p);
	assert_int_equal(p.opslimit, crypto_pwhash_OPSLIMIT_MODERATE);
	assert_int_equal(p.memlimit, crypto_pwhash_MEMLIMIT_MODERATE);
	keyfile_min_params(KEYFILE_RIK, &p);
	assert_int_equal(p.opslimit, crypto_pwhash_OPSLIMIT_SENSITIVE);
	assert_int_equal(p.memlimit, 1073741824);
}

/* The bytes are the table of crypto-env1.md 3.6, and an independent
 * libsodium call opens them. */
static void
test_layout(void **state)
{
	struct kf *s = *state;
	uint8_t salt[16], nonce[24], kc[32], pt[512];
	struct keyfile_header h;
	struct keyfile_contents c;
	unsigned long long ptlen;

	fixture_bytes("alpha/keyfile/salt", salt, sizeof(salt));
	fixture_bytes("alpha/keyfile/nonce", nonce, sizeof(nonce));
	assert_memory_equal(s->file, "ENV1KEY\0", 8);
	assert_int_equal(s->file[8], 0x01);
	assert_int_equal(s->file[9], 0x01);
	assert_int_equal(be64_get(s->file + 10), 3);
	assert_int_equal(be64_get(s->file + 18), 268435456);
	assert_memory_equal(s->file + 26, salt, 16);
	assert_memory_equal(s->file + 42, nonce, 24);
	crypto_generichash(kc, 32, (const uint8_t *)"ENV1 keyfile kc\0", 16,
	    s->wrap_key, 32);
	assert_memory_equal(s->file + 66, kc, 32);
	assert_int_equal(be32_get(s->file + 98), s->len - 102);

	assert_int_equal(keyfile_parse_header(s->file, s->len, KEYFILE_DAEMON, &h),
	    ENV1_OK);
	assert_int_equal(h.opslimit, 3);
	assert_int_equal(h.memlimit, 268435456);
	assert_int_equal(h.ct_len, s->len - 102);
	assert_memory_equal(h.kc, kc, 32);

	assert_true(s->len - 102 - 16 <= sizeof(pt));
	assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &ptlen, NULL,
	    s->file + 102, s->len - 102, s->file, 102, nonce, s->wrap_key), 0);
	/* KIND record first: tag 1, length 1, daemon. */
	assert_memory_equal(pt, "\x01\x00\x01\x01", 4);
	assert_int_equal(keyfile_parse_payload(pt, ptlen, KEYFILE_DAEMON, &c), ENV1_OK);
	assert_same_daemon(&c, &s->in);
	keyfile_contents_free(&c);
	assert_empty(&c);
	sodium_memzero(pt, sizeof(pt));
}

/* KDF run 3. */
static void
test_daemon_roundtrip(void **state)
{
	struct kf *s = *state;
	struct keyfile_contents c;

	assert_int_equal(keyfile_open(s->file, s->len, PASS, strlen(PASS),
	    KEYFILE_DAEMON, &c), ENV1_OK);
	assert_same_daemon(&c, &s->in);
	keyfile_contents_free(&c);
}

/* Negative test 25, wrong passphrase: refused at kc.  KDF run 4. */
static void
test_wrong_passphrase(void **state)
{
	struct kf *s = *state;

	assert_open(s->file, s->len, "correct horse beta", KEYFILE_DAEMON,
	    ENV1_R_KEYFILE_PASSPHRASE);
}

/* Negative test 25, kc mismatch: refused before the AEAD.  KDF run 5. */
static void
test_kc_tampered(void **state)
{
	struct kf *s = *state;
	uint8_t *b = copy(s);

	b[66 + 31] ^= 0x01;
	assert_open(b, s->len, PASS, KEYFILE_DAEMON, ENV1_R_KEYFILE_PASSPHRASE);
	free(b);
}

/* Edited KDF inputs give another wrap key: refused at kc.  KDF runs 6, 7. */
static void
test_kdf_inputs_edited(void **state)
{
	struct kf *s = *state;
	uint8_t *b = copy(s);

	b[26] ^= 0x01;                                  /* salt */
	assert_open(b, s->len, PASS, KEYFILE_DAEMON, ENV1_R_KEYFILE_PASSPHRASE);
	b[26] ^= 0x01;
	be64_put(b + 18, 268435456 + (16u << 20));      /* memlimit raised */
	assert_open(b, s->len, PASS, KEYFILE_DAEMON, ENV1_R_KEYFILE_PASSPHRASE);
	free(b);
}

/*
 * Negative test 25, parameters edited below the minimums: KEYFILE_WEAK,
 * which keyfile_parse_header returns and keyfile_open checks before it
 * derives anything.  The maximums and the KiB rounding are format errors.
 */
static void
test_params_edited(void **state)
{
	struct kf *s = *state;
	static const struct {
		uint64_t ops, mem;
		int want;
	} cases[] = {
		{ 2, 268435456, ENV1_R_KEYFILE_WEAK },
		{ 1, 268435456, ENV1_R_KEYFILE_WEAK },
		{ 0, 268435456, ENV1_R_KEYFILE_WEAK },
		{ 3, 268435456 - 1024, ENV1_R_KEYFILE_WEAK },
		{ 3, 8192, ENV1_R_KEYFILE_WEAK },
		{ 3, 0, ENV1_R_KEYFILE_WEAK },
		{ 0, 0, ENV1_R_KEYFILE_WEAK },
		{ KEYFILE_OPS_MAX + 1, 268435456, ENV1_R_KEYFILE_FORMAT },
		{ UINT64_MAX, 268435456, ENV1_R_KEYFILE_FORMAT },
		{ 3, KEYFILE_MEM_MAX + 1024, ENV1_R_KEYFILE_FORMAT },
		{ 3, UINT64_MAX, ENV1_R_KEYFILE_FORMAT },
		{ 3, 268435456 + 1, ENV1_R_KEYFILE_FORMAT },
		{ 3, 268435456 + 512, ENV1_R_KEYFILE_FORMAT },
	};
	uint8_t *b = copy(s);
	struct keyfile_header h;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		be64_put(b + 10, cases[i].ops);
		be64_put(b + 18, cases[i].mem);
		memset(&h, 0x5a, sizeof(h));
		assert_int_equal(keyfile_parse_header(b, s->len, KEYFILE_DAEMON, &h),
		    cases[i].want);
		assert_int_equal(h.opslimit, 0);
		assert_int_equal(h.memlimit, 0);
		assert_open(b, s->len, PASS, KEYFILE_DAEMON, cases[i].want);
	}
	/* A daemon file is too weak to be a RIK file. */
	assert_open(s->file, s->len, PASS, KEYFILE_RIK, ENV1_R_KEYFILE_WEAK);
	be64_put(b + 10, 4);
	be64_put(b + 18, 1073741824 - 1024);
	assert_open(b, s->len, PASS, KEYFILE_RIK, ENV1_R_KEYFILE_WEAK);
	be64_put(b + 18, 1073741824);
	be64_put(b + 10, 3);
	assert_open(b, s->len, PASS, KEYFILE_RIK, ENV1_R_KEYFILE_WEAK);
	free(b);
}

/*
 * What the header rules say of an edited header, written out from the
 * table of crypto-env1.md 3.6 independently of keyfile.c.
 */
static int
header_rules(const uint8_t *b, size_t len)
{
	uint64_t ops = be64_get(b + 10), mem = be64_get(b + 18);

	if (memcmp(b, "ENV1KEY\0", 8) != 0 || b[8] != 1 || b[9] != 1)
		return ENV1_R_KEYFILE_FORMAT;
	if (ops > 64 || mem > (8ull << 30) || mem % 1024 != 0 ||
	    be32_get(b + 98) != len - 102)
		return ENV1_R_KEYFILE_FORMAT;
	if (ops < 3 || mem < 268435456)
		return ENV1_R_KEYFILE_WEAK;
	return ENV1_OK;
}

/*
 * Negative test 25, any AD byte modified: each of bytes 0..101, with three
 * different edits, is refused.  The reason follows the order of the checks:
 * format and minimums on the header (no KDF); then for an edited KDF input
 * (opslimit, memlimit, salt) a new wrap key fails kc (shown with real runs
 * in test_kdf_inputs_edited), and here, with the old key, the AEAD still
 * refuses it; an edited nonce fails the AEAD; an edited kc fails kc.
 */
static void
test_every_ad_byte(void **state)
{
	struct kf *s = *state;
	static const uint8_t flips[] = { 0x01, 0x80, 0xff };
	uint8_t *b = copy(s);
	struct keyfile_header h;
	int counts[ENV1_R__COUNT] = { 0 };

	for (size_t i = 0; i < KEYFILE_HDR_LEN; i++) {
		for (size_t f = 0; f < sizeof(flips); f++) {
			int rules, want = ENV1_OK;

			b[i] ^= flips[f];
			rules = header_rules(b, s->len);
			assert_int_equal(keyfile_parse_header(b, s->len, KEYFILE_DAEMON,
			    &h), rules);
			if (rules != ENV1_OK) {
				/* Refused on the header alone: no Argon2id. */
				assert_open(b, s->len, PASS, KEYFILE_DAEMON, rules);
				want = rules;
			} else {
				if (i < 26 + 16)
					want = ENV1_R_KEYFILE_AEAD;     /* ops/mem/salt */
				else if (i < 66)
					want = ENV1_R_KEYFILE_AEAD;     /* nonce */
				else if (i < 98)
					want = ENV1_R_KEYFILE_PASSPHRASE; /* kc */
				else
					fail_msg("ct_len edit %zu passed the header", i);
				assert_true(i >= 10);
				assert_open_key(s, b, s->len, want);
			}
			counts[want]++;
			b[i] ^= flips[f];
		}
	}
	/* Every region was reached. */
	assert_true(counts[ENV1_R_KEYFILE_FORMAT] > 0);
	assert_true(counts[ENV1_R_KEYFILE_WEAK] > 0);
	assert_true(counts[ENV1_R_KEYFILE_AEAD] >= 16 * 3 + 24 * 3);
	assert_int_equal(counts[ENV1_R_KEYFILE_PASSPHRASE], 32 * 3);
	assert_int_equal(counts[ENV1_R_KEYFILE_FORMAT] + counts[ENV1_R_KEYFILE_WEAK] +
	    counts[ENV1_R_KEYFILE_AEAD] + counts[ENV1_R_KEYFILE_PASSPHRASE],
	    KEYFILE_HDR_LEN * 3);
	/* Unedited, the same path accepts it. */
	assert_open_key(s, b, s->len, ENV1_OK);
	free(b);
}

static void
test_ciphertext_flips(void **state)
{
	struct kf *s = *state;
	uint8_t *b = copy(s);

	for (size_t i = KEYFILE_HDR_LEN; i < s->len; i++) {
		b[i] ^= 0x01;
		assert_open_key(s, b, s->len, ENV1_R_KEYFILE_AEAD);
		b[i] ^= 0x80;
		assert_open_key(s, b, s->len, ENV1_R_KEYFILE_AEAD);
		b[i] ^= 0x81;
	}
	free(b);
}

static void
test_truncation_extension(void **state)
{
	struct kf *s = *state;
	uint8_t *b = copy(s), *big;
	struct keyfile_header h;

	for (size_t n = 0; n < s->len; n++)
		assert_open(b, n, PASS, KEYFILE_DAEMON, ENV1_R_KEYFILE_FORMAT);
	for (size_t n = s->len + 1; n <= s->len + 64; n++)
		assert_open(b, n, PASS, KEYFILE_DAEMON, ENV1_R_KEYFILE_FORMAT);
	assert_open(NULL, 0, PASS, KEYFILE_DAEMON, ENV1_R_KEYFILE_FORMAT);
	/* A ct_len that agrees with a shortened file still fails the AEAD. */
	be32_put(b + 98, (uint32_t)(s->len - 1 - 102));
	assert_open_key(s, b, s->len - 1, ENV1_R_KEYFILE_AEAD);
	/* Too short to hold a tag and a KIND record. */
	be32_put(b + 98, KEYFILE_CT_MIN - 1);
	assert_int_equal(keyfile_parse_header(b, 102 + KEYFILE_CT_MIN - 1,
	    KEYFILE_DAEMON, &h), ENV1_R_KEYFILE_FORMAT);
	/* Above the file limit, whatever ct_len says. */
	big = calloc(1, KEYFILE_MAX_LEN + 1);
	assert_non_null(big);
	memcpy(big, s->file, 102);
	be32_put(big + 98, KEYFILE_MAX_LEN + 1 - 102);
	assert_int_equal(keyfile_parse_header(big, KEYFILE_MAX_LEN + 1,
	    KEYFILE_DAEMON, &h), ENV1_R_KEYFILE_FORMAT);
	free(big);
	assert_int_equal(keyfile_parse_header(s->file, s->len, 0, &h),
	    ENV1_R_INVALID_ARG);
	free(b);
}

/* --- TLV payloads, built by hand (no KDF) --- */

struct rec {
	uint8_t         tag;
	const void     *v;
	size_t          len;
};

static size_t
build(uint8_t *out, const struct rec *r, size_t n)
{
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		out[off] = r[i].tag;
		be16_put(out + off + 1, (uint16_t)r[i].len);
		memcpy(out + off + 3, r[i].v, r[i].len);
		off += 3 + r[i].len;
	}
	return off;
}

static void
assert_payload(const struct rec *r, size_t n, enum keyfile_kind kind, int want)
{
	uint8_t pt[1024];
	struct keyfile_contents c;
	size_t len = build(pt, r, n);

	memset(&c, 0x5a, sizeof(c));
	assert_int_equal(keyfile_parse_payload(pt, len, kind, &c), want);
	if (want != ENV1_OK)
		assert_empty(&c);
	keyfile_contents_free(&c);
}

static void
test_payload_records(void **state)
{
	struct kf *s = *state;
	static const uint8_t k_daemon = KEYFILE_DAEMON, k_rik = KEYFILE_RIK;
	static const uint8_t k_bad = 3, k_two[2] = { KEYFILE_DAEMON, 0 };
	uint8_t cert[STMT_CERT_LEN], beta_cert[STMT_CERT_LEN], bad_cert[STMT_CERT_LEN];
	uint8_t seed[33], ksk[33], pt[1024];
	struct rec d[5], r[6];
	struct keyfile_contents c;
	size_t len;

	stmt_cert_encode(&s->alpha.id.cert, cert);
	stmt_cert_encode(&s->beta.id.cert, beta_cert);
	memcpy(bad_cert, cert, sizeof(cert));
	bad_cert[0] ^= 0x01;
	memcpy(seed, s->alpha.dsk_seed, 32);
	seed[32] = 0;
	fixture_bytes("alpha/ksk", ksk, 32);
	ksk[32] = 0;
	d[0] = (struct rec){ KEYFILE_TAG_KIND, &k_daemon, 1 };
	d[1] = (struct rec){ KEYFILE_TAG_DSK_SEED, seed, 32 };
	d[2] = (struct rec){ KEYFILE_TAG_DSK_CERT, cert, sizeof(cert) };
	d[3] = (struct rec){ KEYFILE_TAG_KSK, ksk, 32 };
	d[4] = (struct rec){ KEYFILE_TAG_TLS_KEY_REF, TLS_REF, strlen(TLS_REF) };

	assert_payload(d, 5, KEYFILE_DAEMON, ENV1_OK);
	assert_payload(d, 4, KEYFILE_DAEMON, ENV1_OK);          /* TLS optional */
	assert_payload(d, 5, KEYFILE_RIK, ENV1_R_KEYFILE_PAYLOAD);
	assert_payload(d, 0, KEYFILE_DAEMON, ENV1_R_KEYFILE_PAYLOAD);
	assert_payload(d, 3, KEYFILE_DAEMON, ENV1_R_KEYFILE_PAYLOAD); /* no KSK */
	assert_payload(d, 1, KEYFILE_DAEMON, ENV1_R_KEYFILE_PAYLOAD);
	/* Any required record missing, or any record out of place. */
	for (size_t i = 1; i < 4; i++) {
		memcpy(r, d, sizeof(d));
		memmove(r + i, r + i + 1, (4 - i) * sizeof(r[0]));
		assert_payload(r, 4, KEYFILE_DAEMON, ENV1_R_KEYFILE_PAYLOAD);
		/* The same record twice instead. */
		memcpy(r, d, sizeof(d));
		r[5] = d[i];
		assert_payload(r, 6, KEYFILE_DAEMON, ENV1_R_KEYFILE_PAYLOAD);
	}
	/* KIND first and once. */
	memcpy(r, d, sizeof(d));
	r[0] = d[1];
	r[1] = d[0];
	assert_payload(r, 5, KEYFILE_DAEMON, ENV1_R_KEYFILE_PAYLOAD);
	memcpy(r, d, sizeof(d));
	r[5] = d[0];
	assert_payload(r, 6, KEYFILE_DAEMON, ENV1_R_KEYFILE_PAYLOAD);
	/* Kind values and lengths. */
	memcpy(r, d, sizeof(d));
	r[0].v = &k_rik;
	assert_payload(r, 5, KEYFILE_DAEMON, ENV1_R_KEYFILE_PAYLOAD);
	r[0].v = &k_bad;
	assert_payload(r, 5, KEYFILE_DAEMON, ENV1_R_KEYFILE_PAYLOAD);
	r[0].v = k_two;
	r[0].len = 2;
	assert_payload(r, 5, KEYFILE_DAEMON, ENV1_R_KEYFILE_PAYLOAD);
	r[0].len = 0;
	assert_payload(r, 5, KEYFILE_DAEMON, ENV1_R_KEYFILE_PAYLOAD);
	/* Exact lengths of the values. */
	for (size_t i = 1; i < 4; i++) {
		memcpy(r, d, sizeof(d));
		r[i].len = d[i].len - 1;
		assert_payload(r, 5, KEYFILE_DAEMON, ENV1_R_KEYFILE_PAYLOAD);
		if (i != 2) {
			r[i].len = 33;
			assert_payload(r, 5, KEYFILE_DAEMON, ENV1_R_KEYFILE_PAYLOAD);
		}
		r[i].len = 0;
		assert_payload(r, 5, KEYFILE_DAEMON, ENV1_R_KEYFILE_PAYLOAD);
	}
	memcpy(r, d, sizeof(d));
	r[4].len = 0;
	assert_payload(r, 5, KEYFILE_DAEMON, ENV1_R_KEYFILE_PAYLOAD);
	r[4] = (struct rec){ KEYFILE_TAG_TLS_KEY_REF, "/etc/a\0b", 8 };
	assert_payload(r, 5, KEYFILE_DAEMON, ENV1_R_KEYFILE_PAYLOAD);
	/* Unknown tags, and tags of the other kind. */
	static const uint8_t tags[] = { 0x00, 0x07, 0x20, 0x80, 0xff, KEYFILE_TAG_RIK_SEED };
	for (size_t i = 0; i < sizeof(tags); i++) {
		memcpy(r, d, sizeof(d));
		r[5] = (struct rec){ tags[i], seed, 32 };
		assert_payload(r, 6, KEYFILE_DAEMON, ENV1_R_KEYFILE_PAYLOAD);
	}
	/* A certificate for another key, or not a certificate. */
	memcpy(r, d, sizeof(d));
	r[2].v = beta_cert;
	assert_payload(r, 5, KEYFILE_DAEMON, ENV1_R_KEYFILE_PAYLOAD);
	r[2].v = bad_cert;
	assert_payload(r, 5, KEYFILE_DAEMON, ENV1_R_KEYFILE_PAYLOAD);

	/* RIK payloads. */
	r[0] = (struct rec){ KEYFILE_TAG_KIND, &k_rik, 1 };
	r[1] = (struct rec){ KEYFILE_TAG_RIK_SEED, seed, 32 };
	assert_payload(r, 2, KEYFILE_RIK, ENV1_OK);
	assert_payload(r, 2, KEYFILE_DAEMON, ENV1_R_KEYFILE_PAYLOAD);
	assert_payload(r, 1, KEYFILE_RIK, ENV1_R_KEYFILE_PAYLOAD);
	r[2] = d[1];
	assert_payload(r, 3, KEYFILE_RIK, ENV1_R_KEYFILE_PAYLOAD);
	r[2] = d[3];
	assert_payload(r, 3, KEYFILE_RIK, ENV1_R_KEYFILE_PAYLOAD);
	r[2] = r[1];
	assert_payload(r, 3, KEYFILE_RIK, ENV1_R_KEYFILE_PAYLOAD);

	/* Every proper prefix of a full daemon payload, and trailing bytes. */
	len = build(pt, d, 4);
	for (size_t n = 0; n < len; n++) {
		memset(&c, 0x5a, sizeof(c));
		assert_int_equal(keyfile_parse_payload(pt, n, KEYFILE_DAEMON, &c),
		    ENV1_R_KEYFILE_PAYLOAD);
		assert_empty(&c);
	}
	memset(pt + len, 0, 3);
	for (size_t n = len + 1; n <= len + 3; n++) {
		assert_int_equal(keyfile_parse_payload(pt, n, KEYFILE_DAEMON, &c),
		    ENV1_R_KEYFILE_PAYLOAD);
		assert_empty(&c);
	}
	/* A record length pointing past the end. */
	be16_put(pt + len - 35 + 1, 33);
	assert_int_equal(keyfile_parse_payload(pt, len, KEYFILE_DAEMON, &c),
	    ENV1_R_KEYFILE_PAYLOAD);
	assert_empty(&c);
	assert_int_equal(keyfile_parse_payload(pt, len, 0, &c), ENV1_R_INVALID_ARG);
}

/* keyfile_seal refuses before any KDF work, and returns nothing. */
static void
assert_seal(const struct keyfile_contents *c, const char *pass,
    uint64_t ops, uint64_t mem, int want)
{
	struct keyfile_params p = { ops, mem };
	uint8_t *out = (uint8_t *)"x";
	size_t outlen = 1;

	assert_int_equal(keyfile_seal(c, pass, pass != NULL ? strlen(pass) : 0, &p,
	    NULL, NULL, &out, &outlen), want);
	assert_null(out);
	assert_int_equal(outlen, 0);
}

static void
test_seal_refusals(void **state)
{
	struct kf *s = *state;
	struct keyfile_contents c;
	const uint64_t m = 268435456;

	assert_seal(&s->in, PASS, 2, m, ENV1_R_KEYFILE_WEAK);
	assert_seal(&s->in, PASS, 3, m - 1024, ENV1_R_KEYFILE_WEAK);
	assert_seal(&s->in, PASS, 3, m + 1, ENV1_R_INVALID_ARG);
	assert_seal(&s->in, PASS, KEYFILE_OPS_MAX + 1, m, ENV1_R_INVALID_ARG);
	assert_seal(&s->in, PASS, 3, KEYFILE_MEM_MAX + 1024, ENV1_R_INVALID_ARG);
	assert_seal(&s->in, "", 3, m, ENV1_R_INVALID_ARG);
	assert_seal(&s->in, NULL, 3, m, ENV1_R_INVALID_ARG);

	/* A RIK file with daemon parameters. */
	memset(&c, 0, sizeof(c));
	c.kind = KEYFILE_RIK;
	c.rik_seed = s->alpha.rik_seed;         /* borrowed, not freed here */
	assert_seal(&c, PASS, 3, m, ENV1_R_KEYFILE_WEAK);
	/* Contents keyfile_open would refuse are never sealed. */
	c = s->in;
	c.cert = s->beta.id.cert;
	assert_seal(&c, PASS, 3, m, ENV1_R_INVALID_ARG);
	c = s->in;
	c.has_cert = 0;
	assert_seal(&c, PASS, 3, m, ENV1_R_INVALID_ARG);
	c = s->in;
	c.ksk = NULL;
	assert_seal(&c, PASS, 3, m, ENV1_R_INVALID_ARG);
	c = s->in;
	c.kind = 0;
	assert_seal(&c, PASS, 3, m, ENV1_R_INVALID_ARG);
}

/* The RIK kind: KDF runs 8 and 9, at 1 GiB. */
static void
test_rik_roundtrip(void **state)
{
	struct kf *s = *state;
	struct keyfile_params p;
	struct keyfile_contents in, c;
	struct keyfile_header h;
	uint8_t *file, *key;
	size_t len;

	memset(&in, 0, sizeof(in));
	in.kind = KEYFILE_RIK;
	in.rik_seed = secret_dup(s->alpha.rik_seed, 32);
	assert_non_null(in.rik_seed);
	keyfile_min_params(KEYFILE_RIK, &p);
	assert_int_equal(keyfile_seal(&in, PASS, strlen(PASS), &p, NULL, NULL, &file,
	    &len), ENV1_OK);
	assert_int_equal(len, 102 + 4 + 35 + 16);
	assert_int_equal(be64_get(file + 10), 4);
	assert_int_equal(be64_get(file + 18), 1073741824);

	key = secret_alloc(KEYFILE_KEY_LEN);
	assert_non_null(key);
	assert_int_equal(keyfile_parse_header(file, len, KEYFILE_RIK, &h), ENV1_OK);
	assert_int_equal(keyfile_derive(&h, PASS, strlen(PASS), key), ENV1_OK);
	assert_int_equal(keyfile_open_key(file, len, key, KEYFILE_RIK, &c), ENV1_OK);
	assert_int_equal(c.kind, KEYFILE_RIK);
	assert_memory_equal(c.rik_seed, s->alpha.rik_seed, 32);
	assert_null(c.dsk_seed);
	assert_null(c.ksk);
	assert_int_equal(c.has_cert, 0);
	keyfile_contents_free(&c);
	/* Strong enough for a daemon file, but it is not one. */
	check(key, file, len, NULL, KEYFILE_DAEMON, ENV1_R_KEYFILE_PAYLOAD);
	/* And the daemon file's key is not this file's key. */
	check(s->wrap_key, file, len, NULL, KEYFILE_RIK, ENV1_R_KEYFILE_PASSPHRASE);
	secret_free(key);
	keyfile_contents_free(&in);
	free(file);
}

/* Writing, reading, permissions; the bytes read back open. */
static void
test_files(void **state)
{
	struct kf *s = *state;
	char path[128], link[128], big[128];
	uint8_t *buf = (uint8_t *)"x", *huge;
	size_t len = 1;
	struct stat st;

	snprintf(path, sizeof(path), "%s/daemon.key", s->dir);
	snprintf(link, sizeof(link), "%s/link.key", s->dir);
	snprintf(big, sizeof(big), "%s/big.key", s->dir);
	assert_int_equal(keyfile_write(path, s->file, s->len, 0), ENV1_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(keyfile_read(path, &buf, &len), ENV1_OK);
	assert_int_equal(len, s->len);
	assert_memory_equal(buf, s->file, len);
	assert_open_key(s, buf, len, ENV1_OK);
	free(buf);

	/* No replacing without asking: the file is untouched. */
	errno = 0;
	assert_int_equal(keyfile_write(path, (const uint8_t *)"alpha", 5, 0), ENV1_R_IO);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(keyfile_read(path, &buf, &len), ENV1_OK);
	assert_int_equal(len, s->len);
	free(buf);
	assert_int_equal(keyfile_write(path, s->file, s->len, 1), ENV1_OK);

	/* Readable by others, or reached through a symlink: refused. */
	assert_int_equal(chmod(path, 0644), 0);
	buf = (uint8_t *)"x";
	assert_int_equal(keyfile_read(path, &buf, &len), ENV1_R_KEYFILE_PERMISSIONS);
	assert_null(buf);
	assert_int_equal(len, 0);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(keyfile_read(path, &buf, &len), ENV1_R_KEYFILE_PERMISSIONS);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(keyfile_read(link, &buf, &len), ENV1_R_KEYFILE_PERMISSIONS);
	assert_null(buf);

	/* Too large to be a key file. */
	huge = calloc(1, KEYFILE_MAX_LEN + 1);
	assert_non_null(huge);
	assert_int_equal(fileio_write_atomic(big, huge, KEYFILE_MAX_LEN + 1, 0600, 0), 0);
	free(huge);
	assert_int_equal(keyfile_read(big, &buf, &len), ENV1_R_KEYFILE_FORMAT);
	assert_null(buf);
	assert_int_equal(keyfile_write(big, s->file, KEYFILE_MAX_LEN + 1, 1),
	    ENV1_R_INVALID_ARG);

	errno = 0;
	assert_int_equal(keyfile_read(s->dir, &buf, &len), ENV1_R_IO);
	assert_int_equal(errno, EINVAL);
	snprintf(path, sizeof(path), "%s/missing.key", s->dir);
	assert_int_equal(keyfile_read(path, &buf, &len), ENV1_R_IO);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(keyfile_write(path, s->file, 0, 0), ENV1_R_INVALID_ARG);
	assert_int_equal(access(path, F_OK), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_min_params),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_daemon_roundtrip),
		cmocka_unit_test(test_wrong_passphrase),
		cmocka_unit_test(test_kc_tampered),
		cmocka_unit_test(test_kdf_inputs_edited),
		cmocka_unit_test(test_params_edited),
		cmocka_unit_test(test_every_ad_byte),
		cmocka_unit_test(test_ciphertext_flips),
		cmocka_unit_test(test_truncation_extension),
		cmocka_unit_test(test_payload_records),
		cmocka_unit_test(test_seal_refusals),
		cmocka_unit_test(test_rik_roundtrip),
		cmocka_unit_test(test_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
