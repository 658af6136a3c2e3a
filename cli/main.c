/*
 * homeward: the operator's CLI to homewardd.  A command table (group,
 * subcommand, handler, one-line summary, synopsis, help); the usage text is
 * generated from it (wg.c, bgpctl).  Global options come before the
 * command; every command has --help and --json.  Exit status: 0 success,
 * 1 failure, 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "cli/cli.h"
#include "common/i18n.h"
#include "common/msgtype.h"
#include "proto/referral.pb-c.h"

#define FP_HELP \
	N_("FP is the 40-digit fingerprint as the partner agency read it out (spaces\n" \
	"between the groups are optional; quote it).\n")

#define LIST_HELP \
	N_("--peer limits the list to one partner agency, --state to one state\n" \
	"(outbox: waiting, sealed, delivered; inbox: accepted, gap_held),\n" \
	"--limit to N messages (default 100, at most 10000), newest first.\n")

#define SHOW_HELP \
	N_("ID is the message id, 32 hex digits.  With --body the document is\n" \
	"fetched too (the daemon records this read of case data) and written to\n" \
	"FILE (mode 0600, atomically; an existing FILE only with --force), or to\n" \
	"standard output with '-' and nothing else printed.\n")

#define HOME_HELP \
	N_("--home picks the case when two agencies used the same code: it is the\n" \
	"agency that opened it.\n")

#define TIME_HELP \
	N_("TIME is RFC 3339 (2026-12-01T07:30:00Z, 2026-12-01T09:30:00+02:00) or ms\n" \
	"since the epoch.\n")

#define STEP_SYNOPSIS \
	"\n    [--to AGENCY] [--waive RULE[,RULE...] --waiver-reason TEXT]" \
	"\n    [--safety-reason TEXT] [--home AGENCY] [--json]"

#define DOC_HELP \
	N_("The document is the JSON file given with --file: the fields of the\n" \
	"document in proto/referral.proto by name, enums by their short name\n" \
	"(\"female\", \"air\"), times as RFC 3339 (2026-12-01T07:30:00Z).  Leave\n" \
	"out \"header\": homewardd fills it (case, consent, safety exception).\n" \
	"'homeward document show' prints documents in the same form.\n")

#define STEP_HELP \
	N_("--to names the partner agency; it may be left out when the case has\n" \
	"one partner.  --waive with --waiver-reason: a supervisor accepts the\n" \
	"risk of breaking the named travel rules (recorded; the partner sees\n" \
	"it).  --safety-reason: send without consent because safety is at\n" \
	"issue; it waits until two different supervisors approve it ('homeward\n" \
	"approve').\n") "\n" \
	N_("Prints 'queued: message ID', 'held: WHAT IS MISSING  (held id ID)' or\n" \
	"'awaiting a second supervisor: held id ID' and exits 0; exits 1 with\n" \
	"homewardd's reason when it refuses the step.  A newer draft of a step\n" \
	"replaces the partner's older held one ('replaces held document ID').\n" \
	"An answer to a request the partner sent under its safety exception\n" \
	"goes on that basis when no consent covers it.\n") "\n" HOME_HELP

#define CONFIRM_SYNOPSIS \
	"CODE [--file DOC.json] [--reason TEXT]\n" \
	"    [--met-by-agency ID] [--met-by-contact C]" STEP_SYNOPSIS

#define CONFIRM_HELP \
	N_("Sends an AssistanceConfirmation with the decision of the verb.\n" \
	"--reason sets its reasons; --met-by-agency and --met-by-contact the\n" \
	"qualified agency that will meet the person on arrival and its contact\n" \
	"(staff).  --file may give the rest (family_assessment, conditions,\n" \
	"information_needed); options override the file.\n") "\n" DOC_HELP "\n" STEP_HELP

#define TRAVEL_HELP \
	N_("homewardd checks the travel rules (arrival early in the day, on a\n" \
	"working day that is no public holiday of the receiving country, in the\n" \
	"arrival's own zone (arrival_zone) or else the receiving agency's; few\n" \
	"transit points, a minor escorted, a girl by a female escort, met on\n" \
	"arrival; each partner's working week, hours and holidays as\n" \
	"homewardd.conf sets them) and refuses a plan that breaks one unless a\n" \
	"supervisor waives it with --waive.\n")

#define ARRIVAL_HELP \
	N_("--file may give the document; options override it.\n") "\n" STEP_HELP

/* The verb of a step command sets the document's decision, kind or outcome. */
#define DECISION(v)     HOMEWARD__REFERRAL__DECISION__DECISION_##v
#define DEPARTURE(v)    HOMEWARD__REFERRAL__DEPARTURE_KIND__DEPARTURE_##v
#define ARRIVAL(v)      HOMEWARD__REFERRAL__ARRIVAL_OUTCOME__ARRIVAL_##v

