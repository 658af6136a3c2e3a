/*
 * Decimal numbers from untrusted text (options, configuration): digits
 * only, no sign, no spaces, no trailing characters, within [min, max].
 */
#ifndef HOMEWARD_COMMON_STRNUM_H
#define HOMEWARD_COMMON_STRNUM_H

#include <stdint.h>

/* 0 with *out set, or -1 (not a number, or out of range). */
int strnum_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

#endif
