/*
 * ctlstub: a helper program for tests/integration/cli_usage.sh (not a test
 * itself).  A stand-in for homewardd's control side: the real control
 * socket code (daemon/ctl/control.c) with a handler that answers from fixed,
 * synthetic data, so the CLI's requests and output can be checked without
 * a daemon, a store or peers.  Every request is logged on stdout, one line
 * each, for the script to check what the CLI sent.
 *
 *   ctlstub serve SOCKET READY_FIFO   answer until SIGTERM; "ready" is
 *                                     written to READY_FIFO once listening
 *   ctlstub bundle LABEL FILE         write a synthetic agency's bundle
 *                                     (endpoint LABEL.example:7443)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "daemon/ctl/control.h"
#include "daemon/base/log.h"
#include "keys/bundle.h"
#include "keys/fingerprint.h"
#include "keys/secret.h"
#include "tests/lib/fixture.h"

#define R(x)            HOMEWARD__CONTROL__RESULT_CODE__RESULT_ ## x
#define KNOWN_ID        "00112233445566778899aabbccddeeff"
#define THREAD_ID       "f0e1d2c3b4a5968778695a4b3c2d1e0f"
#define T0              FIXTURE_NOW

static uint8_t known_id[16], thread_id[16];

static void
unhex(const char *s, uint8_t *out)
{
	for (size_t i = 0; i < 16; i++)
		sscanf(s + 2 * i, "%2hhx", &out[i]);
}

static const char *
hex(ProtobufCBinaryData b)
{
	static char out[65];

	out[0] = '\0';
	for (size_t i = 0; i < b.len && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", b.data[i]);
	return b.len > 0 ? out : "-";
}

static void
send_kind(struct control_client *c, Homeward__Control__Response__KindCase k,
    void *msg)
{
	Homeward__Control__Response r = HOMEWARD__CONTROL__RESPONSE__INIT;

	r.kind_case = k;
	r.status = msg;         /* every message kind shares the pointer */
	control_send(c, &r);
}

static void
peer_info(Homeward__Control__PeerInfo *p, const char *id, int connected,
    int suspended)
{
	Homeward__Control__PeerInfo init = HOMEWARD__CONTROL__PEER_INFO__INIT;

	*p = init;
	p->agency_id = (char *)id;
	p->name = "Synthetic agency";
	p->country = "ZZ";
	p->time_zone = "Etc/UTC";
	p->endpoint = suspended ? "" : "beta.example:7443";
	p->fingerprint = "11111 22222 33333 44444 55555 66666 77777 88888";
	p->verified = !suspended;
	p->suspended = suspended;
	p->connected = connected;
	p->imported_at = T0 - 86400000ull;
	p->last_seen_at = connected ? T0 + 1000 : 0;
	p->outbox_unacked = connected ? 2 : 0;
	p->valid_prekeys = connected ? 4 : 0;
	p->unreachable_since = connected ? 0 : T0 - 7200000ull;
	p->dsk_not_after = T0 + 395 * 86400000ull;
	p->prekey_not_after = connected ? T0 + 14 * 86400000ull : 0;
}

static void
message_info(Homeward__Control__MessageInfo *m, int n, int out)
{
	Homeward__Control__MessageInfo init = HOMEWARD__CONTROL__MESSAGE_INFO__INIT;

	*m = init;
	m->message_id.data = known_id;
	m->message_id.len = 16;
	m->direction = out ? HOMEWARD__CONTROL__DIRECTION__DIRECTION_OUT :
	    HOMEWARD__CONTROL__DIRECTION__DIRECTION_IN;
	m->peer = "beta";
	m->thread_id.data = thread_id;
	m->thread_id.len = 16;
	m->seq = (uint64_t)n + 1;
	m->msg_type = n == 0 ? ENV1_MSG_TEST_DOCUMENT : ENV1_MSG_ASSISTANCE_REQUEST;
	m->state = n == 0 ? "delivered" : "sealed";
	m->created_at = T0 + (uint64_t)n * 60000;
	m->sent_at = m->created_at + 500;
	m->attempts = (uint32_t)n + 1;
	m->delivered_at = n == 0 ? m->created_at + 2000 : 0;
	m->body_len = 20;
	m->h_inner.data = thread_id;
	m->h_inner.len = 16;
}

