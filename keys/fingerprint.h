/*
 * Fingerprints for out-of-band verification (crypto-env1.md 3.5): the
 * 40-digit display, the 80-digit pairwise safety number, the short key id
 * for logs and the QR payload.
 */
#ifndef HOMEWARD_KEYS_FINGERPRINT_H
#define HOMEWARD_KEYS_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#include "keys/env1.h"

#define FP_LEN                  64
#define FP_DISPLAY_BUFLEN       48      /* "12345 67890 ... 89900" + NUL (47 chars) */
#define FP_SAFETY_BUFLEN        96      /* 16 groups of 5 digits, spaces, NUL */
#define FP_KEYID_BUFLEN         17      /* 16 hex + NUL */
#define FP_QR_BUFLEN            56      /* "env1-rik:" + 43 base64url + NUL */

/* fp = BLAKE2b-512("ENV1 fingerprint v1\0" || rik). */
void fp_compute(const uint8_t rik[ENV1_KEY_LEN], uint8_t fp[FP_LEN]);
/* 8 groups of 5 digits separated by single spaces. */
void fp_display(const uint8_t rik[ENV1_KEY_LEN], char out[FP_DISPLAY_BUFLEN]);
/* The two 40-digit strings sorted and concatenated, shown as 16 groups of 5:
 * both operators read the same number. */
void fp_safety_number(const uint8_t a[ENV1_KEY_LEN], const uint8_t b[ENV1_KEY_LEN],
    char out[FP_SAFETY_BUFLEN]);
/* First 8 bytes of fp in lower-case hex: for logs and UI, never for trust. */
void fp_key_id(const uint8_t rik[ENV1_KEY_LEN], char out[FP_KEYID_BUFLEN]);
/* "env1-rik:" || base64url(rik) without padding. */
void fp_qr(const uint8_t rik[ENV1_KEY_LEN], char out[FP_QR_BUFLEN]);

#endif
