/* Property test of the consent gate over generated documents: for random
 * documents of every type (built from the schema's descriptors, each
 * field present or not) and random consent sets, the gate (refcat's
 * categories of the encoded body, then consent_decide) releases a
 * document only under a consent that covers its recipient, its step and
 * every category an independent oracle finds in it, and releases it
 * whenever some consent does.  The oracle derives the categories from the
 * generated JSON and the schema's declared table (refcat_field), not from
 * the decoded message.  Seeded; HOMEWARD_TEST_SEED=<64 hex> replays. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "common/docjson.h"
#include "daemon/rules/consent.h"
#include "proto/refcat.h"

#define ROUNDS          100000
#define MAX_DEPTH       4

static uint8_t  seed[randombytes_SEEDBYTES];
static uint8_t  pool[1 << 16];
static size_t   pool_off = sizeof(pool);
static uint64_t pool_round;

/* Deterministic randomness from the seed, refilled in blocks. */
static uint32_t
rnd(uint32_t n)
{
	uint32_t v;

	if (pool_off + 4 > sizeof(pool)) {
		uint8_t s[randombytes_SEEDBYTES];

		crypto_generichash(s, sizeof(s), (const uint8_t *)&pool_round,
		    sizeof(pool_round), seed, sizeof(seed));
		pool_round++;
		randombytes_buf_deterministic(pool, sizeof(pool), s);
		pool_off = 0;
	}
	memcpy(&v, pool + pool_off, 4);
	pool_off += 4;
	return n ? v % n : v;
}

static const uint16_t doc_types[] = { 1, 2, 3, 4, 5, 6, 7, 0x101, 0x102 };

static json_t *gen_message(const ProtobufCMessageDescriptor *, int depth,
    uint32_t *cats);

/* One value of field f; its categories (own and nested) into *cats. */
static json_t *
gen_value(const ProtobufCFieldDescriptor *f, int depth, uint32_t *cats)
{
	const ProtobufCEnumDescriptor *e;

	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		return json_string("synthetic");
	case PROTOBUF_C_TYPE_BYTES:
		return json_string("00ff10");
	case PROTOBUF_C_TYPE_BOOL:
		return json_true();
	case PROTOBUF_C_TYPE_ENUM:
		e = f->descriptor;
		/* Value 0 is the default, i.e. absent: never generated. */
		return json_string(e->values[1 + rnd(e->n_values - 1)].name);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_UINT64:
		return json_integer(1 + (json_int_t)rnd(1000000));
	case PROTOBUF_C_TYPE_MESSAGE:
		return gen_message(f->descriptor, depth + 1, cats);
	default:
		fail_msg("field %s has a type the generator does not know", f->name);
	}
	return NULL;
}

static json_t *
gen_message(const ProtobufCMessageDescriptor *d, int depth, uint32_t *cats)
{
	json_t *o = json_object();

	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		uint32_t                        sub = 0;
		json_t                         *v;
		int                             cat;

		if (rnd(100) >= 35 || (f->type == PROTOBUF_C_TYPE_MESSAGE &&
		    depth >= MAX_DEPTH))
			continue;
		cat = refcat_field(d, f->id);
		assert_true(cat > 0);
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			unsigned n = 1 + rnd(2);

			v = json_array();
			for (unsigned k = 0; k < n; k++)
				json_array_append_new(v, gen_value(f, depth, &sub));
		} else {
			v = gen_value(f, depth, &sub);
		}
		json_object_set_new(o, f->name, v);
		*cats |= (1u << cat) | sub;
	}
	return o;
}

static const char *agencies[] = { "ml-bamako", "sn-dakar", "gh-accra", "ng-lagos" };

