/*
 * make bench-crypto: seal and open of 1 KiB bodies next to the cost of the
 * primitives they are made of, measured in the same run, as ratios.  The
 * target is a ratio of at most 1.10 for both: the envelope code adds
 * nothing of its own that costs as much as a tenth of its crypto.
 *
 * Each figure is the best of several rounds of thread CPU time, so other
 * load on a shared machine inflates neither side of a ratio.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "keys/envelope.h"
#include "keys/secret.h"
#include "tests/lib/fixture.h"

#define BODY_LEN        1024
#define ROUNDS          7

struct bench_ctx {
	struct fixture_agency   alpha, beta;
	struct peerkeys         beta_pinned;
	struct fixture_inbox    inbox;
	struct env1_open_ctx    octx;
	struct env1_seal_params params;
	uint8_t                 body[BODY_LEN];
	struct env1_sealed      sealed;         /* one envelope to open */
	uint8_t                 inner[ENV1_INNER_OVERHEAD + BODY_LEN];
	uint8_t                 ct[ENV1_CT_MIN + BODY_LEN];
	uint8_t                 scratch[ENV1_CT_MIN + BODY_LEN];
	uint8_t                 key[32], nonce[24], sig[64], pk[32], sk[32], out[64];
	unsigned char           ed_pk[32], ed_sk[64];
	volatile int            sink;
};

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Best seconds per call of fn over ROUNDS rounds of n calls. */
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
do_open(struct bench_ctx *b)
{
	struct env1_opened o;

	if (env1_open(&b->octx, b->sealed.env, b->sealed.env_len, &o) != ENV1_OK)
		abort();
	env1_opened_free(&o);
}

static void
do_sign(struct bench_ctx *b)
{
	crypto_sign_detached(b->sig, NULL, b->inner, ENV1_TBS_LEN, b->ed_sk);
}

static void
do_verify(struct bench_ctx *b)
{
	b->sink += crypto_sign_verify_detached(b->sig, b->inner, ENV1_TBS_LEN, b->ed_pk);
}

static void
do_x25519_base(struct bench_ctx *b)
{
	crypto_scalarmult_base(b->pk, b->sk);
}

static void
do_x25519(struct bench_ctx *b)
{
	b->sink += crypto_scalarmult(b->out, b->sk, b->beta.prekey.stmt.spk_pub);
}

static void
do_aead_enc(struct bench_ctx *b)
{
	unsigned long long clen;

	crypto_aead_xchacha20poly1305_ietf_encrypt(b->ct, &clen, b->inner,
	    sizeof(b->inner), b->sealed.env, ENV1_HDR_LEN, NULL, b->nonce, b->key);
}

static void
do_aead_dec(struct bench_ctx *b)
{
	unsigned long long mlen;

	b->sink += crypto_aead_xchacha20poly1305_ietf_decrypt(b->scratch, &mlen, NULL,
	    b->ct, sizeof(b->ct), b->sealed.env, ENV1_HDR_LEN, b->nonce, b->key);
}

/* The hashing both sides do: hdr_hash, k_root, two KDF outputs, the
 * content hash over the body, H_inner, and H_env over the whole envelope. */
static void
do_hashes(struct bench_ctx *b)
{
	crypto_generichash(b->out, 32, b->sealed.env, ENV1_HDR_PREFIX_LEN, NULL, 0);
	crypto_generichash(b->out, 32, b->sealed.env, ENV1_HDR_PREFIX_LEN + 32, b->key, 32);
	crypto_kdf_derive_from_key(b->out, 32, 1, "ENV1_ENC", b->key);
	crypto_kdf_derive_from_key(b->out, 32, 1, "ENV1_COM", b->key);
	crypto_generichash(b->out, 32, b->body, BODY_LEN, b->key, 32);
	crypto_generichash(b->out, 32, b->inner, ENV1_INNER_OVERHEAD, NULL, 0);
	crypto_generichash(b->out, 32, b->sealed.env, b->sealed.env_len, NULL, 0);
}

