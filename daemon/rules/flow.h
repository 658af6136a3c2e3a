/*
 * The order rules of the referral procedure (design.md section 2), for one
 * thread: one case with one partner agency.  Pure: no I/O, no SQL, no
 * clock.  The caller persists struct flow_state as integers, asks
 * flow_check before it sends or applies a document, and flow_apply after
 * the document was committed.
 *
 * Steps are numbered as referral.proto's Step enum (equal to msg_type):
 * 1 request for assistance, 2 assistance confirmation, 3 reintegration
 * request, 4 reintegration confirmation, 5 departure notification,
 * 6 arrival confirmation, 7 follow-up report.
 */
#ifndef HOMEWARD_DAEMON_RULES_FLOW_H
#define HOMEWARD_DAEMON_RULES_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* The role of the agency SENDING the document. */
enum flow_role {
	FLOW_DESTINATION        = 1,
	FLOW_ORIGIN             = 2,
};

enum flow_request {
	FLOW_REQ_NONE,
	FLOW_REQ_PENDING,
	FLOW_REQ_ACCEPTED,
	FLOW_REQ_DECLINED,
	FLOW_REQ_MORE_INFO,
};

enum flow_reint {
	FLOW_REINT_NONE,
	FLOW_REINT_PENDING,
	FLOW_REINT_CONFIRMED,
};

enum flow_departure {
	FLOW_DEP_NONE,
	FLOW_DEP_PROVISIONAL,
	FLOW_DEP_FINAL,
};

enum flow_arrival {
	FLOW_ARR_NONE,
	FLOW_ARR_MET,
	FLOW_ARR_NOT_ARRIVED,
	FLOW_ARR_DELAYED,
};

/* Persisted by the caller as integers; all zero is a new thread. */
struct flow_state {
	int             request;        /* enum flow_request */
	int             reintegration;  /* enum flow_reint */
	int             departure;      /* enum flow_departure */
	int             arrival;        /* enum flow_arrival */
	/*
	 * A ConsentWithdrawal was sent or received: 0, or the enum flow_role
	 * of the agency that sent it (the other one confirms the erasure).
	 */
	int             withdrawn;
	int             erasure_confirmed;
	uint64_t        request_reply_by;       /* ms; 0 = no answer awaited */
	uint64_t        reint_reply_by;
	/* Last leg arrival of the final departure (ms), 0 = none awaited. */
	uint64_t        scheduled_arrival;
	uint32_t        followups;
};

/* A delayed arrival is expected at most this long after the one it
 * delays (PROTOCOL.md 21.3). */
#define FLOW_DELAY_MAX_MS       (30ull * 24 * 3600 * 1000)

struct flow_config {
	/* A departure needs a confirmed reintegration. */
	int             require_reintegration;
};

/*
 * May a document of msg_type, sent by an agency in role sender, be
 * applied to this thread now?  0, or -EPROTO with why saying which step is
 * missing (or what else is wrong), or -EINVAL when sender or the state
 * holds a value no enum has (a corrupt record).
 *
 * doc is the decoded document (the Homeward__Referral__* message of
 * msg_type) or NULL when only the type is known: then the rules that look
 * inside (decision, departure kind, outcome, legs) are skipped and the
 * answer is whether some document of that type could go now.  A doc of
 * another message type than msg_type is refused.
 */
int flow_check(const struct flow_state *, const struct flow_config *,
    enum flow_role sender, uint16_t msg_type, const ProtobufCMessage *doc,
    char *why, size_t whylen);

/*
 * Apply a document that flow_check accepted.  doc is required for the
 * types whose effect depends on their content (1, 2, 3, 5, 6): without it
 * this is a broken invariant (fatalx).
 */
void flow_apply(struct flow_state *, enum flow_role sender, uint16_t msg_type,
    const ProtobufCMessage *doc);

/* The person departed (final notice) and her arrival is neither
 * confirmed nor reported as a no-show: she is on her way. */
int flow_in_transit(const struct flow_state *);
/* A final departure whose arrival is not confirmed as met: arrival
 * confirmations still apply, even after a withdrawal. */
int flow_awaits_met(const struct flow_state *);

/* "request for assistance", ...; "unknown document" for other types. */
const char *flow_step_name(uint16_t msg_type);

/*
 * One line for the operator, e.g. "request accepted; reintegration
 * pending; provisional departure notified".  0, or -ENOSPC when it was
 * truncated (buf is still terminated).
 */
int flow_summary(const struct flow_state *, char *buf, size_t len);

#endif
