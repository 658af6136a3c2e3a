/*
 * Unit tests: daemon connections (daemon/net/conn.c, tls.c) against peers
 * played with OpenSSL directly in a thread (tests/lib/tlspeer.c): a frame
 * announced over the cap, TLS 1.2 on either side, a client without a
 * certificate, a certificate out of its validity in either role, a reader
 * that stalls (backpressure); and loading the TLS
 * identity from files.  Every run waits on events; the watchdog and the
 * peers' socket timeouts only turn a hang into a failure.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/fileio.h"
#include "daemon/net/conn.h"
#include "daemon/base/log.h"
#include "proto/frame.h"
#include "tests/lib/connenv.h"
#include "tests/lib/tlspeer.h"

#define ALPHA   CONNENV_ALPHA
#define BETA    CONNENV_BETA

static struct connenv_ids ids;

static int
group_setup(void **state)
{
	(void)state;
	log_init(0, LOG_LEVEL_DEBUG, "test_conn_tls");
	connenv_ids_make(&ids);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	connenv_ids_free(&ids);
	return 0;
}

/* A client (as beta) of a listener (as alpha, pinning beta) in the given
 * mode; runs until the listener's connection closed. */
static void
serve_peer(struct connenv *e, struct tlspeer *p, enum tlspeer_mode mode,
    int who, int version)
{
	memset(p, 0, sizeof(*p));
	connenv_init(e);
	connenv_listen(e, &ids, ALPHA, ids.spki[BETA]);
	tlspeer_start(p, mode, who < 0 ? NULL : ids.crt[who],
	    who < 0 ? NULL : ids.key[who], version, e->port);
	assert_int_equal(connenv_run(e, connenv_srv_closed), 0);
	assert_int_equal(connenv_finish(e), 0);
	tlspeer_join(p);
}

static void
test_oversize_frame(void **state)
{
	struct connenv e;
	struct tlspeer p;

	(void)state;
	serve_peer(&e, &p, TLSPEER_OVERSIZE, BETA, TLS1_3_VERSION);
	assert_true(p.handshake_ok);
	assert_int_equal(e.srv.opened, 1);
	assert_int_equal(e.srv.frames, 0);
	assert_int_equal(e.srv.nclosed, 1);
	assert_int_equal(e.srv.reasons[0], CONN_CLOSE_FRAME);
	/* A close_notify went out before the socket closed. */
	assert_int_equal(p.closed, 1);
}

static void
test_tls12_client_refused(void **state)
{
	struct connenv e;
	struct tlspeer p;

	(void)state;
	serve_peer(&e, &p, TLSPEER_HANDSHAKE, BETA, TLS1_2_VERSION);
	assert_false(p.handshake_ok);
	assert_int_equal(e.srv.verified, 0);
	assert_int_equal(e.srv.nclosed, 1);
	assert_int_equal(e.srv.reasons[0], CONN_CLOSE_TLS);
}

static void
test_client_without_certificate(void **state)
{
	struct connenv e;
	struct tlspeer p;

	(void)state;
	serve_peer(&e, &p, TLSPEER_HANDSHAKE, -1, TLS1_3_VERSION);
	assert_int_equal(e.srv.verified, 0);
	assert_int_equal(e.srv.nclosed, 1);
	assert_int_equal(e.srv.reasons[0], CONN_CLOSE_TLS);
}

static void
test_tls12_server_refused(void **state)
{
	struct connenv e;
	struct tlspeer p;
	uint16_t port;

	(void)state;
	memset(&p, 0, sizeof(p));
	port = tlspeer_listen(&p);
	tlspeer_start(&p, TLSPEER_SERVER, ids.crt[ALPHA], ids.key[ALPHA],
	    TLS1_2_VERSION, 0);
	connenv_init(&e);
	connenv_dial(&e, &ids, BETA, ids.spki[ALPHA], "127.0.0.1", port);
	assert_int_equal(connenv_run(&e, connenv_cli_closed), 0);
	assert_int_equal(connenv_finish(&e), 0);
	tlspeer_join(&p);
	assert_false(p.handshake_ok);
	assert_int_equal(e.cli.verified, 0);
	assert_int_equal(e.cli.nclosed, 1);
	assert_int_equal(e.cli.reasons[0], CONN_CLOSE_TLS);
}