static void
gen_consents(struct consent *v, size_t n, uint64_t now)
{
	for (size_t i = 0; i < n; i++) {
		memset(&v[i], 0, sizeof(v[i]));
		v[i].id[0] = (uint8_t)i;
		v[i].nrecipients = 1 + rnd(2);
		for (size_t k = 0; k < v[i].nrecipients; k++)
			snprintf(v[i].recipients[k], sizeof(v[i].recipients[k]), "%s",
			    agencies[rnd(4)]);
		v[i].steps = rnd(256) & 0xfe;
		v[i].categories = rnd(256) & 0xfc;
		v[i].expires_at = rnd(4) == 0 ? now - 1 - rnd(100) :
		    rnd(2) ? 0 : now + 1 + rnd(100);
		v[i].withdrawn_at = rnd(6) == 0 ? now - 10 : 0;
	}
}

static int
covers(const struct consent *c, const char *to, unsigned step, uint32_t cats,
    uint64_t now)
{
	int named = 0;

	for (size_t k = 0; k < c->nrecipients; k++)
		named |= strcmp(c->recipients[k], to) == 0;
	return named && (c->steps & (1u << step)) != 0 &&
	    (cats & ~(1u << 1) & ~c->categories) == 0 && c->withdrawn_at == 0 &&
	    (c->expires_at == 0 || now < c->expires_at);
}

static void
test_gate_over_generated_documents(void **state)
{
	unsigned        released = 0, held = 0;
	const uint64_t  now = 1800000000000ull;

	(void)state;
	for (unsigned round = 0; round < ROUNDS; round++) {
		uint16_t                        t = doc_types[rnd(9)];
		const ProtobufCMessageDescriptor *d = refcat_descriptor(t);
		struct consent                  cs[4];
		struct consent_need             need;
		struct consent_verdict          v;
		ProtobufCMessage               *m = NULL;
		uint32_t                        oracle = 0, mask = 0;
		uint8_t                        *body;
		size_t                          len, n = rnd(5);
		char                            err[256];
		json_t                         *j;
		int                             any = 0;

		assert_non_null(d);
		j = gen_message(d, 1, &oracle);
		assert_int_equal(docjson_to_pb(j, d, &m, err, sizeof(err)), 0);
		json_decref(j);
		len = protobuf_c_message_get_packed_size(m);
		body = malloc(len ? len : 1);
		assert_non_null(body);
		protobuf_c_message_pack(m, body);
		protobuf_c_message_free_unpacked(m, NULL);
		assert_int_equal(refcat_of_body(t, body, len, &mask), 0);
		free(body);
		/* The derivation sees exactly what was generated. */
		assert_int_equal(mask, oracle);

		gen_consents(cs, n, now);
		need.recipient = agencies[rnd(4)];
		need.step = t <= 7 ? t : 1 + rnd(7);
		need.categories = mask;
		need.now = now;
		consent_decide(cs, n, &need, &v);
		for (size_t i = 0; i < n; i++)
			any |= covers(&cs[i], need.recipient, need.step, oracle, now);
		assert_int_equal(v.covered, any);
		if (v.covered) {
			size_t i;

			for (i = 0; i < n && memcmp(cs[i].id, v.consent_id, 16) != 0; i++)
				;
			assert_true(i < n);
			assert_true(covers(&cs[i], need.recipient, need.step, oracle, now));
			released++;
		} else {
			held++;
		}
	}
	/* Both outcomes were exercised. */
	assert_true(released > ROUNDS / 50);
	assert_true(held > ROUNDS / 50);
	printf("gate property: %u released, %u held\n", released, held);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gate_over_generated_documents),
	};
	const char *env = getenv("HOMEWARD_TEST_SEED");
	char        hex[2 * sizeof(seed) + 1];

	if (sodium_init() < 0)
		return 1;
	if (env != NULL && sodium_hex2bin(seed, sizeof(seed), env, strlen(env), NULL,
	    NULL, NULL) == 0)
		;
	else
		randombytes_buf(seed, sizeof(seed));
	printf("seed %s (replay with HOMEWARD_TEST_SEED)\n",
	    sodium_bin2hex(hex, sizeof(hex), seed, sizeof(seed)));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
