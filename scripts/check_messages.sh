#!/usr/bin/env bash
# Fails when locale/fr is not up to date with the code: a new or changed string
# without a French translation, a fuzzy entry, or a compiled .mo out of date.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OPTS=(--locale fr --no-location --no-obsolete --ignore '.venv/*' --ignore 'var/*' --ignore 'static/*' --ignore '*/demo_data/*')
status=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for po in locale/fr/LC_MESSAGES/*.po; do
    msgfmt --check-format -o "$tmp/compiled.mo" "$po"
    if ! cmp -s "$tmp/compiled.mo" "${po%.po}.mo"; then
        echo "${po%.po}.mo n'est pas à jour : lancer 'make messages'." >&2
        status=1
    fi
    stats=$(msgfmt --statistics -o /dev/null "$po" 2>&1)
    if grep -Eq "untranslated|fuzzy" <<<"$stats"; then
        echo "$po : $stats" >&2
        status=1
    fi
done
cp -r locale "$tmp/locale"
$PY manage.py makemessages "${OPTS[@]}" -v 0
$PY manage.py makemessages "${OPTS[@]}" -d djangojs -v 0
if ! diff -r -q -I '^"POT-Creation-Date' "$tmp/locale" locale >/dev/null; then
    echo "Des textes du code ne sont pas dans locale/fr : 'make messages' puis traduire :" >&2
    diff -r -I '^"POT-Creation-Date' "$tmp/locale" locale | head -40 >&2 || true
    status=1
fi
rm -rf locale && cp -r "$tmp/locale" locale
exit $status