/* Send 64 KiB frames until refused; at the first refusal let the reader
 * start.  Runs from on_open and again from every on_drain. */
static void
slow_fill(struct connenv_side *s, struct conn *c)
{
	uint8_t *buf = malloc(TLSPEER_SLOW_FRAME);
	int rc;

	assert_non_null(buf);
	while (s->sent < TLSPEER_SLOW_FRAMES) {
		tlspeer_slow_frame(s->sent, buf);
		if ((rc = conn_send(c, buf, TLSPEER_SLOW_FRAME)) == -ENOBUFS) {
			assert_true(conn_queued(c) > CONN_HIGH_WATER);
			if (s->enobufs++ == 0)
				tlspeer_go(s->data);
			break;
		}
		assert_int_equal(rc, 0);
		s->sent++;
	}
	free(buf);
}

/* The peer reads nothing: conn_send refuses past the high-water mark;
 * once the peer reads, on_drain comes and every frame arrives, in order. */
static void
test_backpressure(void **state)
{
	struct connenv e;
	struct tlspeer p;

	(void)state;
	memset(&p, 0, sizeof(p));
	connenv_init(&e);
	connenv_listen(&e, &ids, ALPHA, ids.spki[BETA]);
	e.srv.open_hook = slow_fill;
	e.srv.drain_hook = slow_fill;
	e.srv.data = &p;
	tlspeer_start(&p, TLSPEER_SLOW_READER, ids.crt[BETA], ids.key[BETA],
	    TLS1_3_VERSION, e.port);
	/* The reader closes once it has every frame. */
	assert_int_equal(connenv_run(&e, connenv_srv_closed), 0);
	assert_int_equal(connenv_finish(&e), 0);
	tlspeer_join(&p);
	assert_true(e.srv.enobufs >= 1);
	assert_true(e.srv.drained >= 1);
	assert_int_equal(e.srv.sent, TLSPEER_SLOW_FRAMES);
	assert_int_equal(p.bad, 0);
	assert_int_equal(p.got, TLSPEER_SLOW_FRAMES);
	assert_int_equal(e.srv.nclosed, 1);
	assert_int_equal(e.srv.reasons[0], CONN_CLOSE_EOF);
}

/* path: a self-signed certificate for the key in keypath that expired
 * yesterday (or, future: becomes valid tomorrow); its SPKI, hence the
 * pin, is the key's. */
static void
write_stale_cert(const char *keypath, const char *path, int future)
{
	FILE *f;
	EVP_PKEY *pk;
	X509 *x;
	long from = future ? 86400 : -10 * 86400, to = future ? 10 * 86400 : -86400;

	assert_non_null(f = fopen(keypath, "r"));
	assert_non_null(pk = PEM_read_PrivateKey(f, NULL, NULL, NULL));
	fclose(f);
	assert_non_null(x = X509_new());
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 7), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), from));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), to));
	assert_int_equal(X509_set_pubkey(x, pk), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)"beta", -1, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(x, X509_get_subject_name(x)), 1);
	assert_true(X509_sign(x, pk, NULL) > 0);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(PEM_write_X509(f, x), 1);
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(pk);
}

/* PROTOCOL.md 16.1: a certificate outside its validity is refused in both
 * roles even though its key is the pinned one. */
