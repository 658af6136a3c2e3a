/*
 * Printed documents for the person and the paper file (issue 13): the
 * consent notice and the case reports, in the reader's language, set
 * with pango (shaping, right-to-left Arabic, font fallback) on cairo's
 * PDF surface.
 *
 *   pdf_lang.c   the "homeward-notice" catalogue of one language, chosen
 *                by --language and not by the operator's locale: a .mo
 *                file read here, so that the operator's LANGUAGE and
 *                LC_MESSAGES never decide what she reads
 *   pdf_time.c   times in the reader's zone, the zone named
 *   pdf.c        the document: blocks laid out on A4 pages with a
 *                header (agency, case code) and page numbers
 */
#ifndef HOMEWARD_CLI_PDF_H
#define HOMEWARD_CLI_PDF_H

#include <stddef.h>
#include <stdint.h>

#include <locale.h>

#include "cli/cli.h"

/* --- the language (pdf_lang.c) --- */

#define PDF_LANG_LEN    36

struct pdf_lang {
	char            tag[PDF_LANG_LEN];      /* as given: fr, ar, pt-BR */
	int             rtl;                    /* written right to left */
	char            cat[PDF_LANG_LEN];      /* its catalogue; "": English */
	locale_t        loc;                    /* C.UTF-8 messages, for lookups */
	char           *operator_language;      /* LANGUAGE as the operator set it */
};

/* The catalogue for tag (en: none needed).  0, or -1 when there is none
 * for it (reported, with the languages there are). */
int pdf_lang_load(struct pdf_lang *, const char *tag);
void pdf_lang_free(struct pdf_lang *);
/* msgid in the language, or msgid itself. */
const char *pdf_tr(const struct pdf_lang *, const char *msgid);
/* Marks a msgid for xgettext (keyword T_) without translating it. */
#define T_(s)   (s)

/* --- times (pdf_time.c) --- */

#define PDF_TIME_LEN    48

/* Use this zone (--tz), else the reader's TZ, else the system's: 0, or
 * -1 when zone is not a known time zone (reported). */
int pdf_time_zone(const char *zone);
/* The zone's name, "Europe/Paris". */
const char *pdf_time_zone_name(void);
/* Times set in right-to-left text (pdf_lang_load sets it). */
void pdf_time_isolate(int on);
/* "2026-12-06 09:30 CET" in the zone; "-" for 0. */
void pdf_time(uint64_t ms, char out[PDF_TIME_LEN]);

/* --- the document (pdf.c) --- */

enum pdf_block {
	PDF_HEADING,
	PDF_TEXT,
	PDF_SMALL,              /* ids, fingerprints: left to right, small */
};

struct pdf_doc;

/* A document in lang; title, agency and the case code head it.  NULL
 * when out of memory (reported). */
struct pdf_doc *pdf_new(const struct pdf_lang *, const char *title,
    const char *agency, const char *case_code);
/* Append a block (printf-style text, UTF-8): 0, or -1 when out of memory
 * (then pdf_write fails too). */
int pdf_add(struct pdf_doc *, enum pdf_block, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Lay out and write the PDF to path (atomically, mode 0600): 0 or -1
 * (reported). */
int pdf_write(struct pdf_doc *, const char *path);
/* The blocks as plain text ('homeward consent notice --text'), after
 * prefix, into *buf (malloc'ed, *len bytes): 0 or -1 (reported). */
int pdf_text(struct pdf_doc *, const char *prefix, char **buf, size_t *len);
void pdf_free(struct pdf_doc *);

/* --- plain words for her (pdf_words.c) --- */

/* What a category of data is, in a sentence: "Who you are: ...". */
const char *pdf_category_words(const struct pdf_lang *, int category);
/* A category's short name: "identity", "health", ... */
const char *pdf_category_name(const struct pdf_lang *, int category);
/* The categories of mask, short names joined with ", " into buf
 * ("procedure data only" for none). */
const char *pdf_categories(const struct pdf_lang *, uint32_t mask, char *buf,
    size_t len);
/* When a step happens, in a sentence: "When we ask them to help you." */
const char *pdf_step_words(const struct pdf_lang *, unsigned step);
/* What a document of msg_type is: "request for help", ... */
const char *pdf_doc_name(const struct pdf_lang *, unsigned msg_type);
/* A decision (AssistanceConfirmation.decision, ArrivalConfirmation.outcome
 * by its enum value name), or NULL when unknown. */
const char *pdf_decision(const struct pdf_lang *, const char *enum_name);
/* "365 days" */
void pdf_days(const struct pdf_lang *, uint64_t ms, char *buf, size_t len);

/* --- what the daemon answered (pdf_words.c) --- */

typedef Homeward__Control__ReportEntry pdf_entry;

/* The first entry of this kind (and, for agencies, id; NULL: ours), or
 * NULL. */
const pdf_entry *pdf_find(const struct cli_answer *, const char *kind,
    const char *agency);
/* "Name (CC)" of an agency the answer describes, else its id. */
const char *pdf_agency_label(const struct cli_answer *, const char *id,
    char *buf, size_t len);
/* The consent of this id among the answer's ConsentInfo, or NULL. */
const Homeward__Control__ConsentInfo *pdf_consent(const struct cli_answer *,
    ProtobufCBinaryData id);

/* --- the documents (pdf_notice.c, pdf_person.c, pdf_file.c) --- */

/* The consent notice of case code for exactly this scope; to: the
 * agencies in the order given (their entries are in ans). */
struct pdf_notice_scope {
	const char     *code;
	char *const    *to;
	size_t          nto;
	uint32_t        steps;
	uint32_t        categories;
};
struct pdf_doc *pdf_notice(const struct pdf_lang *, const struct cli_answer *,
    const struct pdf_notice_scope *);
/* Her copy: what was shared about her, under which consent, what was
 * erased. */
struct pdf_doc *pdf_person(const struct pdf_lang *, const struct cli_answer *);
/* The paper file's: timeline, consents, decisions, receipts. */
struct pdf_doc *pdf_file(const struct pdf_lang *, const struct cli_answer *);

#endif
