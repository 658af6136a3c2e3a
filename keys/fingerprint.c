/*
 * Fingerprints of a root identity key (crypto-env1.md 3.5).  Operators
 * compare these out of band before pinning a peer, so every form is a pure
 * function of the RIK public key and byte-for-byte reproducible by another
 * implementation.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "keys/fingerprint.h"

static const uint8_t FP_DOMAIN[20] = "ENV1 fingerprint v1";	/* 19 + NUL */

#define FP_DIGITS       40      /* 8 groups of 5 */

void
fp_compute(const uint8_t rik[ENV1_KEY_LEN], uint8_t fp[FP_LEN])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, FP_LEN);
	crypto_generichash_update(&st, FP_DOMAIN, sizeof(FP_DOMAIN));
	crypto_generichash_update(&st, rik, ENV1_KEY_LEN);
	crypto_generichash_final(&st, fp, FP_LEN);
}

/* The 40 digits without separators: group j is u40be(fp[5j..5j+5)) mod
 * 100000, the chunking of Signal's DisplayableFingerprint. */
static void
fp_digits(const uint8_t rik[ENV1_KEY_LEN], char out[FP_DIGITS + 1])
{
	uint8_t fp[FP_LEN];

	fp_compute(rik, fp);
	for (int j = 0; j < 8; j++) {
		const uint8_t *p = fp + 5 * j;
		uint64_t v = ((uint64_t)p[0] << 32) | ((uint64_t)p[1] << 24) |
		    ((uint64_t)p[2] << 16) | ((uint64_t)p[3] << 8) | p[4];

		snprintf(out + 5 * j, 6, "%05u", (unsigned)(v % 100000));
	}
	out[FP_DIGITS] = '\0';
}

/* Digits in groups of 5 separated by single spaces; out holds
 * n + n/5 bytes (the last separator becomes the NUL). */
static void
group5(const char *digits, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (i > 0 && i % 5 == 0)
			out[o++] = ' ';
		out[o++] = digits[i];
	}
	out[o] = '\0';
}

void
fp_display(const uint8_t rik[ENV1_KEY_LEN], char out[FP_DISPLAY_BUFLEN])
{
	char d[FP_DIGITS + 1];

	fp_digits(rik, d);
	group5(d, FP_DIGITS, out);
}

void
fp_safety_number(const uint8_t a[ENV1_KEY_LEN], const uint8_t b[ENV1_KEY_LEN],
    char out[FP_SAFETY_BUFLEN])
{
	char da[FP_DIGITS + 1], db[FP_DIGITS + 1], both[2 * FP_DIGITS + 1];

	fp_digits(a, da);
	fp_digits(b, db);
	/* Sorted, so that both operators read the same number aloud. */
	if (strcmp(da, db) <= 0) {
		memcpy(both, da, FP_DIGITS);
		memcpy(both + FP_DIGITS, db, FP_DIGITS);
	} else {
		memcpy(both, db, FP_DIGITS);
		memcpy(both + FP_DIGITS, da, FP_DIGITS);
	}
	both[2 * FP_DIGITS] = '\0';
	group5(both, 2 * FP_DIGITS, out);
}

void
fp_key_id(const uint8_t rik[ENV1_KEY_LEN], char out[FP_KEYID_BUFLEN])
{
	uint8_t fp[FP_LEN];

	fp_compute(rik, fp);
	sodium_bin2hex(out, FP_KEYID_BUFLEN, fp, 8);
}

void
fp_qr(const uint8_t rik[ENV1_KEY_LEN], char out[FP_QR_BUFLEN])
{
	static const char prefix[] = "env1-rik:";

	memcpy(out, prefix, sizeof(prefix) - 1);
	sodium_bin2base64(out + sizeof(prefix) - 1, FP_QR_BUFLEN - (sizeof(prefix) - 1),
	    rik, ENV1_KEY_LEN, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}
