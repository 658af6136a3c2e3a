/*
 * Decimal numbers from untrusted text (strnum.h): strtoull accepts a
 * sign, leading spaces and "0x"-less garbage after the digits; these are
 * refused here, once, for every caller.
 */
#include <errno.h>
#include <stdlib.h>

#include "common/strnum.h"

int
strnum_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
