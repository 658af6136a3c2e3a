#!/bin/sh
# homewardd answers in the operator's language (issue 13), between real
# daemons on 127.0.0.1 (ci-abidjan refers, ml-bamako receives), through
# the real CLI: the CLI names its language in each request
# (control.proto Request.language) and the daemon says its refusals, its
# answers, the worklist and the alerts in it, while
#   - without a language, with "en" first, or with none installed, it
#     answers in English;
#   - --json output (and the refusal a --json command prints) is byte for
#     byte the same whatever the language: the CLI sends none then;
#   - its log stays English while it answers in French;
#   - hostile language values (a path, 4 KiB, bytes outside the allowed
#     set), sent raw with ctlraw, are answered in English and harm nothing.
# The catalogues are the build's own ($BUILD/locale, from po/*.po).
# Synthetic data only.
set -eu
LC_ALL=C
TZ=UTC
export LC_ALL TZ
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/i18n_daemon.XXXXXX")
. tests/integration/lib/agencies.sh
. tests/integration/lib/checks.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP
unset LANGUAGE LC_MESSAGES LANG

CASEWORKER=2931
IN=$T/input
CR=$BUILD/tests/tools/ctlraw
mkdir -p "$IN"
chmod 755 "$T"

step "the catalogues"
LOCALES=$BUILD/locale
grep -qF "seuls les superviseurs approuvent" \
    "$LOCALES/fr/LC_MESSAGES/homeward.mo" ||
    fail "$LOCALES/fr/LC_MESSAGES/homeward.mo lacks the daemon's answers (make all)"
HOMEWARD_LOCALEDIR=$LOCALES
export HOMEWARD_LOCALEDIR

# lang L CMD...: CMD (a function too) with LANGUAGE=L; the CLI's process
# locale stays C.  fr CMD...: lang fr CMD.
lang() { (LANGUAGE=$1; export LANGUAGE; shift; "$@"); }
fr() { lang fr "$@"; }
json() {
	jq -e "$1" "$T/stdout" >/dev/null || { show; fail "not true of the JSON: $1"; }
}
# same_output: the last two runs (saved with keep) printed the same bytes.
keep() { cp "$T/stdout" "$T/stdout.$1"; cp "$T/stderr" "$T/stderr.$1"; }
same_output() {
	cmp -s "$T/stdout.$1" "$T/stdout.$2" && cmp -s "$T/stderr.$1" "$T/stderr.$2" ||
	    { diff "$T/stdout.$1" "$T/stdout.$2" >&2 || :;
	      diff "$T/stderr.$1" "$T/stderr.$2" >&2 || :; fail "$3"; }
}
nothing_french() {  # nothing_french FILE: no French word of ours in FILE
	if grep -nE "dossier|aucun|Aucun|consentement|exige|journal|fichier|é" "$1"; then
		fail "French in $1"
	fi
}

