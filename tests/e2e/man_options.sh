#!/usr/bin/env bash
# The man pages tell the truth about the options: every verb that
# 'smtpsuite --help' lists has a page smtpsuite-VERB(1), named in
# smtpsuite(1), and every option of 'smtpsuite VERB --help' (long and
# short) is documented in that page as an option (the tag line of a .TP
# paragraph). The checker is shown to catch a page with one option
# removed. Every page renders without a groff warning, has a NAME line
# that man-db's lexgrog parses, and no @VARIABLE@ left by configure_file.
# Usage: man_options.sh SMTPSUITE MAN_DIR   (the configured pages)
set -u
BIN=$1 MAN=$2
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

verbs=$("$BIN" --help | awk '/^verbs:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }')
[ -n "$verbs" ] || { echo "FAIL: no verbs in 'smtpsuite --help'" >&2; exit 1; }

# The options of a verb's --help: "-x --name" or "--name", one a line,
# from its option lines (two blanks, then "-x, --name" or "    --name").
help_options() {
  "$BIN" "$1" --help |
    grep -oE '^  (-[a-zA-Z], |    )--[a-z0-9][a-z0-9-]*' | sed 's/^ *//; s/,//'
}

# The options a page documents: the tag lines of its .TP paragraphs.
page_tags() {
  awk 'tag { print; tag = 0 } /^\.TP/ { tag = 1 }' "$1" | sed 's/\\-/-/g; s/\\f[BIRP]//g'
}

# Prints every option of VERB's --help that PAGE does not document.
missing_options() {
  local verb=$1 page=$2 tags opt short long
  tags=$(page_tags "$page")
  while read -r opt; do
    long=${opt##* } short=
    [ "$long" = "$opt" ] || short=${opt%% *}
    if ! grep -qE -- "(^|[^a-z0-9-])$long([^a-z0-9-]|$)" <<<"$tags"; then
      echo "$long"
    elif [ -n "$short" ] &&
      ! grep -E -- "(^|[^a-z0-9-])$long([^a-z0-9-]|$)" <<<"$tags" |
        grep -qE -- "(^|[^a-zA-Z0-9-])$short([^a-zA-Z0-9-]|$)"; then
      echo "$short (with $long)"
    fi
  done < <(help_options "$verb")
}

n=0
for verb in $verbs; do
  page=$MAN/smtpsuite-$verb.1
  [ -f "$page" ] || { bad "no man page smtpsuite-$verb.1"; continue; }
  miss=$(missing_options "$verb" "$page")
  [ -z "$miss" ] || bad "smtpsuite-$verb.1 does not document: $(tr '\n' ' ' <<<"$miss")"
  n=$((n + $(help_options "$verb" | wc -l)))
  grep -qE "^\.B $verb$" "$MAN/smtpsuite.1" || bad "smtpsuite(1) does not list the verb $verb"
  grep -qF "smtpsuite\\-$verb (1)" "$MAN/smtpsuite.1" || bad "smtpsuite(1) does not refer to smtpsuite-$verb(1)"
done
echo "== $n options of $(wc -w <<<"$verbs") verbs checked against their man pages"

# The checker catches a missing option: drop --jobs and -l from copies.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed '/^\.BR \\-j ", " \\-\\-jobs/d' "$MAN/smtpsuite-run.1" > "$tmp/run.1"
[ "$(missing_options run "$tmp/run.1")" = "--jobs" ] ||
  bad "the checker missed a page without --jobs: '$(missing_options run "$tmp/run.1")'"
sed 's/^\.BR \\-l ", " \\-\\-list$/.B \\-\\-list/' "$MAN/smtpsuite-run.1" > "$tmp/run2.1"
[ "$(missing_options run "$tmp/run2.1")" = "-l (with --list)" ] ||
  bad "the checker missed a page without -l: '$(missing_options run "$tmp/run2.1")'"

for page in "$MAN"/*.[1-9]; do
  warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
  [ -z "$warn" ] || bad "$(basename "$page"): groff warns: $warn"
  lexgrog "$page" >/dev/null 2>&1 || bad "$(basename "$page"): lexgrog cannot parse its NAME section"
  left=$(grep -nE '@[A-Z_]+@' "$page")
  [ -z "$left" ] || bad "$(basename "$page"): unreplaced $left"
done
pages=("$MAN"/*.[1-9])
echo "== ${#pages[@]} pages render without warnings"
exit $fail
