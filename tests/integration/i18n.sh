#!/bin/sh
# The operator's language (issue 13), with real daemons on 127.0.0.1:
# every catalogue under po/ passes msgfmt -c --check-format, French is
# complete and po/homeward.pot holds every marked string of the sources;
# `LANGUAGE=fr homeward --help` (and homeward-keys') is French in the C
# locale; a case run with LANGUAGE=fr (open, step send, consent, list,
# show, worklist) prints French while its --json output is byte for byte
# what it is with LANGUAGE unset; LANGUAGE=ar gives Arabic, es and pt
# their languages, and a language without a catalogue (xx) English, as
# does an explicit LC_ALL=C.  Synthetic data only.
set -eu
# Not LC_ALL=C as in the other scripts: an explicit LC_ALL means English
# (common/i18n.c).  The C locale otherwise, as on a fresh machine.
unset LC_ALL LC_MESSAGES LANGUAGE
LANG=C
TZ=UTC
export LANG TZ
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/i18n.XXXXXX")
. tests/integration/lib/agencies.sh
. tests/integration/lib/checks.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

# hwl LANG AGENCY ARGS...: the CLI against AGENCY's daemon with LANGUAGE=LANG
# ("-": LANGUAGE unset).
hwl() {
	lang=$1
	name=$2
	shift 2
	if [ "$lang" = - ]; then
		env -u LANGUAGE "$HWCLI" -s "$T/$name.sock" "$@"
	else
		env LANGUAGE="$lang" "$HWCLI" -s "$T/$name.sock" "$@"
	fi
}
# same_json AGENCY ARGS...: ARGS --json print the same bytes in French and
# with LANGUAGE unset.  An audited read (case show) adds itself to the
# timeline the next one shows: those entries are left out (UNREAD=1).
same_json() {
	name=$1
	shift
	hwl - "$name" "$@" --json >"$T/json.en" || fail "$* --json failed"
	hwl fr "$name" "$@" --json >"$T/json.fr" || fail "$* --json failed in French"
	if [ "${UNREAD:-0}" = 1 ]; then
		for f in "$T/json.en" "$T/json.fr"; do
			jq '.timeline |= map(select(.action != "read"))' "$f" >"$f.t"
			mv "$f.t" "$f"
		done
	fi
	cmp -s "$T/json.en" "$T/json.fr" ||
	    { diff "$T/json.en" "$T/json.fr" >&2 || true; fail "$* --json differs in French"; }
	CHECKS=$((CHECKS + 1))
}
# volatile: the --json of a command that changes something, without what
# differs from one run to the next (times, ids, the case code).
volatile() {
	jq -S 'walk(if type == "object" then with_entries(select(.key |
	    test("(_at|_id|^code|^id)$") | not)) else . end)' "$1"
}

step "the catalogues: msgfmt -c --check-format, French complete"
for po in po/*.po; do
	msgfmt -c --check-format -o /dev/null "$po" 2>"$T/msgfmt" ||
	    { cat "$T/msgfmt" >&2; fail "$po does not pass msgfmt -c"; }
	CHECKS=$((CHECKS + 1))
done
for l in $(sed 's/#.*//' po/LINGUAS); do
	[ -f "po/$l.po" ] || fail "po/LINGUAS names $l, po/$l.po is missing"
	[ -f "$BUILD/locale/$l/LC_MESSAGES/homeward.mo" ] || fail "no catalogue for $l in $BUILD/locale"
done
msgfmt --statistics -o /dev/null po/fr.po 2>"$T/stats"
if grep -qE 'untranslated|fuzzy' "$T/stats"; then
	fail "po/fr.po is not complete: $(cat "$T/stats")"
fi
grep -q '^"Plural-Forms: nplurals=6;' po/ar.po || fail "Arabic has six plural forms"

step "po/homeward.pot is current (every marked string of the sources in it)"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory \
    BUILD="$BUILD" "$BUILD/po/homeward.pot" >/dev/null
msgcmp --use-untranslated po/homeward.pot "$BUILD/po/homeward.pot" 2>"$T/msgcmp" ||
    { cat "$T/msgcmp" >&2; fail "po/homeward.pot is out of date: run make pot"; }
