#!/bin/sh
# Her language, her copy (issue 13), between real daemons on 127.0.0.1:
# ci-abidjan refers one person to ml-bamako and sn-dakar.
#   - the consent notice in French and in Arabic, as text and PDF, from
#     exactly the scope to be recorded (agencies by name and country from
#     their bundles, the retention configured, withdrawal and safety);
#   - consent record --notice: refused without one (require_notice), for
#     another case, other agencies or other steps, with what differs;
#     recorded with the notice's language and SHA-256 (consent list);
#   - case report --for person and --for file in French and Arabic: valid
#     PDFs (pdfinfo); her copy lists exactly the documents sent under her
#     consents (not a held one) and the erasure a partner confirmed; the
#     file's lists receipts and fingerprints; an auditor gets the file's
#     without consent scopes or categories, and not hers; an erased case
#     has no report; every report is in the audit log.
# REPORTS_IMAGES=DIR: also render page 1 of each as PNG into DIR.
# Synthetic data only.
set -eu
LC_ALL=C
export LC_ALL
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/reports.XXXXXX")
. tests/integration/lib/agencies.sh
. tests/integration/lib/checks.sh
trap 'agencies_cleanup; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

HOMEWARD_LOCALEDIR=$PWD/$BUILD/locale
export HOMEWARD_LOCALEDIR
CASEWORKER=2931
AUDITOR=2932
OUT=$T/out
IN=$T/input
mkdir -p "$OUT" "$IN"
chmod 777 "$T" "$OUT"

json() {
	jq -e "$1" "$T/stdout" >/dev/null || { show; fail "not true of the JSON: $1"; }
}
# pdf FILE: a valid PDF whose text is in FILE.txt (pdftotext).
pdf() {
	pdfinfo "$1" >"$1.info" 2>&1 || { cat "$1.info" >&2; fail "$1 is not a valid PDF"; }
	grep -q '^Pages: *[1-9]' "$1.info" || fail "$1 has no page"
	pdftotext -enc UTF-8 "$1" "$1.txt" || fail "pdftotext $1"
}
# has FILE TEXT / lacks FILE TEXT: in the PDF's text (FILE.txt), whatever
# the line breaks.
flat() { tr '\n' ' ' <"$1.txt" | tr -s ' '; }
has() { flat "$1" | grep -qF -- "$2" || { flat "$1" >&2; fail "$1 lacks: $2"; }; }
lacks() { if flat "$1" | grep -qF -- "$2"; then fail "$1 has: $2"; fi; }
count() { flat "$1" | grep -oF -- "$2" | wc -l; }
# Arabic shaped for display is stored as presentation forms, in visual
# order, with the spaces pdftotext guesses between glyphs: compare letters
# only (NFKC, no spaces, no direction marks, no vowel marks), each line
# read in either direction.
arabic_has() {
	python3 -c 'import sys, unicodedata
def letters(s):
    s = unicodedata.normalize("NFKC", s)
    return "".join(c for c in s if not c.isspace() and
        unicodedata.category(c) not in ("Mn", "Cf"))
want = letters(sys.argv[2])
text = open(sys.argv[1], encoding="utf-8").read().split("\n")
ok = any(want in letters(l) or want in letters(l)[::-1] for l in text)
sys.exit(0 if ok else 1)' "$1.txt" "$2" || { cat "$1.txt" >&2; fail "$1 lacks: $2"; }
}