static const struct cli_cmd commands[] = {
	{ "status", NULL, 0, cmd_status, 0, 0,
	  N_("show the daemon: agency, peers, queues, alerts"),
	  "[--json]",
	  N_("Our agency and fingerprint, how many peers are connected, what the\n"
	  "outbox holds (unacknowledged, waiting for a prekey, the oldest\n"
	  "unacknowledged message and its age), the inbox (total, held back by a\n"
	  "gap in a thread) and the number of alerts.\n") },
	{ "check", NULL, 0, cmd_check, 0, 0,
	  N_("one verdict for a monitoring system (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)"),
	  "[--unreachable W,C] [--unacked W,C] [--expiry W,C] [--disk W,C] [--json]",
	  N_("Judges the daemon's status and its partners, as a monitoring plugin\n"
	  "does: CRITICAL for an open urgent alert, a partner without a valid\n"
	  "signing certificate or a certificate expired; WARNING or CRITICAL past\n"
	  "the bounds: a partner unreachable (--unreachable, default 1h,24h), a\n"
	  "message without its receipt (--unacked, 1h,24h), a certificate of ours\n"
	  "or a partner's expiring (--expiry, 30d,7d), free disk space (--disk, in\n"
	  "MB, 1024,256), data.db at 90% (98%) of max_data_mb; WARNING for a\n"
	  "partner without a usable prekey.  Suspended and unverified partners are\n"
	  "left out.  Durations: 45s, 90m, 12h, 30d.  Prints one line (the worst\n"
	  "finding, then performance data after '|'), then one line per finding.\n"
	  "Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (the daemon did not\n"
	  "answer, or a usage error).\n") },
	{ "peers", "list", 1, cmd_peers_list, 0, 0,
	  N_("list the partner agencies"),
	  "[--json]",
	  N_("One line per peer: agency, country, connected, suspended or\n"
	  "disconnected, whether its fingerprint was verified, usable prekeys,\n"
	  "unacknowledged messages to it and when it was last seen.\n") },
	{ "peers", "import", 0, cmd_peers_import, 0, 0,
	  N_("import a partner agency's bundle after confirming its fingerprint"),
	  "FILE [--fingerprint FP] [--endpoint HOST:PORT] [--json]",
	  N_("FILE is the bundle the partner made with 'homeward-keys export'.  It is\n"
	  "checked here first and its agency, endpoint and fingerprint shown.\n"
	  "Then, unless --fingerprint is given, you are asked on the terminal to\n"
	  "type the fingerprint the partner read to you out of band (phone, in\n"
	  "person), or 'yes' if it matches the one shown.  A mismatch refuses the\n"
	  "import: do not import a bundle whose fingerprint you have not\n"
	  "confirmed.  --endpoint overrides the bundle's HOST:PORT.\n") "\n" FP_HELP },
	{ "peers", "verify", 0, cmd_peers_action, 0, 0,
	  N_("record that a peer's fingerprint was confirmed out of band"),
	  "AGENCY --fingerprint FP [--json]",
	  N_("The daemon compares FP with the peer's pinned key and marks the peer\n"
	  "verified; a mismatch is refused.\n") "\n" FP_HELP },
	{ "peers", "suspend", 0, cmd_peers_action, 0, 0,
	  N_("stop sending to a peer and refuse its envelopes"),
	  "AGENCY [--json]", "" },
	{ "peers", "resume", 0, cmd_peers_action, 0, 0,
	  N_("undo suspend"),
	  "AGENCY [--json]", "" },
	{ "peers", "remove", 0, cmd_peers_action, 0, 0,
	  N_("forget a peer that has no messages in flight"),
	  "AGENCY [--json]", "" },
	{ "outbox", "list", 1, cmd_messages_list, 0, 0,
	  N_("list the messages we sent or are sending"),
	  "[--peer AGENCY] [--state STATE] [--limit N] [--json]", LIST_HELP },
	{ "outbox", "show", 0, cmd_messages_show, 0, 0,
	  N_("show one sent message, optionally its document"),
	  "ID [--body FILE|-] [--force] [--json]", SHOW_HELP },
	{ "inbox", "list", 1, cmd_messages_list, 0, 0,
	  N_("list the messages we received"),
	  "[--peer AGENCY] [--state STATE] [--limit N] [--json]", LIST_HELP },
	{ "inbox", "show", 0, cmd_messages_show, 0, 0,
	  N_("show one received message, optionally its document"),
	  "ID [--body FILE|-] [--force] [--json]", SHOW_HELP },
	{ "evidence", "export", 0, cmd_evidence_export, 0, 0,
	  N_("write a message's evidence of delivery for a third party"),
	  "ID -o FILE [--force] [--json]",
	  N_("Writes the signed message and its signed receipt (an Evidence) to FILE\n"
	  "(mode 0600, atomically; an existing FILE only with --force).  Anyone\n"
	  "holding both agencies' bundles can check it:\n"
	  "  homeward-keys verify-evidence FILE --sender A.bundle --recipient B.bundle\n") },
	{ "send", NULL, 0, cmd_send, 0, 0,
	  N_("queue a document for a partner agency"),
	  "--to AGENCY --type TYPE --file FILE [--thread ID] [--reply-to ID] [--json]",
	  N_("TYPE is the message type, decimal or 0x hex (0x7f00 is the test\n"
	  "document, never personal data).  FILE holds the encoded document, at\n"
	  "most 1 MiB.  Without --thread the message starts a new thread;\n"
	  "--reply-to names the message it answers (both 32 hex digits).  Prints\n"
	  "the queued message's id and thread id.\n") },
	/* --- the referral procedure --- */
	{ "case", "list", 1, cmd_case_list, 0, 0,
	  N_("list the cases"),
	  "[--state open|restricted|closed|erased] [--json]",
	  N_("One line per case: its code, its home agency (ours for a case we\n"
	  "opened, the partner's for one referred to us), our role, state, when it\n"
	  "was opened, held messages and the partner agencies.  Without --state\n"
	  "every case but the erased ones.\n") },
	{ "case", "open", 0, cmd_case_open, 0, 0,
	  N_("open a case under its code number"),
	  "CODE [--sex female|male|other] [--age N] [--minor] [--json]",
	  N_("CODE names the case everywhere: 1-48 of letters, digits, '-', '_',\n"
	  "'.' and '/', with at least one digit (or as this office's\n"
	  "case_code_pattern says), never the person's name.  --sex, --age\n"
	  "(years) and --minor are what the travel rules need (a minor travels\n"
	  "escorted, a girl by a female escort); an --age under 18 implies\n"
	  "--minor.  Nothing else about the person is asked here: the documents\n"
	  "carry it, under consent.\n") },
	{ "case", "show", 0, cmd_case_show, 0, 0,
	  N_("show a case, its consents, held messages and timeline"),
	  "CODE [--home AGENCY] [--json]",
	  N_("The case, where it stands with each partner agency and what is due,\n"
	  "its consents, its held messages, and its timeline from the audit log\n"
	  "(one line per event: time, operator, action, what, message id).\n") "\n" HOME_HELP },
	{ "case", "outcome", 0, cmd_case_outcome, 0, 0,
	  N_("record what became of a person who did not arrive (supervisors)"),
	  "CODE --outcome located|with_authorities|reported_missing|did_not_travel\n"
	  "    [--to AGENCY] [--home AGENCY] [--json]",
	  N_("After a no-show, or an arrival not confirmed in time, the urgent alert\n"
	  "repeats (urgent_repeat_ms) and the case stays on the worklist until a\n"
	  "supervisor records what became of her:\n"
	  "  located            found safe\n"
	  "  with_authorities   handed to, or found by, the authorities\n"
	  "  reported_missing   reported missing to the police\n"
	  "  did_not_travel     she never left\n"
	  "--to names the partner when the case has more than one.  A withdrawal\n"
	  "of consent held for her safety is carried out after it.\n") "\n" HOME_HELP },
	{ "case", "report", 0, cmd_case_report, 0, 0,
	  N_("print a case report for the person or for the paper file (PDF)"),
	  "CODE --for person|file -o FILE.pdf [--language LANG] [--tz ZONE]\n"
	  "    [--force] [--home AGENCY] [--json]",
	  N_("--for person: her copy, in her language (--language; default en):\n"
	  "what was sent about her (the kinds of information, never the\n"
	  "information), to which agency, when and under which of her consents\n"
	  "(and the notice she was given), and what was erased.  Caseworkers and\n"
	  "supervisors.\n"
	  "--for file: the office's paper file: the case, its consents, the\n"
	  "partners, every document with its receipt and the fingerprints that\n"
	  "prove it, the decisions and the timeline.  An auditor's report leaves\n"
	  "out what auditors may not read (consent scopes, what documents carry).\n\n"
	  "Times are in the reader's time zone (TZ, or --tz Africa/Abidjan), named\n"
	  "in the report.  The daemon records the read.  An erased case has no\n"
	  "report.  FILE is written with mode 0600; an existing FILE only with\n"
	  "--force.\n") "\n" HOME_HELP },
	{ "case", "close", 0, cmd_case_close, 0, 0,
	  N_("close a case (erased after the retention period)"),
	  "CODE [--home AGENCY] [--json]", HOME_HELP },
	{ "case", "update", 0, cmd_case_update, 0, 0,
	  N_("correct the person's profile in an open case"),
	  "CODE [--sex female|male|other] [--age N] [--minor|--adult]\n"
	  "    [--home AGENCY] [--json]",
	  N_("Only what is given changes: --sex, --age (years; it also says whether\n"
	  "the person is a minor, unless --minor or --adult says it) and --minor\n"
	  "or --adult.  Caseworkers and supervisors; open cases only.  The audit\n"
	  "log names the fields that changed, never their values.\n") "\n"
	  N_("A request for assistance whose profile contradicts the case's is\n"
	  "refused: correct the case here, or the document.  The travel rules\n"
	  "take the more protective of the case's profile and what its latest\n"
	  "request states ('homeward case show' shows both).\n") "\n" HOME_HELP },
	{ "consent", "record", 0, cmd_consent_record, 0, 0,
	  N_("record the person's informed consent for a case"),
	  "CODE --to AGENCY[,AGENCY...] --steps LIST|all --categories LIST|all\n"
	  "    --method written|oral|oral-interpreted [--form FILE] [--language L]\n"
	  "    [--notice FILE] [--guardian] [--child-consulted] [--given TIME]\n"
	  "    [--expires TIME] [--home AGENCY] [--json]",
	  N_("Records the consent as the person gave it.  A message is released\n"
	  "only under a consent in force that covers its recipient, its step and\n"
	  "every category of data it carries; until then it is held.\n") "\n"
	  N_("--to       the agencies the data may go to\n"
	  "--steps    'all', or steps by number or name: 1 request, 2 confirmation,\n"
	  "           3 reintegration, 4 reintegration-confirmation, 5 departure,\n"
	  "           6 arrival, 7 follow-up\n"
	  "--categories  'all', or identity, profile, health, security, travel,\n"
	  "           reintegration (procedure data needs no consent)\n"
	  "--method   written: give --form FILE, the scan of the signed form; only\n"
	  "           its SHA-256 leaves this computer.  oral-interpreted: give\n"
	  "           --language, the interpreter's language (BCP 47: fr, bm).\n"
	  "--notice   the text of the notice she was given ('consent notice\n"
	  "           --text'): its scope must be this consent's; its language\n"
	  "           and SHA-256 are recorded with it\n"
	  "--guardian        given by a guardian for a minor\n"
	  "--child-consulted and the child was consulted\n"
	  "--given, --expires  when it was given (default now) and when it ends\n"
	  "           (default: when withdrawn)\n") "\n"
	  N_("Prints the consent id and how many held messages it released.\n") "\n" TIME_HELP },
	{ "consent", "notice", 0, cmd_consent_notice, 0, 0,
	  N_("make the consent notice she reads before she agrees (PDF and text)"),
	  "CODE --to AGENCY[,AGENCY...] --steps LIST|all --categories LIST|all\n"
	  "    --language LANG [-o FILE.pdf] [--text FILE.txt] [--tz ZONE]\n"
	  "    [--force] [--home AGENCY] [--json]",
	  N_("The notice explains, in her language and in plain words, exactly the\n"
	  "consent you will record: which agencies (name and country, from their\n"
	  "bundles) receive what kind of information about her, at which step,\n"
	  "why, how long it is kept, that she may withdraw at any time and how,\n"
	  "and what still happens for her safety if she withdraws while she\n"
	  "travels.  Give the same --to, --steps and --categories as 'consent\n"
	  "record'.  -o writes the PDF to print, --text the text to record:\n"
	  "'consent record ... --notice FILE.txt' stores its language and SHA-256\n"
	  "with her consent, and homewardd refuses it if the notice explains\n"
	  "another scope.  Languages: en, fr, ar, es, pt.\n") "\n" HOME_HELP },
	{ "consent", "list", 0, cmd_consent_list, 0, 0,
	  N_("list a case's consents"),
	  "CODE [--home AGENCY] [--json]",
	  N_("Each consent with its scope, how it was given, who recorded it, and\n"
	  "whether it is in force, expired or withdrawn.\n") "\n" HOME_HELP },
	{ "consent", "withdraw", 0, cmd_consent_withdraw, 0, 0,
	  N_("withdraw one consent of a case, or all of them"),
	  "CODE [CONSENT_ID] [--recorded-in-error] [--home AGENCY] [--json]",
	  N_("The person withdrew consent.  Without CONSENT_ID (32 hex digits, see\n"
	  "'homeward consent list') every consent of the case is withdrawn.  Held\n"
	  "messages it no longer covers are cancelled, so are messages queued but\n"
	  "not yet sent to an agency no consent names any more, and every such\n"
	  "agency that received data of the case is sent a ConsentWithdrawal: it\n"
	  "restricts its thread, erases what it received and confirms (see\n"
	  "'homeward case show').  When no consent is left the case is restricted;\n"
	  "a new consent reopens it.\n") "\n"
	  N_("If she is travelling (a final departure, arrival not confirmed), her\n"
	  "safety comes first: the arrival deadline stays armed, the partner keeps\n"
	  "what it needs to meet her until her arrival is confirmed, and an urgent\n"
	  "alert says so on both sides.\n") "\n"
	  N_("--recorded-in-error  the consent CONSENT_ID was recorded by mistake:\n"
	  "           revoke it (not the person's withdrawal: the case stays open)\n") "\n" HOME_HELP },
	{ "request", "send", 0, cmd_step, ENV1_MSG_ASSISTANCE_REQUEST, 0,
	  N_("notify a partner of a request for assistance (step 1, request for assistance)"),
	  "CODE --file DOC.json [--reply-by TIME]" STEP_SYNOPSIS,
	  N_("Sends an AssistanceRequest to the partner agency in the country of\n"
	  "origin.  --reply-by sets its reply_by: an answer not received by then\n"
	  "raises an alert.\n") "\n" DOC_HELP "\n" STEP_HELP "\n" TIME_HELP },
	{ "request", "accept", 0, cmd_step, ENV1_MSG_ASSISTANCE_CONFIRMATION,
	  DECISION(ACCEPT),
	  N_("accept a request for assistance (step 2, assistance confirmation)"),
	  CONFIRM_SYNOPSIS, CONFIRM_HELP },
	{ "request", "decline", 0, cmd_step, ENV1_MSG_ASSISTANCE_CONFIRMATION,
	  DECISION(DECLINE),
	  N_("decline a request for assistance (step 2, assistance confirmation)"),
	  CONFIRM_SYNOPSIS, CONFIRM_HELP },
	{ "request", "more-info", 0, cmd_step, ENV1_MSG_ASSISTANCE_CONFIRMATION,
	  DECISION(MORE_INFORMATION),
	  N_("ask for more information (step 2, assistance confirmation)"),
	  CONFIRM_SYNOPSIS, CONFIRM_HELP },
	{ "reintegration", "request", 0, cmd_step, ENV1_MSG_REINTEGRATION_REQUEST, 0,
	  N_("send a reintegration assistance request (step 3, reintegration request)"),
	  "CODE --file DOC.json [--reply-by TIME]" STEP_SYNOPSIS,
	  N_("Sends a ReintegrationRequest: the assessment, the preliminary plan and\n"
	  "the assistance wanted.  It needs an accepted request for assistance.\n"
	  "--reply-by sets its reply_by.\n") "\n" DOC_HELP "\n" STEP_HELP "\n" TIME_HELP },
	{ "reintegration", "confirm", 0, cmd_step,
	  ENV1_MSG_REINTEGRATION_CONFIRMATION, 0,
	  N_("confirm the services committed (step 4, reintegration confirmation)"),
	  "CODE --file DOC.json" STEP_SYNOPSIS,
	  N_("Sends a ReintegrationConfirmation: services committed, by whom, from\n"
	  "when, and items declined with the reason.\n") "\n" DOC_HELP "\n" STEP_HELP },
	{ "departure", "plan", 0, cmd_step, ENV1_MSG_DEPARTURE_NOTIFICATION,
	  DEPARTURE(PROVISIONAL),
	  N_("give notice of a provisional itinerary (step 5, departure notification)"),
	  "CODE --file ITINERARY.json" STEP_SYNOPSIS,
	  N_("Sends a DepartureNotification of kind provisional, as soon as an\n"
	  "itinerary exists.\n") "\n" TRAVEL_HELP "\n" DOC_HELP "\n" STEP_HELP },
	{ "departure", "depart", 0, cmd_step, ENV1_MSG_DEPARTURE_NOTIFICATION,
	  DEPARTURE(FINAL),
	  N_("notify that the person departed (step 5, departure notification, final)"),
	  "CODE --file ITINERARY.json" STEP_SYNOPSIS,
	  N_("Sends a DepartureNotification of kind final.  An arrival not\n"
	  "confirmed in time after the scheduled arrival raises an urgent alert.\n") "\n" TRAVEL_HELP "\n" DOC_HELP "\n" STEP_HELP },
	{ "arrival", "confirm", 0, cmd_step, ENV1_MSG_ARRIVAL_CONFIRMATION,
	  ARRIVAL(MET),
	  N_("confirm that the person arrived and was met (step 6, arrival confirmation)"),
	  "CODE [--at TIME] [--met-by NAME] [--met-by-agency ID]\n"
	  "    [--handed-over-to parent|family|child-protection|shelter]\n"
	  "    [--next-steps TEXT] [--file DOC.json]" STEP_SYNOPSIS,
	  N_("Sends an ArrivalConfirmation: arrived and met.  --at is when (default:\n"
	  "now), --met-by the staff member and --met-by-agency the agency that met\n"
	  "the person.  A minor is handed over to someone: say to whom with\n"
	  "--handed-over-to.\n") "\n" ARRIVAL_HELP "\n" TIME_HELP },
	{ "arrival", "no-show", 0, cmd_step, ENV1_MSG_ARRIVAL_CONFIRMATION,
	  ARRIVAL(NOT_ARRIVED),
	  N_("report that the person did not arrive (step 6, arrival confirmation)"),
	  "CODE [--next-steps TEXT] [--file DOC.json]" STEP_SYNOPSIS,
	  N_("Sends an ArrivalConfirmation: not arrived.  The person may be missing:\n"
	  "say in --next-steps what is being done.  An urgent alert is raised on\n"
	  "both sides and repeats until a supervisor of each agency records what\n"
	  "became of her ('homeward case outcome').\n") "\n" ARRIVAL_HELP },
	{ "arrival", "delayed", 0, cmd_step, ENV1_MSG_ARRIVAL_CONFIRMATION,
	  ARRIVAL(DELAYED),
	  N_("report that the arrival is delayed (step 6, arrival confirmation)"),
	  "CODE --expected TIME [--next-steps TEXT] [--file DOC.json]" STEP_SYNOPSIS,
	  N_("Sends an ArrivalConfirmation: delayed, with when she is now expected\n"
	  "(--expected) and what happens next.  The arrival deadline moves to\n"
	  "that time on both sides: no alert before it.\n") "\n" ARRIVAL_HELP "\n" TIME_HELP },
	{ "followup", "send", 0, cmd_step, ENV1_MSG_FOLLOW_UP_REPORT, 0,
	  N_("send a follow-up report on reintegration (step 7, follow-up report)"),
	  "CODE --file DOC.json" STEP_SYNOPSIS,
	  N_("Sends a FollowUpReport: the reintegration status and a report, with\n"
	  "the person's privacy in mind.\n") "\n" DOC_HELP "\n" STEP_HELP },
	{ "held", "list", 2, cmd_held, 0, 0,
	  N_("list messages held for consent or for approval"),
	  "[CODE] [--home AGENCY] [--json]",
	  N_("Every held message, or those of case CODE: what it is, for whom, what\n"
	  "is missing for it to go, and who approved it under the safety\n"
	  "exception.  A message held for consent goes by itself once a consent\n"
	  "covers it ('homeward consent record').  A newer draft of the same step\n"
	  "to the same partner replaces the older one, which is cancelled.\n") },
	{ "held", "show", 0, cmd_held_show, 0, 0,
	  N_("read a held message: the document, the reasons"),
	  "HELD_ID [--json]",
	  N_("The held document as JSON (as 'homeward document show' prints it),\n"
	  "its state, partner and what is missing; under the safety exception\n"
	  "its reason and each approval with its reason.  For caseworkers and\n"
	  "supervisors only; homewardd records the read.  Supervisors read it\n"
	  "before they approve.\n") },
	{ "held", "cancel", 0, cmd_held_cancel, 0, 0,
	  N_("cancel a held message: it will never be sent"),
	  "HELD_ID [--reason TEXT] [--json]",
	  N_("The held message is cancelled and leaves the worklist.  The audit log\n"
	  "records it with a hash of the reason, never its words.\n") },
	{ "approve", NULL, 0, cmd_approve, 0, 0,
	  N_("approve a message held under the safety exception"),
	  "HELD_ID --reason TEXT [--json]",
	  N_("A message sent with --safety-reason goes without consent only after\n"
	  "two different supervisors approve it, each with a reason: read it\n"
	  "first with 'homeward held show HELD_ID'.  The first approval is\n"
	  "recorded; the second releases it.  The reasons are kept encrypted\n"
	  "with the case ('held show'); the audit log keeps their hash.  The\n"
	  "partner agency sees that it was sent so.  homewardd's own account\n"
	  "never counts as a supervisor.  HELD_ID is 32 hex digits ('homeward\n"
	  "held').\n") },
	{ "worklist", NULL, 0, cmd_worklist, 0, 0,
	  N_("show what is waiting for an operator"),
	  "[--json]",
	  N_("In sections: held for consent, awaiting a second supervisor, queued\n"
	  "(no receipt yet), unanswered, overdue; each with its case, partner,\n"
	  "document, due time (local time) and id.\n") },
	{ "alerts", "list", 1, cmd_alerts_list, 0, 0,
	  N_("list the daemon's alerts"),
	  "[--all] [--limit N] [--json]",
	  N_("Unacknowledged alerts, newest first (--all: acknowledged ones too;\n"
	  "--limit: at most N, default 100): answers overdue, arrivals not\n"
	  "confirmed (urgent: the person may be missing), a partner's\n"
	  "equivocation, gaps in a thread.\n") },
	{ "alerts", "ack", 0, cmd_alerts_ack, 0, 0,
	  N_("acknowledge an alert"),
	  "ID [--json]",
	  N_("ID is the alert's number ('homeward alerts').  The acknowledgement is\n"
	  "recorded with the operator's name.\n") },
	{ "audit", "verify", 0, cmd_audit_verify, 0, 0,
	  N_("check the audit log's hash chain"),
	  "[--json]",
	  N_("Exit 0 when the chain is intact; 1 when it is broken, naming the\n"
	  "first entry that does not chain and why.\n") },
	{ "audit", "list", 0, cmd_audit_list, 0, 0,
	  N_("read the audit log"),
	  "[CODE] [--home AGENCY] [--after SEQ] [--limit N] [--json]",
	  N_("Entries in order of their sequence number, of every case or of case\n"
	  "CODE: --after SEQ starts after that entry, --limit N returns at most N\n"
	  "(default 100, at most 10000).\n") },
	{ "document", "show", 0, cmd_document_show, 0, 0,
	  N_("show a document of a case as JSON"),
	  "MESSAGE_ID [--json]",
	  N_("Decodes the document a message carries (sent or received) and prints\n"
	  "it as JSON, the form '--file' takes; --json wraps it with the message\n"
	  "id, type and direction.  homewardd records the read: it is case data.\n") },
	{ "backup", NULL, 0, cmd_backup, 0, 0,
	  N_("write an encrypted backup of homewardd's databases"),
	  "-o FILE [--json]",
	  N_("Supervisors only; homewardd keeps running.  Both databases are copied\n"
	  "at one moment, encrypted under a key derived from daemon.key, and\n"
	  "written to FILE, a new file (mode 0600; an existing FILE is refused).\n"
	  "Prints its length and SHA-256; on any failure FILE is removed.  Keep\n"
	  "backups off this machine and a copy of daemon.key offline: a backup is\n"
	  "useless without it.  Restore with 'homewardd --restore FILE' with the\n"
	  "daemon stopped (homewardd(8)).  The audit log records the backup.\n") },
	{ "log-level", NULL, 0, cmd_log_level, 0, 0,
	  N_("change the daemon's log verbosity"),
	  "warn|info|debug [--json]", "" },
};

