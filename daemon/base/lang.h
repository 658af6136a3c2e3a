/*
 * The operator's language in the daemon's answers (issue 13): the CLI
 * names its language in each request (control.proto Request.language);
 * while that request is handled, _() looks its string up in the
 * "homeward" catalogue of that language, and only _() does.  Everything
 * else the daemon writes, its log above all, stays English: the process
 * locale stays "C", and the request's language is applied to one lookup
 * at a time (a per-thread C.UTF-8 locale around dgettext), so that even
 * strerror() in a log line written during a French request stays English.
 *
 * Only what the operator reads is wrapped: Result.message and the
 * alerts' text as listed.  What is stored (alert details, audit entries)
 * and logged is never passed through _().
 */
#ifndef HOMEWARD_DAEMON_BASE_LANG_H
#define HOMEWARD_DAEMON_BASE_LANG_H

#include "common/i18n.h"

/* The daemon's _() is the request's language, not the process's. */
#undef _
#define _(s)    lang_text(s)

/* A language value longer than this is refused (answered in English). */
#define LANG_REQUEST_MAX        128

/* Once at start: bind the catalogue (HOMEWARD_LOCALEDIR, else LOCALEDIR)
 * without touching the process locale. */
void lang_init(void);

/*
 * For one request: requested is the CLI's LANGUAGE list or locale name
 * ("fr:en", "fr_FR.UTF-8").  The first entry whose catalogue is installed
 * is used; "en", "C", none installed or an empty value mean English.  A
 * value over LANG_REQUEST_MAX bytes or with a byte outside
 * [A-Za-z0-9_@:.-] is refused: -EINVAL, and English.  Never fails otherwise.
 */
int lang_begin(const char *requested);

/* The request is answered: English again. */
void lang_end(void);

/* English between lang_pause and lang_resume (they nest), for a reason
 * _() writes that is stored (a row, an audit entry) rather than
 * answered. */
void lang_pause(void);
void lang_resume(void);

/* 1 while a request is answered in a language other than English. */
int lang_active(void);

/* msgid in the request's language (msgid itself in English). */
const char *lang_text(const char *msgid) __attribute__((format_arg(1)));

/* The plural form for n, as ngettext. */
const char *lang_ntext(const char *one, const char *many, unsigned long n)
    __attribute__((format_arg(1))) __attribute__((format_arg(2)));

#endif