step "three agencies: ci-abidjan refers, ml-bamako and sn-dakar receive"
EXTRA_CONF="[procedure]
require_notice = yes
retention_ms = 7776000000
[roles]
$CASEWORKER = caseworker
$AUDITOR = auditor" agency_new ci-abidjan listen
TZONE=Africa/Bamako agency_new ml-bamako listen
TZONE=Africa/Dakar agency_new sn-dakar listen
for a in ci-abidjan ml-bamako sn-dakar; do agency_start $a; done
pair ci-abidjan ml-bamako
pair ci-abidjan sn-dakar
chmod 666 "$T"/*.sock
wait_for 20 peer_connected ci-abidjan ml-bamako || fail "ml-bamako never connected"
wait_for 20 peer_connected ci-abidjan sn-dakar || fail "sn-dakar never connected"
D=ci-abidjan
CODE=TEST-1301
hw $D case open $CODE --sex female --age 24 >/dev/null
printf '{ "scenario": "police_or_ngo", "profile": { "sex": "female", "age": 24 }, "needs": ["shelter"] }\n' \
    >"$IN/req.json"
printf '{ "wanted": ["medical"], "health": { "discharge_summary": "synthetic" } }\n' \
    >"$IN/reint.json"
chmod 644 "$IN"/*

step "the consent notice in French: text and PDF, from the scope"
expect 0 hw $D consent notice $CODE --to ml-bamako --steps all \
    --categories profile,travel,reintegration --language fr --tz Africa/Abidjan \
    -o "$OUT/notice-fr.pdf" --text "$OUT/notice-fr.txt"
prints "text SHA-256 $(sha256sum "$OUT/notice-fr.txt" | cut -d' ' -f1)"
head -7 "$OUT/notice-fr.txt" >"$T/head"
printf 'Homeward consent notice v1\ncase: %s\nto: ml-bamako\nsteps: 1,2,3,4,5,6,7\ncategories: profile,travel,reintegration\nlanguage: fr\n\n' \
    "$CODE" | cmp -s - "$T/head" || { cat "$T/head" >&2; fail "the notice's scope block"; }
for text in "Qui reçoit vos informations" "Agency ml-bamako (CI)" \
    "Des informations de base sur vous" "Votre voyage de retour" \
    "Quand nous les informons de votre voyage." "nous les gardons encore 90 jours" \
    "Vous pouvez retirer votre accord à tout moment" "Votre sécurité passe d'abord" \
    "Africa/Abidjan"; do
	grep -qF "$text" "$OUT/notice-fr.txt" || fail "the French notice lacks: $text"
done
if grep -q "Who receives\|santé" "$OUT/notice-fr.txt"; then
	fail "the French notice has English or a category not in its scope"
fi
pdf "$OUT/notice-fr.pdf"
has "$OUT/notice-fr.pdf" "Comment vos informations sont partagées"
has "$OUT/notice-fr.pdf" "Dossier $CODE"
has "$OUT/notice-fr.pdf" "Page 1 sur"
has "$OUT/notice-fr.pdf" "$(sha256sum "$OUT/notice-fr.txt" | cut -d' ' -f1)"
# The operator's language does not choose hers.
expect 0 env LANGUAGE=ar LC_ALL=C.UTF-8 "$HWCLI" -s "$T/$D.sock" consent notice $CODE --to ml-bamako --steps all \
    --categories profile,travel,reintegration --language fr --text "$OUT/again.txt"
grep -qF "Qui reçoit vos informations" "$OUT/again.txt" || fail "LANGUAGE changed her notice"

step "Spanish, and Brazilian Portuguese from the pt catalogue"
expect 0 hw $D consent notice $CODE --to ml-bamako --steps 1 --categories travel \
    --language es --text "$OUT/notice-es.txt"
grep -qF "Quién recibe su información" "$OUT/notice-es.txt" || fail "the Spanish notice"
expect 0 hw $D consent notice $CODE --to ml-bamako --steps 1 --categories travel \
    --language pt-BR --text "$OUT/notice-pt.txt"
grep -qF "Quem recebe as suas informações" "$OUT/notice-pt.txt" || fail "pt-BR is not pt"
grep -qF "language: pt-BR" "$OUT/notice-pt.txt" || fail "the notice's language tag"

step "the notice in Arabic: right to left, shaped, with Arabic fonts"
expect 0 hw $D consent notice $CODE --to sn-dakar --steps 1,2 --categories profile \
    --language ar -o "$OUT/notice-ar.pdf" --text "$OUT/notice-ar.txt" --json
json '.language == "ar" and (.sha256 | length) == 64'
grep -qF "من يتلقى معلوماتكِ" "$OUT/notice-ar.txt" || fail "the Arabic notice's text"
pdf "$OUT/notice-ar.pdf"
arabic_has "$OUT/notice-ar.pdf" "من يتلقى معلوماتكِ"
pdffonts "$OUT/notice-ar.pdf" >"$T/fonts"
grep -qi "arabic\|dejavu" "$T/fonts" || { cat "$T/fonts" >&2; fail "no font with Arabic"; }

step "notices that cannot be made"
expect 2 hw $D consent notice $CODE --to ml-bamako --steps all --categories all \
    --language fr
says "-o FILE.pdf"
expect 1 hw $D consent notice $CODE --to xx-nowhere --steps all --categories all \
    --language fr --text "$OUT/x.txt"
says "agency xx-nowhere is not a partner"
expect 1 hw $D consent notice $CODE --to ml-bamako --steps all --categories all \
    --language tlh --text "$OUT/x.txt"
says "no translation into 'tlh'"
expect 1 hw $D consent notice $CODE --to ml-bamako --steps all --categories all \
    --language fr --text "$OUT/x.txt" --tz Mars/Olympus
says "not a time zone"
[ ! -e "$OUT/x.txt" ] || fail "a refused notice was written"

step "a consent whose notice does not match its scope is refused"
REC="--method written --form $OUT/notice-fr.pdf"
expect 1 hw $D consent record $CODE --to ml-bamako --steps all \
    --categories profile,travel,reintegration $REC
says "require_notice"
says "homeward consent notice $CODE"
expect 1 hw $D consent record $CODE --to ml-bamako --steps 1,2 \
    --categories profile,travel,reintegration $REC --notice "$OUT/notice-fr.txt"
says "the notice covers steps 1,2,3,4,5,6,7, this consent steps 1,2"
expect 1 hw $D consent record $CODE --to ml-bamako --steps all \
    --categories profile,travel,reintegration,health $REC --notice "$OUT/notice-fr.txt"
says "the notice covers the categories profile,travel,reintegration, this consent profile,health,travel,reintegration"
expect 1 hw $D consent record $CODE --to sn-dakar --steps all \
    --categories profile,travel,reintegration $REC --notice "$OUT/notice-fr.txt"
says "does not name agency sn-dakar"
hw $D case open TEST-1302 --sex female --age 24 >/dev/null
expect 1 hw $D consent record TEST-1302 --to ml-bamako --steps all \
    --categories profile,travel,reintegration $REC --notice "$OUT/notice-fr.txt"
says "the notice is for case $CODE, not TEST-1302"
printf 'a notice someone typed\n' >"$IN/typed.txt"
expect 1 hw $D consent record $CODE --to ml-bamako --steps all \
    --categories profile,travel,reintegration $REC --notice "$IN/typed.txt"
says "not one homeward made"
expect 0 hw $D consent list $CODE --json
json '.consents == []'

step "recorded with its notice: language and SHA-256 in the record"
expect 0 hw $D consent record $CODE --to ml-bamako --steps all \
    --categories profile,travel,reintegration $REC --notice "$OUT/notice-fr.txt" --json
C1=$(jq -r .consent.consent_id "$T/stdout")
expect 0 hw $D consent record $CODE --to sn-dakar --steps 1,2 --categories profile \
    --method oral --notice "$OUT/notice-ar.txt" --json
C2=$(jq -r .consent.consent_id "$T/stdout")
expect 0 hw $D consent list $CODE --json
json "[.consents[] | [.consent_id, .notice_language, .notice_sha256]] ==
    [[\"$C1\", \"fr\", \"$(sha256sum "$OUT/notice-fr.txt" | cut -d' ' -f1)\"],
     [\"$C2\", \"ar\", \"$(sha256sum "$OUT/notice-ar.txt" | cut -d' ' -f1)\"]]"
expect 0 hw $D consent list $CODE
prints "notice         fr, sha256 $(sha256sum "$OUT/notice-fr.txt" | cut -d' ' -f1)"
expect 0 hw $D case show $CODE --json
json "[.consents[].notice_language] == [\"fr\", \"ar\"]"

step "documents: two requests sent, a reintegration request held for health"
expect 0 hw $D request send $CODE --to ml-bamako --file "$IN/req.json" --json
REQ1=$(jq -r .message_id "$T/stdout")
expect 0 hw $D request send $CODE --to sn-dakar --file "$IN/req.json" --json
REQ2=$(jq -r .message_id "$T/stdout")
accepted() {
	hw ml-bamako request accept $CODE --met-by-agency ml-bamako \
	    --met-by-contact "duty officer" >/dev/null 2>&1
}
wait_for 20 accepted || fail "ml-bamako cannot accept"
wait_for 20 sh -c "[ \"\$($HWCLI -s $T/$D.sock case show $CODE --json | jq -r '.case.threads[] | select(.peer == \"ml-bamako\") | .request')\" = 2 ]" ||
    fail "the acceptance never reached ci-abidjan"
expect 0 hw $D reintegration request $CODE --to ml-bamako --file "$IN/reint.json" --json
json '.state == "held"'

step "she withdraws the consent for sn-dakar: it erases and confirms"
expect 0 hw $D consent withdraw $CODE "$C2"
confirmed() {
	[ "$(hw $D case show $CODE --json | jq '[.case.threads[] | select(.erasure_confirmed)] | length')" = 1 ]
}
wait_for 30 confirmed || fail "sn-dakar never confirmed erasure"
wait_for 30 all_acked $D || fail "ci-abidjan waits for receipts"

step "her copy in French: exactly what was sent, under which consent, what was erased"
expect 0 as $CASEWORKER env HOMEWARD_LOCALEDIR="$HOMEWARD_LOCALEDIR" \
    "$HWCLI" -s "$T/$D.sock" case report $CODE --for person --language fr \
    --tz Europe/Paris -o "$OUT/person-fr.pdf"
prints "times in Europe/Paris"
pdf "$OUT/person-fr.pdf"
has "$OUT/person-fr.pdf" "Ce qui a été partagé sur vous"
has "$OUT/person-fr.pdf" "Dossier $CODE"
[ "$(count "$OUT/person-fr.pdf" "demande d'aide, envoyé à")" = 2 ] ||
    fail "her copy does not list exactly the two requests sent"
has "$OUT/person-fr.pdf" "demande d'aide, envoyé à Agency ml-bamako (CI)"
has "$OUT/person-fr.pdf" "demande d'aide, envoyé à Agency sn-dakar (CI)"
lacks "$OUT/person-fr.pdf" "demande d'aide pour votre vie chez vous"
has "$OUT/person-fr.pdf" "Informations sur vous : informations de base."
has "$OUT/person-fr.pdf" "Envoyé avec votre accord du"
has "$OUT/person-fr.pdf" "nous avons demandé à Agency sn-dakar (CI) d'arrêter"
has "$OUT/person-fr.pdf" "Agency sn-dakar (CI) a confirmé avoir effacé ce qu'elle avait reçu sur vous"
has "$OUT/person-fr.pdf" "Vous l'avez retiré le"
has "$OUT/person-fr.pdf" "dans la langue « fr »"
has "$OUT/person-fr.pdf" "CET"
lacks "$OUT/person-fr.pdf" "shelter"

step "her copy and the file's in Arabic and French"
expect 0 hw $D case report $CODE --for person --language ar -o "$OUT/person-ar.pdf"
pdf "$OUT/person-ar.pdf"
arabic_has "$OUT/person-ar.pdf" "ما أرسلناه عنكِ"
arabic_has "$OUT/person-ar.pdf" "ما الذي مُحي"
expect 0 hw $D case report $CODE --for file --language fr -o "$OUT/file-fr.pdf" --json
json '.for == "file" and .language == "fr"'
pdf "$OUT/file-fr.pdf"
has "$OUT/file-fr.pdf" "Rapport pour le dossier"
has "$OUT/file-fr.pdf" "$REQ1"
has "$OUT/file-fr.pdf" "$REQ2"
has "$OUT/file-fr.pdf" "Décision : acceptée."
has "$OUT/file-fr.pdf" "SHA-256 du document"
has "$OUT/file-fr.pdf" "Accusé de réception"
has "$OUT/file-fr.pdf" "$(fingerprint_of ml-bamako)"
has "$OUT/file-fr.pdf" "Notice: fr, SHA-256 $(sha256sum "$OUT/notice-fr.txt" | cut -d' ' -f1)"
has "$OUT/file-fr.pdf" "consent.record"
expect 0 hw $D case report $CODE --for file --language ar -o "$OUT/file-ar.pdf"
pdf "$OUT/file-ar.pdf"
arabic_has "$OUT/file-ar.pdf" "التسلسل الزمني"

step "an auditor gets the file's report without what auditors may not read"
expect 0 as $AUDITOR env HOMEWARD_LOCALEDIR="$HOMEWARD_LOCALEDIR" \
    "$HWCLI" -s "$T/$D.sock" case report $CODE --for file --language en \
    -o "$OUT/file-auditor.pdf"
pdf "$OUT/file-auditor.pdf"
has "$OUT/file-auditor.pdf" "$REQ1"
has "$OUT/file-auditor.pdf" "Its scope is not shown to your role."
has "$OUT/file-auditor.pdf" "Its categories and basis are not shown"
lacks "$OUT/file-auditor.pdf" "basic facts"
lacks "$OUT/file-auditor.pdf" "Under consent"
expect 1 as $AUDITOR "$HWCLI" -s "$T/$D.sock" case report $CODE --for person \
    -o "$OUT/person-auditor.pdf"
says "a caseworker or supervisor makes it"
[ ! -e "$OUT/person-auditor.pdf" ] || fail "a refused report was written"

step "every report is in the audit log; an erased case has none"
expect 0 hw $D audit list $CODE --json
json '[.audit[] | select(.action == "report")] | length == 10'
json '[.audit[] | select(.action == "report") | .detail] | index("case report for the person") != null'
erased() {
	[ "$(hw sn-dakar case list --state erased --json | jq -r ".cases[] | select(.code == \"$CODE\") | .state")" = erased ]
}
wait_for 30 erased || fail "sn-dakar did not erase $CODE"
expect 1 hw sn-dakar case report $CODE --for file -o "$OUT/erased.pdf"
says "case $CODE is erased: nothing of it is left to report"
expect 1 hw $D case report NO-SUCH-1 --for file -o "$OUT/none.pdf"
expect 2 hw $D case report $CODE --for everyone -o "$OUT/none.pdf"
expect 1 hw $D case report $CODE --for file -o "$OUT/file-fr.pdf"
says "exists: use --force"

if [ -n "${REPORTS_IMAGES:-}" ]; then
	for f in notice-fr notice-ar person-ar file-fr; do
		pdftoppm -r 60 -gray -f 1 -l 1 -png -singlefile "$OUT/$f.pdf" \
		    "$REPORTS_IMAGES/$f" || fail "pdftoppm $f"
	done
fi
echo "reports: $CHECKS checks passed"