#define NCOMMANDS       (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	char name[48];

	fprintf(f, _("usage: homeward [-s PATH] COMMAND [options]\n\ncommands:\n"));
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const struct cli_cmd *c = &commands[i];

		if (c->is_default)
			snprintf(name, sizeof(name), "%s [%s]", c->group, c->sub);
		else
			cli_cmd_name(c, name, sizeof(name));
		fprintf(f, "  %-22s %s\n", name, _(c->summary));
	}
	fprintf(f, _("\noptions:\n"
	    "  -s, --socket PATH      homewardd's control socket (default $%s,\n"
	    "                         else %s)\n"
	    "  -V, --version          print the version and exit\n"
	    "  -h, --help             this text\n\n"
	    "Every command takes --json and --help ('homeward peers import --help').\n"
	    "Exit status: 0 success, 1 failure, 2 usage error.\n"),
	    CLI_SOCKET_ENV, CLI_SOCKET_DEFAULT);
}

/* The help of every subcommand of a group ("homeward peers --help"). */
static int
group_help(const char *group)
{
	int first = 1;

	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(commands[i].group, group) != 0)
			continue;
		if (!first)
			printf("\n");
		first = 0;
		cli_help(&commands[i]);
	}
	return CLI_EXIT_OK;
}

/*
 * argv[0] is the command's first word.  A group's subcommand is the next
 * word; no word, or an option, runs the group's default ("peers --json" is
 * "peers list --json").  The command sees argv from its last word on.
 */
