/* Guarded memory for secrets (see secret.h). */
#include <string.h>

#include <sodium.h>

#include "keys/secret.h"

int
secret_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

void *
secret_alloc(size_t len)
{
	/* sodium_malloc(0) is allowed but returns a pointer we must free. */
	return sodium_malloc(len == 0 ? 1 : len);
}

void
secret_free(void *p)
{
	/* sodium_free wipes the region before unmapping it and accepts NULL. */
	sodium_free(p);
}

void *
secret_dup(const void *src, size_t len)
{
	void *p = secret_alloc(len);

	if (p != NULL && len > 0)
		memcpy(p, src, len);
	return p;
}
