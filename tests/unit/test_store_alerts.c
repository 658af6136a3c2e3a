/* Unit tests: alerts that reach people (daemon/store/store_alerts.c) on a
 * real SQLite store.  Alerts of one kind from one peer about one case are
 * counted in one unacknowledged row, never urgent ones nor alerts about
 * one message; alert_command is due for every alert, urgent first, then
 * the oldest, and again after a failure until it succeeds; a gap is
 * alerted once it outlasts its time, once per gap, not per message held
 * behind it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>

#include <cmocka.h>
#include <sodium.h>

#include "daemon/base/log.h"
#include "daemon/store/store_case.h"
#include "keys/secret.h"
#include "tests/lib/storefix.h"

static int
setup(void **state)
{
	static struct storefix fx;

	if (storefix_open(&fx, "alerts") != 0)
		return -1;
	*state = &fx;
	return 0;
}

static int
teardown(void **state)
{
	storefix_remove(*state);
	return 0;
}

struct seen {
	struct store_alert      v[16];
	size_t                  n;
};

static int
seen_cb(const struct store_alert *a, void *arg)
{
	struct seen *s = arg;

	if (s->n < 16)
		s->v[s->n++] = *a;
	return 0;
}

static size_t
listed(struct storefix *fx, struct seen *s)
{
	s->n = 0;
	assert_int_equal(store_alert_each(fx->st, 1, 100, seen_cb, s), 0);
	return s->n;
}

static void
test_aggregated_per_kind_peer_case(void **state)
{
	struct storefix        *fx = *state;
	struct seen             s;
	uint8_t                 other[ENV1_KEY_LEN], mid[ENV1_ID_LEN];

	randombytes_buf(other, sizeof(other));
	randombytes_buf(mid, sizeof(mid));
	assert_int_equal(store_alert_case(fx->st, "flow", 0, fx->peer, NULL,
	    "CI-AL-1", "first", 1000), 0);
	assert_int_equal(store_alert_case(fx->st, "flow", 0, fx->peer, NULL,
	    "CI-AL-1", "second", 2000), 0);
	assert_int_equal(listed(fx, &s), 1);
	assert_int_equal(s.v[0].count, 2);
	assert_int_equal(s.v[0].at, 1000);
	assert_int_equal(s.v[0].last_at, 2000);
	assert_string_equal(s.v[0].detail, "second");
	/* Another case, another peer, another kind, an urgent one: each its own. */
	assert_int_equal(store_alert_case(fx->st, "flow", 0, fx->peer, NULL,
	    "CI-AL-2", "x", 3000), 0);
	assert_int_equal(store_alert_case(fx->st, "flow", 0, other, NULL,
	    "CI-AL-1", "x", 3000), 0);
	assert_int_equal(store_alert_case(fx->st, "declined", 0, fx->peer, NULL,
	    "CI-AL-1", "x", 3000), 0);
	assert_int_equal(store_alert_case(fx->st, "no_show", 1, fx->peer, NULL,
	    "CI-AL-1", "x", 3000), 0);
	assert_int_equal(store_alert_case(fx->st, "no_show", 1, fx->peer, NULL,
	    "CI-AL-1", "x", 3001), 0);
	assert_int_equal(listed(fx, &s), 6);
	/* Acknowledged, the next one starts a row of its own. */
	assert_int_equal(store_alert_ack(fx->st, s.v[5].id, "tester", 4000), 0);
	assert_int_equal(store_alert_case(fx->st, "flow", 0, fx->peer, NULL,
	    "CI-AL-1", "third", 5000), 0);
	assert_int_equal(listed(fx, &s), 7);
	/* So does one an hour after the first. */
	assert_int_equal(store_alert_case(fx->st, "flow", 0, fx->peer, NULL,
	    "CI-AL-2", "late", 3000 + 3600 * 1000 + 1), 0);
	assert_int_equal(listed(fx, &s), 8);
	/* Protocol alerts: by kind and peer, unless they are about a message. */
	assert_int_equal(store_alert_add(fx->st, "identity", fx->peer, NULL, NULL,
	    "a", NULL, 0, 6000), 0);
	assert_int_equal(store_alert_add(fx->st, "identity", fx->peer, NULL, NULL,
	    "b", NULL, 0, 6001), 0);
	assert_int_equal(store_alert_add(fx->st, "equivocation", fx->peer, mid,
	    NULL, "c", NULL, 0, 6002), 0);
	assert_int_equal(store_alert_add(fx->st, "equivocation", fx->peer, mid,
	    NULL, "d", NULL, 0, 6003), 0);
	assert_int_equal(listed(fx, &s), 11);
}