for po in po/*.po; do
	msgcmp --use-untranslated "$po" po/homeward.pot 2>"$T/msgcmp" ||
	    { cat "$T/msgcmp" >&2; fail "$po lacks msgids of po/homeward.pot: msgmerge it"; }
done

step "LANGUAGE=fr homeward --help is French, in the C locale"
expect 0 env LANGUAGE=fr "$HWCLI" --help
prints "usage : homeward [-s CHEMIN] COMMANDE [options]"
prints "lister les dossiers"
prints "enregistrer le consentement éclairé de la personne pour un dossier"
prints "Code de sortie : 0 succès, 1 échec, 2 erreur d'utilisation."
expect 0 env LANGUAGE=fr "$HWCLI" consent withdraw --help
prints "usage : homeward consent withdraw CODE [CONSENT_ID]"
prints "Si elle est en voyage (départ définitif, arrivée non confirmée), sa sécurité"
prints "--home désigne le dossier quand deux agences ont utilisé le même code :"
expect 0 env LANGUAGE=fr "$KEYS" --help
prints "créer une nouvelle agence : RIK, clé du démon, certificat DSK, préclés, clé TLS"
expect 2 env LANGUAGE=fr "$HWCLI" case open
says "homeward: case open: indiquez un seul code de dossier"
says "(voir « homeward case open --help »)"

step "Arabic, Spanish and Portuguese; English without a catalogue or with LC_ALL=C"
expect 0 env LANGUAGE=ar "$HWCLI" --help
prints "عرض الحالات"
expect 2 env LANGUAGE=ar "$HWCLI" case open
says "أدخل رمز حالة واحدًا"
expect 2 env LANGUAGE=es "$HWCLI" case open CI-I18N-9 --age 300
says "--age va de 1 a 120 años"
expect 2 env LANGUAGE=pt "$HWCLI" consent record CI-I18N-9
says "--to, --steps, --categories e --method são obrigatórios"
expect 0 env LANGUAGE=xx "$HWCLI" --help
prints "usage: homeward [-s PATH] COMMAND [options]"
prints "list the cases"
expect 2 env LANGUAGE=xx "$HWCLI" case open
says "give one case code"
expect 0 env LC_ALL=C LANGUAGE=fr "$HWCLI" --help
prints "list the cases"
# A language with a catalogue, a message it lacks: English for that one.
expect 0 env LANGUAGE=ar "$HWCLI" outbox show --help
prints "ID is the message id, 32 hex digits."

step "two agencies: ci-abidjan refers, ml-bamako receives"
agency_new ci-abidjan listen
TZONE=Africa/Bamako agency_new ml-bamako listen
agency_start ci-abidjan
agency_start ml-bamako
pair ci-abidjan ml-bamako
wait_for 20 peer_connected ci-abidjan ml-bamako || fail "ml-bamako never connected"
DEST=ci-abidjan
ORIG=ml-bamako
printf '{ "scenario": "police_or_ngo", "profile": { "sex": "female", "age": 24 },\n  "needs": [ "shelter" ] }\n' >"$T/request.json"

step "a case in French: open, request held, consent, released"
expect 0 hwl fr $DEST case open CI-I18N-1 --sex female --age 24
prints "dossier CI-I18N-1 ouvert"
prints "consentements    0 en vigueur"
prints "ensuite : enregistrez le consentement de la personne avec « homeward consent record CI-I18N-1 ... »"
expect 0 hwl fr $DEST request send CI-I18N-1 --to $ORIG --file "$T/request.json"
prints "retenu : "
prints "il part tout seul dès qu'un consentement le couvre (« homeward consent record »)"
expect 0 hwl fr $DEST consent record CI-I18N-1 --to $ORIG --steps all \
    --categories all --method oral
prints "enregistré pour le dossier CI-I18N-1"
prints "1 message retenu libéré (mis en file d'envoi maintenant)"
wait_for 20 all_acked $DEST || fail "the request was never receipted"
expect 0 hwl fr $DEST case list
prints "DOSSIER"
prints "PARTENAIRES"
expect 0 hwl fr $DEST case show CI-I18N-1
prints "consentement     "
prints "en vigueur"
prints "règles de voyage pas d'accompagnement requis"
prints "historique:"
expect 0 hwl fr $DEST worklist
prints "Sans réponse:"
expect 0 hwl ar $DEST case show CI-I18N-1
prints "الموافقات:"
prints "سارية"

step "--json is the same bytes in French"
same_json $DEST case list
UNREAD=1
same_json $DEST case show CI-I18N-1
UNREAD=0
same_json $DEST consent list CI-I18N-1
same_json $DEST held
same_json $DEST worklist
same_json $ORIG case list
# The commands that change something, run once in each language on two
# cases: the same JSON but for times, ids and the code.
for lang in - fr; do
	c=CI-I18N-$([ "$lang" = - ] && echo 2 || echo 3)
	hwl "$lang" $DEST case open $c --sex female --age 24 --json >"$T/open.$lang"
	hwl "$lang" $DEST request send $c --to $ORIG --file "$T/request.json" \
	    --json >"$T/send.$lang"
	hwl "$lang" $DEST consent record $c --to $ORIG --steps all \
	    --categories all --method oral --json >"$T/consent.$lang"
done
for what in open send consent; do
	volatile "$T/$what.-" >"$T/$what.en.norm"
	volatile "$T/$what.fr" >"$T/$what.fr.norm"
	cmp -s "$T/$what.en.norm" "$T/$what.fr.norm" ||
	    { diff "$T/$what.en.norm" "$T/$what.fr.norm" >&2 || true;
	      fail "$what --json differs in French"; }
	CHECKS=$((CHECKS + 1))
done
grep -q '"state": "held"' "$T/send.fr" || fail "the request was not held: $(cat "$T/send.fr")"

step "errors the CLI prints itself, in French"
expect 2 hwl fr $DEST consent record CI-I18N-1 --to $ORIG
says "--to, --steps, --categories et --method sont obligatoires"
expect 2 hwl fr $DEST request send CI-I18N-1 --to $ORIG
says "--file est obligatoire : le document en JSON"

echo "i18n: $CHECKS checks passed"
