/*
 * pbwipe.h: malloc with the size kept in front of the block, so that free
 * can wipe exactly what was handed out.  Cheap enough for every field of
 * every document (secret_alloc's guarded pages are not).
 */
#include <stdint.h>
#include <stdlib.h>

#include <sodium.h>

#include "proto/pbwipe.h"

/* Keeps the block as aligned as malloc's. */
#define PBWIPE_HDR      16

static void *
pbwipe_alloc(void *data, size_t size)
{
	uint8_t *p;

	(void)data;
	if (size > SIZE_MAX - PBWIPE_HDR ||
	    (p = malloc(size + PBWIPE_HDR)) == NULL)
		return NULL;
	*(size_t *)(void *)p = size;
	return p + PBWIPE_HDR;
}

static void
pbwipe_free(void *data, void *ptr)
{
	uint8_t *p;

	(void)data;
	if (ptr == NULL)
		return;
	p = (uint8_t *)ptr - PBWIPE_HDR;
	sodium_memzero(ptr, *(size_t *)(void *)p);
	free(p);
}

ProtobufCAllocator pbwipe_allocator = {
	.alloc = pbwipe_alloc,
	.free = pbwipe_free,
	.allocator_data = NULL,
};
