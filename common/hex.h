/*
 * Lower-case hex for ids, keys and hashes, shared by homeward and
 * homeward-keys: encoding, and the exact decoding of what an operator
 * types (2n digits, no prefix, no spaces).
 */
#ifndef HOMEWARD_COMMON_HEX_H
#define HOMEWARD_COMMON_HEX_H

#include <stddef.h>
#include <stdint.h>

#define HEX_BUFLEN(n)           (2 * (n) + 1)

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void hex_encode(const uint8_t *p, size_t n, char *out);
/* Exactly 2n hex digits (either case) into n bytes: 0 or -1. */
int hex_decode(const char *s, uint8_t *out, size_t n);

#endif
