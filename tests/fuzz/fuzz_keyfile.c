/*
 * libFuzzer target for the key-file parsers (keys/keyfile.c): the input is
 * fed as a whole file to keyfile_parse_header and, with a fixed wrap key,
 * to keyfile_open_key (kc, AEAD, payload), and as a decrypted payload to
 * keyfile_parse_payload, each for both kinds.  Argon2id never runs: the
 * seed corpus holds files sealed directly under the fixed key below, so
 * mutations reach the payload parser through the real open path.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <sodium.h>

#include "keys/keyfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The seed corpus's files are sealed under wrap_key[i] = i. */
static uint8_t wrap_key[KEYFILE_KEY_LEN];

static void
check_empty(const struct keyfile_contents *c)
{
	if (c->kind != 0 || c->rik_seed != NULL || c->dsk_seed != NULL ||
	    c->ksk != NULL || c->has_cert != 0 || c->tls_key_ref[0] != '\0')
		abort();
}

/* What a successful parse promises its caller. */
static void
check_contents(const struct keyfile_contents *c, enum keyfile_kind kind)
{
	if (c->kind != kind)
		abort();
	if (kind == KEYFILE_RIK && (c->rik_seed == NULL || c->dsk_seed != NULL ||
	    c->ksk != NULL || c->has_cert))
		abort();
	if (kind == KEYFILE_DAEMON && (c->rik_seed != NULL || c->dsk_seed == NULL ||
	    c->ksk == NULL || !c->has_cert))
		abort();
}

static void
one_kind(const uint8_t *data, size_t size, enum keyfile_kind kind)
{
	struct keyfile_header h;
	struct keyfile_contents c;
	int rc;

	rc = keyfile_parse_header(data, size, kind, &h);
	if (rc == ENV1_OK && (h.ct_len != size - KEYFILE_HDR_LEN ||
	    h.opslimit > KEYFILE_OPS_MAX || h.memlimit > KEYFILE_MEM_MAX))
		abort();

	rc = keyfile_open_key(data, size, wrap_key, kind, &c);
	if (rc == ENV1_OK)
		check_contents(&c, kind);
	else
		check_empty(&c);
	keyfile_contents_free(&c);

	rc = keyfile_parse_payload(data, size, kind, &c);
	if (rc == ENV1_OK)
		check_contents(&c, kind);
	else
		check_empty(&c);
	keyfile_contents_free(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (!ready) {
		if (sodium_init() < 0)
			abort();
		for (size_t i = 0; i < sizeof(wrap_key); i++)
			wrap_key[i] = (uint8_t)i;
		ready = 1;
	}
	one_kind(data, size, KEYFILE_DAEMON);
	one_kind(data, size, KEYFILE_RIK);
	return 0;
}
