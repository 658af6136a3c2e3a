/*
 * libFuzzer target: the frame reader and the wire decoder.  The input is
 * read twice, once in one piece and once in chunks whose sizes come from
 * the input itself; both readings must give the same frames and the same
 * outcome, and every payload goes through wire_frame_decode.  A frame that
 * decodes must survive wire_frame_encode and decode again; a Hello's
 * transition (field 3) goes through the check a daemon makes of it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keys/bundle.h"
#include "proto/frame.h"
#include "proto/wire.h"

#define FUZZ_MAX        4096    /* small, so the cap is hit often */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_reencode(const Homeward__Wire__Frame *f)
{
	Homeward__Wire__Frame copy = *f;
	Homeward__Wire__Frame *g;
	uint8_t *enc;
	size_t enclen;
	int err;

	if (wire_frame_encode(&copy, &enc, &enclen) != 0)
		abort();
	g = wire_frame_decode(enc + FRAME_HDR_LEN, enclen - FRAME_HDR_LEN, &err);
	if (g == NULL || g->kind_case != f->kind_case)
		abort();
	homeward__wire__frame__free_unpacked(g, NULL);
	free(enc);
}

/* A Hello's transition, checked as a daemon pinned to its old_rik would
 * (so the fuzzer reaches the signature checks, not only the length). */
static void
check_hello(const Homeward__Wire__Frame *f)
{
	static const uint8_t zero[ENV1_KEY_LEN];
	const Homeward__Wire__Hello *h;
	const uint8_t *pinned = zero, *rik = zero;
	int r;

	if (f->kind_case != HOMEWARD__WIRE__FRAME__KIND_HELLO ||
	    (h = f->hello)->transition.len == 0)
		return;
	if (h->transition.len == STMT_TRANSITION_LEN)
		pinned = h->transition.data + 17;       /* its old_rik */
	if (h->rik.len == ENV1_KEY_LEN)
		rik = h->rik.data;
	r = bundle_check_transition(h->transition.data, h->transition.len, pinned,
	    NULL, rik);
	if (r != ENV1_OK && r != ENV1_R_MALFORMED && r != ENV1_R_RIK_TRANSITION &&
	    r != ENV1_R_STMT_SIGNATURE)
		abort();
}

/* One payload: decode it and fold it into the transcript hash. */
static void
take(crypto_generichash_state *st, uint8_t *pl, size_t plen)
{
	Homeward__Wire__Frame *f;
	uint64_t len64 = plen;
	int err;

	crypto_generichash_update(st, (const uint8_t *)&len64, sizeof(len64));
	crypto_generichash_update(st, pl, plen);
	f = wire_frame_decode(pl, plen, &err);
	if (f != NULL) {
		if (err != 0)
			abort();
		check_reencode(f);
		check_hello(f);
		homeward__wire__frame__free_unpacked(f, NULL);
	} else if (err != -EBADMSG && err != -EPROTONOSUPPORT) {
		abort();
	}
	free(pl);
}

/* Read data in chunks (chunked != 0) or whole; returns the final status
 * and the transcript of payloads in out. */
static int
read_all(const uint8_t *data, size_t size, int chunked, uint8_t out[32])
{
	crypto_generichash_state st;
	struct frame_reader r;
	size_t pos = 0, k = 0;
	int rc = FRAME_MORE;

	crypto_generichash_init(&st, NULL, 0, 32);
	frame_reader_init(&r, FUZZ_MAX);
	while (pos < size) {
		size_t n = size - pos;

		if (chunked) {
			/* Chunk sizes 1..32, taken from the input bytes. */
			n = 1 + (data[k++ % size] & 31);
			if (n > size - pos)
				n = size - pos;
		}
		while (n > 0) {
			uint8_t *pl;
			size_t used, plen;

			rc = frame_reader_feed(&r, data + pos, n, &used, &pl, &plen);
			if (rc < 0)
				goto done;
			if (used > n)
				abort();
			pos += used;
			n -= used;
			if (rc == FRAME_READY)
				take(&st, pl, plen);
			else if (n != 0)
				abort();
		}
	}
done:
	frame_reader_free(&r);
	crypto_generichash_final(&st, out, 32);
	return rc < 0 ? rc : FRAME_MORE;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t whole[32], chunks[32];
	int a, b;

	if (sodium_init() < 0)
		abort();
	a = read_all(data, size, 0, whole);
	b = read_all(data, size, 1, chunks);
	if (a != b || memcmp(whole, chunks, 32) != 0)
		abort();
	return 0;
}
