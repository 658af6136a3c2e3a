/*
 * Guarded memory for secrets (see secret.h).
 *
 * sodium_malloc costs several system calls (mmap, mprotect, mlock) and its
 * sodium_free as many again: about 12 us per pair, a tenth of an envelope's
 * whole crypto.  Small regions are therefore kept on per-size free lists
 * when freed: wiped at once, still guarded and locked, and handed out again
 * by the next secret_alloc of that size class.  Large regions (bodies over
 * 64 KiB) go straight back to libsodium.
 *
 * Every region starts with a 16-byte header naming its size class, so
 * secret_free needs no size from the caller.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keys/secret.h"

#define HDR_LEN         16
#define CLASS_MIN_SHIFT 9               /* 512 bytes */
#define CLASS_MAX_SHIFT 16              /* 64 KiB */
#define NCLASSES        (CLASS_MAX_SHIFT - CLASS_MIN_SHIFT + 1)
#define CACHE_DEPTH     16              /* regions kept per class */
#define CLASS_NONE      0xffu
#define HDR_MAGIC       0x53454352u     /* "SECR" */

struct region_hdr {
	uint32_t        magic;
	uint32_t        cls;            /* index into cache, or CLASS_NONE */
	uint64_t        len;            /* usable bytes after the header */
};

static struct {
	pthread_mutex_t lock;
	void           *free[NCLASSES][CACHE_DEPTH];
	unsigned        nfree[NCLASSES];
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

int
secret_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

/* The size class whose regions hold len usable bytes, or CLASS_NONE. */
static unsigned
class_of(size_t len)
{
	if (len > SIZE_MAX - HDR_LEN)
		return CLASS_NONE;
	for (unsigned c = 0; c < NCLASSES; c++)
		if (len + HDR_LEN <= ((size_t)1 << (c + CLASS_MIN_SHIFT)))
			return c;
	return CLASS_NONE;
}

static void *
cache_pop(unsigned cls)
{
	void *region = NULL;

	pthread_mutex_lock(&cache.lock);
	if (cache.nfree[cls] > 0)
		region = cache.free[cls][--cache.nfree[cls]];
	pthread_mutex_unlock(&cache.lock);
	return region;
}

static int
cache_push(unsigned cls, void *region)
{
	int kept = 0;

	pthread_mutex_lock(&cache.lock);
	if (cache.nfree[cls] < CACHE_DEPTH) {
		cache.free[cls][cache.nfree[cls]++] = region;
		kept = 1;
	}
	pthread_mutex_unlock(&cache.lock);
	return kept;
}

void *
secret_alloc(size_t len)
{
	unsigned cls = class_of(len);
	struct region_hdr *h;
	size_t total;

	if (cls != CLASS_NONE) {
		if ((h = cache_pop(cls)) != NULL) {
			h->len = len;
			return (uint8_t *)h + HDR_LEN;
		}
		/* The whole class size, so a cached region fits any request of
		 * its class; the guard page follows the class end. */
		total = (size_t)1 << (cls + CLASS_MIN_SHIFT);
	} else {
		/* sodium_malloc places the end of the region against the
		 * guard page: a multiple of 16 keeps the header aligned. */
		if (len > SIZE_MAX - 2 * HDR_LEN)
			return NULL;
		total = (len + 2 * HDR_LEN - 1) & ~(size_t)(HDR_LEN - 1);
	}
	if ((h = sodium_malloc(total)) == NULL)
		return NULL;
	h->magic = HDR_MAGIC;
	h->cls = cls;
	h->len = len;
	return (uint8_t *)h + HDR_LEN;
}

void
secret_free(void *p)
{
	struct region_hdr *h;

	if (p == NULL)
		return;
	h = (struct region_hdr *)((uint8_t *)p - HDR_LEN);
	/* Not one of ours, or its header overwritten: a broken invariant,
	 * and wiping by a wrong length would do more damage. */
	if (h->magic != HDR_MAGIC || (h->cls != CLASS_NONE && h->cls >= NCLASSES) ||
	    (h->cls != CLASS_NONE &&
	    h->len + HDR_LEN > ((size_t)1 << (h->cls + CLASS_MIN_SHIFT)))) {
		fprintf(stderr, "secret_free: corrupt or foreign region\n");
		abort();
	}
	/* Wipe what was used now, whether the region is kept or not. */
	sodium_memzero(p, h->len);
	if (h->cls != CLASS_NONE && cache_push(h->cls, h))
		return;
	/* sodium_free wipes the whole region again before unmapping it. */
	sodium_free(h);
}

void *
secret_dup(const void *src, size_t len)
{
	void *p = secret_alloc(len);

	if (p != NULL && len > 0)
		memcpy(p, src, len);
	return p;
}
