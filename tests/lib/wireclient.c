/*
 * A blocking wire client for test tools (see wireclient.h).  Plain
 * sockets and SSL_connect: a tool plays one conversation at a time, so
 * none of the daemon's event machinery is needed or exercised here.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "proto/frame.h"
#include "tests/lib/wireclient.h"

int
wclient_tcp(const char *host, const char *port, int *out)
{
	struct addrinfo hints, *res;
	struct timeval tv = { 1, 0 };
	int fd, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -EINVAL;
	if ((fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		rc = -errno;
		goto out;
	}
	/* Short waits, so that callers check their deadline between them. */
	if (connect(fd, res->ai_addr, res->ai_addrlen) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
		rc = -errno;
		close(fd);
		goto out;
	}
	*out = fd;
	rc = 0;
out:
	freeaddrinfo(res);
	return rc;
}

void
wclient_local_name(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char ip[NI_MAXHOST], port[NI_MAXSERV];

	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0 ||
	    getnameinfo((struct sockaddr *)&ss, sslen, ip, sizeof(ip), port,
	    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf, len, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", ip, port);
}

static int
use_fresh(SSL_CTX *ctx, const struct tlscert *tc)
{
	BIO *b = NULL;
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	int rc = -EINVAL;

	if ((b = BIO_new_mem_buf(tc->crt_pem, (int)tc->crt_len)) == NULL ||
	    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL)
		goto out;
	BIO_free(b);
	b = NULL;
	if ((b = BIO_new_mem_buf(tc->key_pem, (int)tc->key_len)) == NULL ||
	    (k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL)
		goto out;
	if (SSL_CTX_use_certificate(ctx, x) == 1 && SSL_CTX_use_PrivateKey(ctx, k) == 1)
		rc = 0;
out:
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(k);
	return rc;
}

void
wclient_set_deadline(struct wclient *c, unsigned seconds)
{
	c->deadline = time(NULL) + (time_t)seconds;
}

int
wclient_open(struct wclient *c, const char *host, const char *port,
    const struct wclient_id *id, unsigned deadline_s)
{
	int v = id->tls12 ? TLS1_2_VERSION : TLS1_3_VERSION;
	int rc, r;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	wclient_set_deadline(c, deadline_s);
	if ((c->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(c->ctx, v) != 1 ||
	    SSL_CTX_set_max_proto_version(c->ctx, v) != 1)
		return -ENOMEM;
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
	if (id->crt_path != NULL &&
	    (SSL_CTX_use_certificate_file(c->ctx, id->crt_path, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(c->ctx, id->key_path, SSL_FILETYPE_PEM) != 1))
		return -EINVAL;
	if (id->fresh != NULL && (rc = use_fresh(c->ctx, id->fresh)) != 0)
		return rc;
	if ((rc = wclient_tcp(host, port, &c->fd)) != 0)
		return rc;
	if ((c->ssl = SSL_new(c->ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
		return -ENOMEM;
	for (;;) {
		ERR_clear_error();
		if ((r = SSL_connect(c->ssl)) == 1)
			return 0;
		r = SSL_get_error(c->ssl, r);
		if ((r != SSL_ERROR_WANT_READ && r != SSL_ERROR_WANT_WRITE) ||
		    time(NULL) >= c->deadline)
			break;
	}
	ERR_clear_error();
	return r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE ?
	    -ETIMEDOUT : -ECONNRESET;
}

void
wclient_close(struct wclient *c)
{
	if (c == NULL)
		return;
	if (c->ssl != NULL) {
		(void)SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	if (c->fd >= 0)
		close(c->fd);
	SSL_CTX_free(c->ctx);
	ERR_clear_error();
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* After a failed SSL call: 0 when it only waited (try again), else why. */
static int
ssl_status(struct wclient *c, int ret)
{
	int e = SSL_get_error(c->ssl, ret);

	ERR_clear_error();
	if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
		return -ECONNRESET;     /* EOF, close_notify, alert, reset */
	return time(NULL) < c->deadline ? 0 : -ETIMEDOUT;
}

int
wclient_read(struct wclient *c, uint8_t *p, size_t n)
{
	size_t got;
	int r, rc;

	while (n > 0) {
		if ((r = SSL_read_ex(c->ssl, p, n, &got)) != 1) {
			if ((rc = ssl_status(c, r)) != 0)
				return rc;
			continue;
		}
		p += got;
		n -= got;
	}
	return 0;
}

int
wclient_write(struct wclient *c, const uint8_t *p, size_t n)
{
	size_t put;
	int r, rc;

	while (n > 0) {
		if ((r = SSL_write_ex(c->ssl, p, n, &put)) != 1) {
			if ((rc = ssl_status(c, r)) != 0)
				return rc;
			continue;
		}
		p += put;
		n -= put;
	}
	return 0;
}

int
wclient_read_frame(struct wclient *c, uint8_t **payload, size_t *len)
{
	uint8_t hdr[FRAME_HDR_LEN], *p;
	uint32_t n;
	int rc;

	if ((rc = wclient_read(c, hdr, sizeof(hdr))) != 0)
		return rc;
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	    (uint32_t)hdr[2] << 8 | hdr[3];
	if (n > FRAME_WIRE_MAX)
		return -EMSGSIZE;
	if ((p = malloc(n + 1)) == NULL)
		return -ENOMEM;
	if ((rc = wclient_read(c, p, n)) != 0) {
		free(p);
		return rc;
	}
	*payload = p;
	*len = n;
	return 0;
}

int
wclient_send_frame(struct wclient *c, Homeward__Wire__Frame *f)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if ((rc = wire_frame_encode(f, &buf, &len)) != 0)
		return rc;
	rc = wclient_write(c, buf, len);
	free(buf);
	return rc;
}

int
wclient_send_hello(struct wclient *c, const uint8_t rik[32])
{
	Homeward__Wire__Frame f = HOMEWARD__WIRE__FRAME__INIT;
	Homeward__Wire__Hello h = HOMEWARD__WIRE__HELLO__INIT;

	h.rik.data = (uint8_t *)rik;
	h.rik.len = 32;
	h.software = (char *)"homeward test client";
	f.kind_case = HOMEWARD__WIRE__FRAME__KIND_HELLO;
	f.hello = &h;
	return wclient_send_frame(c, &f);
}

int
wclient_send_envelope(struct wclient *c, const uint8_t *env, size_t len)
{
	Homeward__Wire__Frame f = HOMEWARD__WIRE__FRAME__INIT;

	f.kind_case = HOMEWARD__WIRE__FRAME__KIND_ENVELOPE;
	f.envelope.data = (uint8_t *)env;
	f.envelope.len = len;
	return wclient_send_frame(c, &f);
}
