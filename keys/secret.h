/*
 * Memory for secrets: libsodium's guarded allocations (guard pages, canary,
 * mlock, excluded from core dumps).  Every private key, shared secret and
 * plaintext buffer of the crypto path lives in memory from here.
 */
#ifndef HOMEWARD_KEYS_SECRET_H
#define HOMEWARD_KEYS_SECRET_H

#include <stddef.h>

/* sodium_init() once, before any thread starts; 0 or -1. */
int secret_init(void);
/* Guarded allocation of len bytes (len may be 0); NULL when out of memory. */
void *secret_alloc(size_t len);
/* Wipes and frees; accepts NULL. */
void secret_free(void *p);
/* Guarded copy of len bytes of src; NULL when out of memory. */
void *secret_dup(const void *src, size_t len);

#endif
