/*
 * libFuzzer target: agency bundles and the four signed statement layouts,
 * all of which arrive from peers and relays.  Beyond "no crash": a refusal
 * always says why, an accepted bundle vouches for itself, and a statement
 * that decodes encodes back to exactly the input bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keys/bundle.h"
#include "keys/stmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_bundle(const uint8_t *data, size_t size)
{
	struct bundle b;
	char why[BUNDLE_WHY_LEN];
	int rotated;

	if (bundle_parse(data, size, &b, why) != ENV1_OK) {
		if (why[0] == '\0' || b.keys.certs != NULL || b.transitions != NULL)
			abort();
		return;
	}
	if (why[0] != '\0')
		abort();
	if (bundle_check_identity(&b, b.keys.rik, NULL, &rotated) != ENV1_OK ||
	    rotated != 0)
		abort();
	for (size_t i = 0; i < b.keys.ncerts; i++)
		if (stmt_cert_verify(&b.keys.certs[i]) != ENV1_OK)
			abort();
	bundle_free(&b);
}

static void
check_statements(const uint8_t *data, size_t size)
{
	struct stmt_dsk_cert c;
	struct stmt_spk s;
	struct stmt_revocation r;
	struct stmt_transition t;
	uint8_t out[STMT_TRANSITION_LEN];

	/* Exact-length layouts: what decodes re-encodes byte for byte. */
	if (stmt_cert_decode(data, size, &c) == ENV1_OK) {
		stmt_cert_encode(&c, out);
		if (memcmp(out, data, STMT_CERT_LEN) != 0)
			abort();
		(void)stmt_cert_verify(&c);
	}
	if (stmt_spk_decode(data, size, &s) == ENV1_OK) {
		stmt_spk_encode(&s, out);
		if (memcmp(out, data, STMT_SPK_LEN) != 0)
			abort();
		(void)stmt_spk_verify(&s);
	}
	if (stmt_revocation_decode(data, size, &r) == ENV1_OK) {
		stmt_revocation_encode(&r, out);
		if (memcmp(out, data, STMT_REVOCATION_LEN) != 0)
			abort();
		(void)stmt_revocation_verify(&r);
	}
	if (stmt_transition_decode(data, size, &t) == ENV1_OK) {
		stmt_transition_encode(&t, out);
		if (memcmp(out, data, STMT_TRANSITION_LEN) != 0)
			abort();
		(void)stmt_transition_verify(&t);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (sodium_init() < 0)
		abort();
	check_bundle(data, size);
	check_statements(data, size);
	return 0;
}
