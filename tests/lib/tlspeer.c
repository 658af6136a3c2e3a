/* OpenSSL peers in a thread for connection tests (see tlspeer.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/bytes.h"
#include "proto/frame.h"
#include "tests/lib/connenv.h"
#include "tests/lib/tlspeer.h"

static void
die(const char *what)
{
	fprintf(stderr, "tlspeer: %s\n", what);
	abort();
}

void
tlspeer_slow_frame(uint64_t seq, uint8_t p[TLSPEER_SLOW_FRAME])
{
	be64_put(p, seq);
	for (size_t j = 8; j < TLSPEER_SLOW_FRAME; j++)
		p[j] = (uint8_t)(seq * 131 + j * 7);
}

static int
read_full(SSL *ssl, uint8_t *p, size_t n)
{
	size_t got;

	while (n > 0) {
		if (SSL_read_ex(ssl, p, n, &got) != 1)
			return -1;
		p += got;
		n -= got;
	}
	return 0;
}

/* Read and drop until the end: 1 for a close_notify, 2 for anything else. */
static int
until_close(SSL *ssl)
{
	uint8_t buf[4096];
	size_t got;

	while (SSL_read_ex(ssl, buf, sizeof(buf), &got) == 1)
		continue;
	return SSL_get_error(ssl, 0) == SSL_ERROR_ZERO_RETURN ? 1 : 2;
}

static void
slow_read(struct tlspeer *r, SSL *ssl)
{
	uint8_t hdr[FRAME_HDR_LEN], *p, *want;
	char go;

	if (read(r->go[0], &go, 1) != 1) {
		r->bad++;
		return;
	}
	p = malloc(TLSPEER_SLOW_FRAME);
	want = malloc(TLSPEER_SLOW_FRAME);
	if (p == NULL || want == NULL) {
		r->bad++;
		goto out;
	}
	for (r->got = 0; r->got < TLSPEER_SLOW_FRAMES; r->got++) {
		tlspeer_slow_frame(r->got, want);
		if (read_full(ssl, hdr, sizeof(hdr)) != 0 ||
		    be32_get(hdr) != TLSPEER_SLOW_FRAME ||
		    read_full(ssl, p, TLSPEER_SLOW_FRAME) != 0 ||
		    memcmp(p, want, TLSPEER_SLOW_FRAME) != 0) {
			r->bad++;
			break;
		}
	}
	(void)SSL_shutdown(ssl);
out:
	free(p);
	free(want);
}

static void *
peer_main(void *arg)
{
	struct tlspeer *r = arg;
	struct timeval tv = { TLSPEER_TIMEOUT_S, 0 };
	uint8_t hdr[FRAME_HDR_LEN];
	SSL *ssl = NULL;
	int fd;

	if (r->mode == TLSPEER_SERVER)
		fd = accept(r->lfd, NULL, NULL);
	else
		fd = connenv_tcp_connect(r->port);
	if (fd == -1)
		return NULL;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if ((ssl = SSL_new(r->ctx)) == NULL || SSL_set_fd(ssl, fd) != 1)
		goto out;
	if (r->mode == TLSPEER_SERVER)
		r->handshake_ok = SSL_accept(ssl) == 1;
	else
		r->handshake_ok = SSL_connect(ssl) == 1;
	if (!r->handshake_ok)
		goto out;
	switch (r->mode) {
	case TLSPEER_OVERSIZE:
		be32_put(hdr, FRAME_WIRE_MAX + 1);
		if (SSL_write(ssl, hdr, sizeof(hdr)) == sizeof(hdr))
			r->closed = until_close(ssl);
		break;
	case TLSPEER_SLOW_READER:
		slow_read(r, ssl);
		break;
	default:
		break;
	}
out:
	SSL_free(ssl);
	close(fd);
	return NULL;
}

uint16_t
tlspeer_listen(struct tlspeer *r)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((r->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(r->lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(r->lfd, 1) == -1 ||
	    getsockname(r->lfd, (struct sockaddr *)&sin, &len) == -1)
		die("listen");
	return ntohs(sin.sin_port);
}

void
tlspeer_start(struct tlspeer *r, enum tlspeer_mode mode, const char *crt,
    const char *key, int version, uint16_t port)
{
	SSL_CTX *ctx;

	r->mode = mode;
	r->port = port;
	ctx = SSL_CTX_new(mode == TLSPEER_SERVER ? TLS_server_method() :
	    TLS_client_method());
	if (ctx == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, version) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, version) != 1)
		die("SSL_CTX");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (crt != NULL && (SSL_CTX_use_certificate_file(ctx, crt,
	    SSL_FILETYPE_PEM) != 1 || SSL_CTX_use_PrivateKey_file(ctx, key,
	    SSL_FILETYPE_PEM) != 1))
		die("certificate");
	r->ctx = ctx;
	if (mode == TLSPEER_SLOW_READER && pipe(r->go) == -1)
		die("pipe");
	if (pthread_create(&r->th, NULL, peer_main, r) != 0)
		die("pthread_create");
}

void
tlspeer_go(struct tlspeer *r)
{
	if (write(r->go[1], "g", 1) != 1)
		die("write");
}

void
tlspeer_join(struct tlspeer *r)
{
	if (pthread_join(r->th, NULL) != 0)
		die("pthread_join");
	SSL_CTX_free(r->ctx);
	r->ctx = NULL;
	if (r->mode == TLSPEER_SERVER)
		close(r->lfd);
	if (r->mode == TLSPEER_SLOW_READER) {
		close(r->go[0]);
		close(r->go[1]);
	}
}