static void
on_status(struct control_client *c)
{
	Homeward__Control__Status s = HOMEWARD__CONTROL__STATUS__INIT;

	s.agency_id = "alpha";
	s.fingerprint = "12345 67890 12345 67890 12345 67890 12345 67890";
	s.software = "homewardd 0.1.0";
	s.started_at = T0;
	s.now = T0 + 3723000;
	s.peers_total = 2;
	s.peers_connected = 1;
	s.outbox_unacked = 3;
	s.outbox_waiting = 1;
	s.oldest_unacked_at = T0 + 60000;
	s.oldest_unacked_id.data = known_id;
	s.oldest_unacked_id.len = 16;
	s.inbox_total = 5;
	s.inbox_gap_held = 1;
	s.open_alerts = 2;
	s.urgent_alerts = 1;
	s.oldest_urgent_at = T0 + 120000;
	s.tls_not_after = T0 + 365 * 86400000ull;
	s.dsk_not_after = T0 + 395 * 86400000ull;
	s.data_bytes = 3 * 1048576;
	s.data_max_bytes = 4096 * 1048576ull;
	s.disk_free_bytes = 20480 * 1048576ull;
	s.listen = "0.0.0.0:7443";
	send_kind(c, HOMEWARD__CONTROL__RESPONSE__KIND_STATUS, &s);
	control_result(c, R(OK), "%s", "");
}

static void
on_import(struct control_client *c, const Homeward__Control__PeerImport *pi)
{
	Homeward__Control__PeerInfo p;
	struct bundle b;
	char why[BUNDLE_WHY_LEN], fp[FP_DISPLAY_BUFLEN];

	if (bundle_parse(pi->bundle.data, pi->bundle.len, &b, why) != ENV1_OK) {
		control_result(c, R(REFUSED), "bundle refused: %s", why);
		return;
	}
	fp_display(b.info.rik, fp);
	printf("import %s fingerprint=\"%s\" endpoint=\"%s\"\n", b.info.agency_id,
	    pi->fingerprint, pi->endpoint);
	if (strcmp(fp, pi->fingerprint) != 0) {
		control_result(c, R(REFUSED), "fingerprint mismatch");
	} else {
		peer_info(&p, b.info.agency_id, 0, 0);
		p.fingerprint = fp;
		p.last_seen_at = 0;
		send_kind(c, HOMEWARD__CONTROL__RESPONSE__KIND_PEER, &p);
		control_result(c, R(OK), "%s", "");
	}
	bundle_free(&b);
}

static void
on_request(struct control_client *c, uid_t uid,
    const Homeward__Control__Request *req, void *arg)
{
	Homeward__Control__PeerInfo p1, p2;
	Homeward__Control__MessageInfo m1, m2;
	Homeward__Control__Response ev = HOMEWARD__CONTROL__RESPONSE__INIT;
	const Homeward__Control__MessageList *ml;

	(void)uid;
	(void)arg;
	switch (req->kind_case) {
	case HOMEWARD__CONTROL__REQUEST__KIND_STATUS:
		printf("status\n");
		on_status(c);
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_PEERS_LIST:
		printf("peers\n");
		peer_info(&p1, "beta", 1, 0);
		peer_info(&p2, "gamma", 0, 1);
		send_kind(c, HOMEWARD__CONTROL__RESPONSE__KIND_PEER, &p1);
		send_kind(c, HOMEWARD__CONTROL__RESPONSE__KIND_PEER, &p2);
		control_result(c, R(OK), "%s", "");
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_PEER_IMPORT:
		on_import(c, req->peer_import);
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_PEER_ACTION:
		printf("peer %s action=%d fingerprint=\"%s\"\n",
		    req->peer_action->agency_id, (int)req->peer_action->action,
		    req->peer_action->fingerprint);
		if (strcmp(req->peer_action->agency_id, "beta") != 0)
			control_result(c, R(NOT_FOUND), "no peer %s: see 'homeward "
			    "peers'", req->peer_action->agency_id);
		else
			control_result(c, R(OK), "%s", "");
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_MESSAGE_LIST:
		ml = req->message_list;
		printf("list direction=%d peer=\"%s\" state=\"%s\" limit=%u\n",
		    (int)ml->direction, ml->peer, ml->state, ml->limit);
		if (ml->direction == HOMEWARD__CONTROL__DIRECTION__DIRECTION_OUT) {
			message_info(&m1, 0, 1);
			message_info(&m2, 1, 1);
			send_kind(c, HOMEWARD__CONTROL__RESPONSE__KIND_MESSAGE, &m1);
			send_kind(c, HOMEWARD__CONTROL__RESPONSE__KIND_MESSAGE, &m2);
		}
		control_result(c, R(OK), "%s", "");
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_MESSAGE_SHOW:
		printf("show direction=%d id=%s with_body=%d\n",
		    (int)req->message_show->direction,
		    hex(req->message_show->message_id), req->message_show->with_body);
		if (strcmp(hex(req->message_show->message_id), KNOWN_ID) != 0) {
			control_result(c, R(NOT_FOUND), "no message %s",
			    hex(req->message_show->message_id));
			break;
		}
		message_info(&m1, 0, req->message_show->direction ==
		    HOMEWARD__CONTROL__DIRECTION__DIRECTION_OUT);
		if (req->message_show->with_body) {
			m1.body.data = (uint8_t *)"synthetic test body\n";
			m1.body.len = 20;
		}
		send_kind(c, HOMEWARD__CONTROL__RESPONSE__KIND_MESSAGE, &m1);
		control_result(c, R(OK), "%s", "");
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_EVIDENCE_EXPORT:
		printf("evidence id=%s\n", hex(req->evidence_export->message_id));
		ev.kind_case = HOMEWARD__CONTROL__RESPONSE__KIND_EVIDENCE;
		ev.evidence.data = (uint8_t *)"synthetic evidence\n";
		ev.evidence.len = 19;
		control_send(c, &ev);
		control_result(c, R(OK), "%s", "");
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_SEND:
		printf("send peer=%s type=0x%04x len=%zu thread=%s",
		    req->send->peer, req->send->msg_type, req->send->body.len,
		    hex(req->send->thread_id));
		printf(" reply_to=%s\n", hex(req->send->in_reply_to));
		message_info(&m1, 1, 1);
		m1.state = "waiting";
		m1.seq = 1;
		send_kind(c, HOMEWARD__CONTROL__RESPONSE__KIND_MESSAGE, &m1);
		control_result(c, R(OK), "%s", "");
		break;
	case HOMEWARD__CONTROL__REQUEST__KIND_LOG_LEVEL:
		printf("log-level %s\n", req->log_level->level);
		control_result(c, R(OK), "%s", "");
		break;
	default:
		control_result(c, R(USAGE), "unknown request");
		break;
	}
	fflush(stdout);
}