static int
dispatch(const struct cli_env *env, int argc, char **argv)
{
	const char *group = argv[0], *sub = argc > 1 ? argv[1] : NULL;
	const struct cli_cmd *def = NULL;
	int known = 0;

	if (sub != NULL && (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0)) {
		for (size_t i = 0; i < NCOMMANDS; i++)
			if (strcmp(commands[i].group, group) == 0 &&
			    commands[i].sub != NULL)
				return group_help(group);
	}
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const struct cli_cmd *c = &commands[i];

		if (strcmp(c->group, group) != 0)
			continue;
		known = 1;
		if (c->sub == NULL)
			return c->run(c, env, argc, argv);
		if (sub != NULL && strcmp(c->sub, sub) == 0)
			return c->run(c, env, argc - 1, argv + 1);
		if (c->is_default)
			def = c;
	}
	if (def != NULL && (sub == NULL || sub[0] == '-' || def->is_default == 2))
		return def->run(def, env, argc, argv);
	if (known && sub == NULL)
		cli_warnx(_("%s: which one? (see 'homeward %s --help')"), group, group);
	else if (known)
		cli_warnx(_("%s: unknown subcommand %s (see 'homeward %s --help')"),
		    group, sub[0] == '-' ? "(an option)" : sub, group);
	else {
		cli_warnx(_("unknown command %s"),
		    group[0] == '-' ? "(an option)" : group);
		usage(stderr);
	}
	return CLI_EXIT_USAGE;
}

