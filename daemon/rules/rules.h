/*
 * The rules room (daemon/rules/): the referral procedure's decisions as
 * pure functions, tested with tables of cases.
 *
 *   flow.h      the order of the six steps in one thread
 *   consent.h   the consent gate: does a consent cover this recipient,
 *               step and every kind of data the document carries; does
 *               the notice she was given explain it (consent_notice.c)
 *   travel.h    seed 004's travel and escort rules for a departure
 *   required.h  what each document must say before it is sent
 *   header.h    what a recipient verifies of a partner's header
 *
 * May call: base/log.h only; no I/O, no SQL, no clock (the caller passes
 * the time).  case/ applies these decisions to the store and the outbox.
 */
#ifndef HOMEWARD_DAEMON_RULES_RULES_H
#define HOMEWARD_DAEMON_RULES_RULES_H

#include "daemon/rules/consent.h"
#include "daemon/rules/flow.h"
#include "daemon/rules/header.h"
#include "daemon/rules/required.h"
#include "daemon/rules/travel.h"

#endif