static void
test_stale_certificate(void **state)
{
	struct connenv e;
	struct tlspeer p;
	char path[160];
	uint16_t port;

	(void)state;
	snprintf(path, sizeof(path), "%s/stale.crt", ids.dir);
	for (int future = 0; future < 2; future++) {
		write_stale_cert(ids.key[BETA], path, future);
		/* beta dials alpha's listener with it. */
		memset(&p, 0, sizeof(p));
		connenv_init(&e);
		connenv_listen(&e, &ids, ALPHA, ids.spki[BETA]);
		tlspeer_start(&p, TLSPEER_HANDSHAKE, path, ids.key[BETA],
		    TLS1_3_VERSION, e.port);
		assert_int_equal(connenv_run(&e, connenv_srv_closed), 0);
		assert_int_equal(connenv_finish(&e), 0);
		tlspeer_join(&p);
		assert_int_equal(e.srv.verified, 0);
		assert_int_equal(e.srv.reasons[0], CONN_CLOSE_TLS);
		/* alpha dials beta, which answers with it. */
		memset(&p, 0, sizeof(p));
		port = tlspeer_listen(&p);
		tlspeer_start(&p, TLSPEER_SERVER, path, ids.key[BETA],
		    TLS1_3_VERSION, 0);
		connenv_init(&e);
		connenv_dial(&e, &ids, ALPHA, ids.spki[BETA], "127.0.0.1", port);
		assert_int_equal(connenv_run(&e, connenv_cli_closed), 0);
		assert_int_equal(connenv_finish(&e), 0);
		tlspeer_join(&p);
		assert_int_equal(e.cli.verified, 0);
		assert_int_equal(e.cli.reasons[0], CONN_CLOSE_TLS);
	}
	unlink(path);
}

static void
test_tls_new_errors(void **state)
{
	struct conn_tls *t;
	char path[2][160], *cause;
	uint8_t *key;
	size_t len;

	(void)state;
	snprintf(path[0], sizeof(path[0]), "%s/open.key", ids.dir);
	snprintf(path[1], sizeof(path[1]), "%s/junk.crt", ids.dir);
	assert_int_equal(fileio_read(ids.key[ALPHA], 65536, 1, &key, &len), 0);
	assert_int_equal(fileio_write_atomic(path[0], key, len, 0644, 0), 0);
	free(key);
	assert_int_equal(fileio_write_atomic(path[1], "junk\n", 5, 0644, 0), 0);

	assert_int_equal(conn_tls_new("/nonexistent/tls.crt", ids.key[ALPHA],
	    &t, &cause), -ENOENT);
	assert_null(t);
	assert_non_null(cause);
	free(cause);
	/* Someone else's key with our certificate. */
	assert_int_equal(conn_tls_new(ids.crt[ALPHA], ids.key[BETA], &t, &cause),
	    -EINVAL);
	assert_null(t);
	assert_non_null(strstr(cause, "does not match"));
	free(cause);
	/* A key others may read is not used. */
	assert_int_equal(conn_tls_new(ids.crt[ALPHA], path[0], &t, &cause),
	    -EPERM);
	free(cause);
	assert_int_equal(conn_tls_new(path[1], ids.key[ALPHA], &t, &cause),
	    -EINVAL);
	assert_non_null(strstr(cause, "not a PEM certificate"));
	free(cause);
	/* And the good pair loads. */
	assert_int_equal(conn_tls_new(ids.crt[ALPHA], ids.key[ALPHA], &t,
	    &cause), 0);
	assert_non_null(t);
	assert_null(cause);
	conn_tls_free(t);
	conn_tls_free(NULL);
	unlink(path[0]);
	unlink(path[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oversize_frame),
		cmocka_unit_test(test_tls12_client_refused),
		cmocka_unit_test(test_client_without_certificate),
		cmocka_unit_test(test_tls12_server_refused),
		cmocka_unit_test(test_backpressure),
		cmocka_unit_test(test_tls_new_errors),
		cmocka_unit_test(test_stale_certificate),
	};

	/* A peer that goes away mid-write must not kill the process; the
	 * daemon ignores SIGPIPE the same way. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