static void
setup(struct bench_ctx *b)
{
	fixture_agency_make(&b->alpha, "alpha", FIXTURE_NOW);
	fixture_agency_make(&b->beta, "beta", FIXTURE_NOW);
	fixture_peerkeys(&b->beta, &b->beta_pinned);
	fixture_inbox_init(&b->inbox, &b->beta);
	fixture_inbox_pin(&b->inbox, &b->alpha);
	fixture_open_ctx(&b->inbox, FIXTURE_NOW, &b->octx);
	fixture_bytes("bench/body", b->body, sizeof(b->body));
	fixture_seal_params(&b->params, "bench", ENV1_MSG_TEST_DOCUMENT, 1, b->body,
	    sizeof(b->body), FIXTURE_NOW);
	if (env1_seal(&b->alpha.id, &b->beta_pinned, &b->beta.prekey.stmt,
	    &b->params, FIXTURE_NOW, &b->sealed) != ENV1_OK)
		abort();
	randombytes_buf(b->inner, sizeof(b->inner));
	randombytes_buf(b->key, sizeof(b->key));
	randombytes_buf(b->nonce, sizeof(b->nonce));
	randombytes_buf(b->sk, sizeof(b->sk));
	crypto_sign_keypair(b->ed_pk, b->ed_sk);
	do_sign(b);
	do_aead_enc(b);
}

static void
teardown(struct bench_ctx *b)
{
	env1_sealed_free(&b->sealed);
	fixture_inbox_free(&b->inbox);
	peerkeys_clear(&b->beta_pinned);
	fixture_agency_free(&b->alpha);
	fixture_agency_free(&b->beta);
}

int
main(int argc, char **argv)
{
	static struct bench_ctx b;
	int n = argc > 1 ? atoi(argv[1]) : 2000;
	double seal, open, sign, verify, xbase, x, enc, dec, hashes;
	double seal_prims, open_prims;

	if (n <= 0 || secret_init() != 0)
		return 2;
	setup(&b);
	/* Interleave so that any drift in machine speed hits both sides. */
	seal = measure(do_seal, &b, n);
	sign = measure(do_sign, &b, n);
	xbase = measure(do_x25519_base, &b, n);
	x = measure(do_x25519, &b, n);
	enc = measure(do_aead_enc, &b, n);
	hashes = measure(do_hashes, &b, n);
	open = measure(do_open, &b, n);
	verify = measure(do_verify, &b, n);
	dec = measure(do_aead_dec, &b, n);

	seal_prims = xbase + x + sign + enc + hashes;
	open_prims = x + verify + dec + hashes;

	printf("bench-crypto: 1 KiB bodies, best of %d rounds of %d, thread CPU time\n",
	    ROUNDS, n);
	printf("  %-34s %10.0f /s  %7.2f us\n", "Ed25519 sign (316 B TBS)", 1 / sign, sign * 1e6);
	printf("  %-34s %10.0f /s  %7.2f us\n", "Ed25519 verify", 1 / verify, verify * 1e6);
	printf("  %-34s %10.0f /s  %7.2f us\n", "X25519 base (ephemeral key)", 1 / xbase, xbase * 1e6);
	printf("  %-34s %10.0f /s  %7.2f us\n", "X25519 (shared secret)", 1 / x, x * 1e6);
	printf("  %-34s %10.0f /s  %7.2f us\n", "XChaCha20-Poly1305 seal 1404 B", 1 / enc, enc * 1e6);
	printf("  %-34s %10.0f /s  %7.2f us\n", "XChaCha20-Poly1305 open 1404 B", 1 / dec, dec * 1e6);
	printf("  %-34s %10.0f /s  %7.2f us\n", "BLAKE2b hashes and KDF", 1 / hashes, hashes * 1e6);
	printf("  %-34s %10.0f /s  %7.2f us  primitives %7.2f us  ratio %.3f\n",
	    "env1_seal", 1 / seal, seal * 1e6, seal_prims * 1e6, seal / seal_prims);
	printf("  %-34s %10.0f /s  %7.2f us  primitives %7.2f us  ratio %.3f\n",
	    "env1_open", 1 / open, open * 1e6, open_prims * 1e6, open / open_prims);
	printf("target: ratio <= 1.100 for seal and open: %s\n",
	    seal / seal_prims <= 1.10 && open / open_prims <= 1.10 ? "met" : "NOT met");
	teardown(&b);
	return b.sink == 12345 ? 1 : 0;
}