static void
test_command_due_urgent_first_until_done(void **state)
{
	struct storefix        *fx = *state;
	struct store_alert      v[8];
	size_t                  n;
	unsigned                attempts;

	assert_int_equal(store_alert_case(fx->st, "declined", 0, fx->peer, NULL,
	    "CI-AL-3", "x", 1000), 0);
	assert_int_equal(store_alert_case(fx->st, "no_show", 1, fx->peer, NULL,
	    "CI-AL-4", "x", 2000), 0);
	assert_int_equal(store_alert_add(fx->st, "identity", fx->peer, NULL, NULL,
	    "y", NULL, 0, 3000), 0);
	assert_int_equal(store_alert_pending(fx->st, 10000, 8, v, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].kind, "no_show");
	assert_string_equal(v[1].kind, "declined");
	assert_string_equal(v[2].kind, "identity");
	/* The urgent one's command failed: due again at 20000, not before. */
	assert_int_equal(store_alert_notified(fx->st, v[0].id, 0, 20000), 0);
	assert_int_equal(store_alert_attempts(fx->st, v[0].id, &attempts), 0);
	assert_int_equal(attempts, 1);
	assert_int_equal(store_alert_notified(fx->st, v[1].id, 1, 0), 0);
	assert_int_equal(store_alert_pending(fx->st, 10000, 8, v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].kind, "identity");
	assert_int_equal(store_alert_pending(fx->st, 20000, 8, v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].kind, "no_show");
	/* Limited to what was asked; then none once quiet. */
	assert_int_equal(store_alert_pending(fx->st, 20000, 1, v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_alert_quiet(fx->st), 0);
	assert_int_equal(store_alert_pending(fx->st, 99999, 8, v, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_alert_attempts(fx->st, 999, &attempts), -ENOENT);
}

static void
test_gaps_due_once(void **state)
{
	struct storefix        *fx = *state;
	struct store_gap        g[4];
	struct store_in         early, late, ok;
	uint8_t                 tid[ENV1_ID_LEN];
	size_t                  n;

	storefix_thread(fx, tid);
	storefix_in(fx, tid, 3, IN_GAP_HELD, "e3", &early);     /* received at 8 */
	storefix_in(fx, tid, 9, IN_GAP_HELD, "e9", &late);      /* at 14 */
	storefix_in(fx, tid, 1, IN_ACCEPTED, "e1", &ok);
	assert_int_equal(store_alert_gaps_due(fx->st, 10, 4, g, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(g[0].message_id, early.message_id, ENV1_ID_LEN);
	assert_int_equal(g[0].seq, 3);
	assert_int_equal(store_alert_add(fx->st, "gap", fx->peer, g[0].message_id,
	    g[0].thread_id, "held", NULL, 0, 20), 0);
	assert_int_equal(store_alert_gaps_due(fx->st, 10, 4, g, &n), 0);
	assert_int_equal(n, 0);
	/* Position 9 waits behind the same gap: no second alert for it. */
	assert_int_equal(store_alert_gaps_due(fx->st, 100, 4, g, &n), 0);
	assert_int_equal(n, 0);
	/* Position 3 came in order; 9 now waits for another gap. */
	assert_int_equal(store_in_set_state(fx->st, fx->peer, early.message_id,
	    IN_ACCEPTED), 0);
	assert_int_equal(store_alert_gaps_due(fx->st, 100, 4, g, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(g[0].message_id, late.message_id, ENV1_ID_LEN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_aggregated_per_kind_peer_case,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_due_urgent_first_until_done,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_gaps_due_once, setup, teardown),
	};

	if (secret_init() != 0)
		return 1;
	log_init(0, LOG_LEVEL_WARN, "test_store_alerts");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