static void
on_signal(uv_signal_t *s, int signum)
{
	(void)signum;
	control_close(s->data);
	uv_close((uv_handle_t *)s, NULL);
}

static int
serve(const char *path, const char *ready)
{
	struct control *ctl;
	uv_signal_t sig;
	char *cause = NULL;
	FILE *f;
	int r;

	unhex(KNOWN_ID, known_id);
	unhex(THREAD_ID, thread_id);
	log_init(0, LOG_LEVEL_WARN, "ctlstub");
	signal(SIGPIPE, SIG_IGN);
	r = control_open(uv_default_loop(), path, (gid_t)-1, on_request, NULL,
	    &ctl, &cause);
	if ((f = fopen(ready, "w")) != NULL) {
		fprintf(f, "%s\n", r == 0 ? "ready" : "failed");
		fclose(f);
	}
	if (r != 0) {
		fprintf(stderr, "ctlstub: %s\n", cause);
		free(cause);
		return 1;
	}
	uv_signal_init(uv_default_loop(), &sig);
	sig.data = ctl;
	uv_signal_start_oneshot(&sig, on_signal, SIGTERM);
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	uv_loop_close(uv_default_loop());
	return 0;
}

static int
write_bundle(const char *label, const char *path)
{
	struct fixture_agency a;
	struct agency_info ai;
	struct bundle_parts p;
	uint8_t *info, sig[ENV1_SIG_LEN], *buf;
	size_t infolen, len;
	int r;

	fixture_agency_make(&a, label, FIXTURE_NOW);
	memset(&ai, 0, sizeof(ai));
	snprintf(ai.agency_id, sizeof(ai.agency_id), "%s", label);
	snprintf(ai.name, sizeof(ai.name), "Synthetic agency %s", label);
	snprintf(ai.country, sizeof(ai.country), "ZZ");
	snprintf(ai.time_zone, sizeof(ai.time_zone), "Etc/UTC");
	snprintf(ai.endpoint, sizeof(ai.endpoint), "%s.example:7443", label);
	memcpy(ai.rik, a.rik_pk, ENV1_KEY_LEN);
	ai.issued_at = a.id.cert.not_before;
	if (bundle_sign_agency(&ai, a.rik_sk, &info, &infolen, sig) != ENV1_OK)
		return 1;
	memset(&p, 0, sizeof(p));
	p.agency_info = info;
	p.agency_info_len = infolen;
	p.agency_sig = sig;
	p.certs = &a.id.cert;
	p.ncerts = 1;
	p.prekeys = &a.prekey.stmt;
	p.nprekeys = 1;
	r = bundle_build(a.rik_pk, &p, &buf, &len);
	free(info);
	fixture_agency_free(&a);
	if (r != ENV1_OK)
		return 1;
	r = fileio_write_atomic(path, buf, len, 0644, 1);
	free(buf);
	return r == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (secret_init() != 0)
		return 1;
	if (argc == 4 && strcmp(argv[1], "serve") == 0)
		return serve(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "bundle") == 0)
		return write_bundle(argv[2], argv[3]);
	fprintf(stderr, "usage: ctlstub serve SOCKET READY_FIFO | "
	    "ctlstub bundle LABEL FILE\n");
	return 2;
}