step "two agencies"
proc() {
	printf '[procedure]\ndeadline_check_ms = 200\n[roles]\n%s = caseworker\n' \
	    $CASEWORKER
}
EXTRA_CONF=$(proc) agency_new ci-abidjan listen
TZONE=Africa/Bamako EXTRA_CONF=$(proc) agency_new ml-bamako listen
agency_start ci-abidjan
agency_start ml-bamako
pair ci-abidjan ml-bamako
chmod 666 "$T"/*.sock
wait_for 20 peer_connected ci-abidjan ml-bamako || fail "ml-bamako never connected"
DEST=ci-abidjan
ORIG=ml-bamako
printf '{ "scenario": "police_or_ngo", "profile": { "sex": "male", "age": 30 }, "needs": ["shelter"] }\n' \
    >"$IN/req.json"
chmod 644 "$IN"/*
LOG_FROM=$(($(wc -l <"$T/$DEST.log") + 1))

step "a refusal in English, and in French"
expect 1 hw $DEST case show NOPE-1
says "homeward: no case NOPE-1; \`homeward case list\` lists them"
keep en
expect 1 fr hw $DEST case show NOPE-1
says "homeward: aucun dossier NOPE-1 ; \`homeward case list\` les liste"
expect 1 as $CASEWORKER "$HWCLI" -s "$T/$DEST.sock" case close NOPE-1
says "homeward: closing a case needs the role supervisor; ask an administrator to add you under [roles] in $T/$DEST.conf"
expect 1 as $CASEWORKER env LANGUAGE=fr "$HWCLI" -s "$T/$DEST.sock" case close NOPE-1
says "homeward: clore un dossier exige le rôle supervisor ; demandez à un administrateur de vous ajouter dans [roles] de $T/$DEST.conf"
expect 1 hw $DEST case open KONE
says "that case code looks like a name"
expect 1 fr hw $DEST case open KONE
says "ce code de dossier ressemble à un nom"

step "which language: the first installed of the list, English for en or C"
expect 1 env LANGUAGE=de:fr:en "$HWCLI" -s "$T/$DEST.sock" case show NOPE-1
says "aucun dossier NOPE-1"
expect 1 env LANGUAGE=en:fr "$HWCLI" -s "$T/$DEST.sock" case show NOPE-1
says "no case NOPE-1"
expect 1 env -u LC_ALL LANG=fr_FR.UTF-8 "$HWCLI" -s "$T/$DEST.sock" case show NOPE-1
says "aucun dossier NOPE-1"
expect 1 env -u LC_ALL LANG=C.UTF-8 "$HWCLI" -s "$T/$DEST.sock" case show NOPE-1
says "no case NOPE-1"
expect 1 env LANGUAGE=es "$HWCLI" -s "$T/$DEST.sock" case show NOPE-1
says "no existe el caso NOPE-1"

step "a refusal with --json: the same bytes in every language"
expect 1 hw $DEST case show NOPE-1 --json
keep json_en
expect 1 fr hw $DEST case show NOPE-1 --json
keep json_fr
same_output json_en json_fr "case show --json refused differently in French"
says "no case NOPE-1"

step "an answer in French; its --json the same as in English"
hw $DEST case open TEST-0301 --sex male --age 30 >/dev/null
expect 0 fr hw $DEST case update TEST-0301 --age 30
prints "le dossier TEST-0301 le dit déjà ; rien n'a changé"
expect 0 hw $DEST case update TEST-0301 --age 30 --json
keep upd_en
expect 0 fr hw $DEST case update TEST-0301 --age 30 --json
keep upd_fr
same_output upd_en upd_fr "case update --json differs in French"
json '.result == "case TEST-0301 says that already; nothing changed"'

step "a step without consent: held, said in French, kept in English"
hw $DEST case open TEST-0302 --sex male --age 30 >/dev/null
expect 0 fr hw $DEST request send TEST-0302 --to $ORIG --file "$IN/req.json"
cat "$T/stdout" "$T/stderr" >"$T/held.fr"
grep -qF "aucun consentement ne couvre profile pour l'agence $ORIG à l'étape 1" "$T/held.fr" ||
    { show; fail "the held step is not said in French"; }
grep -qF "enregistrez-en un qui les inclut" "$T/held.fr" || { show; fail "no next step in French"; }
expect 0 hw $DEST held --json
keep held_en
expect 0 fr hw $DEST held --json
keep held_fr
same_output held_en held_fr "held --json differs in French"
json '.held[0].missing | startswith("no consent covers profile for agency '"$ORIG"' at step 1")'

step "an alert listed in French; alerts and worklist --json the same in every language"
hw $DEST consent record TEST-0301 --to $ORIG --steps all --categories all --method oral >/dev/null
hw $DEST request send TEST-0301 --to $ORIG --file "$IN/req.json" \
    --reply-by $(($(date +%s) * 1000 + 1500)) >/dev/null || fail "request TEST-0301"
alert_of() {
	hw "$1" alerts --json |
	    jq -e ".alerts[] | select(.kind == \"$2\" and .case_code == \"$3\")"
}
wait_for 20 alert_of $DEST reply_overdue TEST-0301 || fail "no reply_overdue at $DEST"
expect 0 hw $DEST alerts
prints "reply_overdue  case TEST-0301  $ORIG  the answer to the request for assistance from $ORIG was due"
expect 0 fr hw $DEST alerts
prints "reply_overdue  case TEST-0301  $ORIG  la réponse du partenaire est en retard : appelez son contact de permanence"
prints "(enregistré : the answer to the request for assistance from $ORIG was due"
expect 0 lang ar hw $DEST alerts
prints "رد الشريك متأخر: اتصل بجهة الاتصال المناوبة لديه"
expect 1 lang pt hw $DEST case show NOPE-1
says "homeward: não existe o caso NOPE-1"
expect 0 hw $DEST alerts --json
keep alerts_en
expect 0 lang fr:en hw $DEST alerts --json
keep alerts_fr
same_output alerts_en alerts_fr "alerts --json differs in French"
expect 0 lang ar hw $DEST alerts --json
keep alerts_ar
same_output alerts_en alerts_ar "alerts --json differs in Arabic"
expect 0 fr hw $DEST worklist
prints "la demande d'assistance attend sa réponse"
expect 0 hw $DEST worklist --json
keep work_en
expect 0 fr hw $DEST worklist --json
keep work_fr
same_output work_en work_fr "worklist --json differs in French"

step "hostile language values: English, nothing harmed"
raw() {  # raw LANGUAGE: case show NOPE-1 with that language, sent raw
	printf '{ "language": "%s", "case_show": { "ref": { "code": "NOPE-1" } } }' \
	    "$1" >"$T/raw.json"
	expect 1 "$CR" "$T/$DEST.sock" "@$T/raw.json"
	prints "result RESULT_NOT_FOUND: no case NOPE-1"
}
raw "../../etc"
raw "../../../../../../tmp/x:fr"
raw "fr/../../etc"
raw "$(head -c 4096 /dev/zero | tr '\0' 'f')"
raw "$(head -c 4096 /dev/zero | tr '\0' ':')"
raw "fr\\u00e9"
raw "fr\\n"
raw "%s%s%n"
raw "fr;rm"
# A long list of names that are no catalogue: nothing installed, English.
raw "xx:yy:zz:ab:cd:ef:gh:ij:fr"
# Still the daemon it was, and French once asked properly.
printf '{ "language": "fr_FR.UTF-8@euro", "case_show": { "ref": { "code": "NOPE-1" } } }' \
    >"$T/raw.json"
expect 1 "$CR" "$T/$DEST.sock" "@$T/raw.json"
prints "aucun dossier NOPE-1"
expect 0 hw $DEST status

step "the log stayed English"
tail -n "+$LOG_FROM" "$T/$DEST.log" >"$T/log.during"
grep -qF "case TEST-0301 opened by" "$T/log.during" || { cat "$T/log.during" >&2; fail "the log lacks the case opened"; }
grep -qF "alert reply_overdue: case TEST-0301" "$T/log.during" || { cat "$T/log.during" >&2; fail "the log lacks the alert"; }
nothing_french "$T/log.during"

printf 'i18n_daemon: %d checks passed\n' "$CHECKS"