/* Core dumps off and the process not dumpable, as homewardd: the CLI
 * holds documents, consents and evidence in its memory (crypto-env1.md
 * 3.6).  0, or -1 with the reason said. */
static int
harden(void)
{
	struct rlimit rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) != 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		cli_warn_errno(errno, _("cannot turn core dumps off, so documents "
		    "could reach a core file; run homeward where setrlimit and "
		    "prctl are allowed"));
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_env env;
	int c;

	i18n_init();
	if (harden() != 0)
		return CLI_EXIT_FAIL;
	env.socket = getenv(CLI_SOCKET_ENV);
	if (env.socket == NULL || env.socket[0] == '\0')
		env.socket = CLI_SOCKET_DEFAULT;
	opterr = 0;
	/* '+': stop at the command; its options are its own. */
	while ((c = getopt_long(argc, argv, "+:s:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			env.socket = optarg;
			break;
		case 'V':
			printf("homeward %s\n", HOMEWARD_VERSION);
			return CLI_EXIT_OK;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		case ':':
			cli_warnx(_("%s needs a value"), argv[optind - 1]);
			return CLI_EXIT_USAGE;
		default:
			cli_warnx(_("unknown option %s"), argv[optind - 1]);
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[optind], "help") == 0) {
		if (optind + 1 >= argc) {
			usage(stdout);
			return CLI_EXIT_OK;
		}
		/* "help peers import" is "peers import --help". */
		for (size_t i = 0; i < NCOMMANDS; i++) {
			const struct cli_cmd *k = &commands[i];

			if (strcmp(k->group, argv[optind + 1]) != 0)
				continue;
			if (k->sub == NULL)
				return cli_help(k);
			if (optind + 2 < argc && strcmp(k->sub, argv[optind + 2]) == 0)
				return cli_help(k);
		}
		for (size_t i = 0; i < NCOMMANDS; i++)
			if (strcmp(commands[i].group, argv[optind + 1]) == 0)
				return group_help(argv[optind + 1]);
		cli_warnx(_("unknown command %s"), argv[optind + 1]);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[optind], "version") == 0) {
		printf("homeward %s\n", HOMEWARD_VERSION);
		return CLI_EXIT_OK;
	}
	return dispatch(&env, argc - optind, argv + optind);
}
