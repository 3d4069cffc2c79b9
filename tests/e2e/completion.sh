#!/usr/bin/env bash
# The bash completion (generated from the option tables at build time)
# against the binary's own --help: the verbs of 'smtpsuite --help', every
# option of every 'smtpsuite VERB --help' and nothing else, and the
# argument name of each option that takes one (as the parser reports it).
# Then completions as bash computes them: verbs, options, option values (files, folders, --tls
# modes, the sink's profiles and presets from 'smtpsuite sink --list'),
# --name=value, suite names from each step of the search path
# (--cases-dir, $SMTPSUITE_CASES_DIR, ./cases, the installed library, whose
# path must be the one compiled into the binary) and case files.
# Usage: completion.sh SMTPSUITE COMPLETION_FILE
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
COMP=$2
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

# shellcheck source=/dev/null
. "$COMP" || { echo "FAIL: cannot source $COMP" >&2; exit 1; }
complete -p smtpsuite >/dev/null || bad "no 'complete' for smtpsuite"

# ---- the generated data against --help --------------------------------
# An option line of --help: two blanks, then "-x, --name" or "    --name".
OPTLINE='^  (-[a-zA-Z], |    )--[a-z0-9]'
export LC_ALL=C
verbs=$("$BIN" --help | awk '/^verbs:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }' | tr '\n' ' ' | sed 's/ $//')
# shellcheck disable=SC2154  # set by the completion file
[ "$verbs" = "$_smtpsuite_verbs" ] || bad "verbs: got '$_smtpsuite_verbs' want '$verbs'"
nopt=0
for verb in $verbs; do
  want=$("$BIN" "$verb" --help | grep -oE "${OPTLINE}[a-z0-9-]*" |
    sed 's/^ *//; s/,//' | tr ' ' '\n' | sort)
  got=$(_smtpsuite_options "$verb" | tr ' ' '\n' | sort)
  [ "$got" = "$want" ] ||
    bad "$verb: options differ from --help: $(diff <(echo "$got") <(echo "$want") | grep '^[<>]' | tr '\n' ' ')"
  nopt=$((nopt + $(echo "$want" | wc -l)))
  # The argument name, from the parser itself: "--name=" before an unknown
  # option fails with "takes no value" for a flag; a last "--name" fails
  # with "needs a value (ARG)". Both stop at parsing: nothing starts.
  while read -r opt; do
    [ "$opt" = --help ] && continue
    arg=
    if ! "$BIN" "$verb" "$opt=" --no-such-option 2>&1 | grep -qF -- "$opt takes no value"; then
      arg=$("$BIN" "$verb" "$opt" 2>&1 | sed -n "s/.*$opt needs a value (\(.*\))\$/\1/p")
      [ -n "$arg" ] || bad "$verb $opt: neither a flag nor an option with a value"
    fi
    got=$(_smtpsuite_argument "$verb" "$opt")
    [ "$got" = "$arg" ] || bad "$verb $opt: argument '$got', the parser says '$arg'"
  done < <(grep -oE -- '--[a-z0-9-]+' <<<"$want")
done
echo "== $nopt options of $(wc -w <<<"$verbs") verbs agree with --help"

# ---- completions as bash computes them ---------------------------------
# comp WORD...: completes the last word; prints the sorted candidates.
comp() {
  COMP_WORDS=("$@")
  COMP_CWORD=$(($# - 1))
  COMPREPLY=()
  _smtpsuite
  printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
expect() {
  local want=$1
  shift
  local got
  got=$(comp "$@")
  [ "$got" = "$want" ] || bad "completing '$*': got '$got' want '$want'"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/env/suites" "$tmp/opt/suites" "$tmp/co/cases/suites" "$tmp/inst/suites" \
  "$tmp/empty" "$tmp/files/sub" "$tmp/files/.hidden"
touch "$tmp/env/suites/smoke.suite" "$tmp/env/suites/sig.suite" "$tmp/opt/suites/smart.suite" \
  "$tmp/co/cases/suites/smalltalk.suite" "$tmp/inst/suites/smooth.suite" \
  "$tmp/files/a.smtp" "$tmp/files/b.suite" "$tmp/files/c.target" "$tmp/files/d.json" \
  "$tmp/files/e.txt" "$tmp/files/sub/f.smtp"
PATH="$(dirname "$BIN"):$PATH"
export PATH

cd "$tmp/empty" || exit 1
unset SMTPSUITE_CASES_DIR
expect "--help --version check compare help load merge run sink" smtpsuite ''
expect "compare" smtpsuite help co
expect "--tags --target --target-file" smtpsuite run --ta
expect "--target-file" smtpsuite check --target-f
expect "--help --matrix --no-color --strict -h -m" smtpsuite compare -
expect "implicit none starttls" smtpsuite run --tls ''
expect "none v1 v2" smtpsuite load --proxy ''
expect "lmtp" smtpsuite run --protocol l
expect "after before" smtpsuite run --xclient-tls ''
expect "ci rfc" smtpsuite run --timeouts ''
expect "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3" smtpsuite run --tls-min ''
expect "TLSv1.1 TLSv1.2 TLSv1.3" smtpsuite run --tls-max = TLSv1.
expect "$("$BIN" sink --list | awk '/^profiles:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }' | sort | tr '\n' ' ' | sed 's/ $//')" \
  smtpsuite sink --profile ''
expect "smuggle-cr smuggle-lf" smtpsuite sink -f smu
expect "" smtpsuite run --jobs ''

# files and folders
cd "$tmp/files" || exit 1
export SMTPSUITE_CASES_DIR=$tmp/empty
expect "c.target sub" smtpsuite run -T ''
expect "a.smtp b.suite sub" smtpsuite run ''
expect "a.smtp b.suite c.target sub" smtpsuite check ''
expect "d.json sub" smtpsuite compare ''
expect "sub/f.smtp" smtpsuite run sub/
expect "a.smtp b.suite c.target d.json e.txt sub" smtpsuite run --json ''
expect "a.smtp b.suite c.target d.json e.txt sub" smtpsuite run --json = ''
expect ".hidden" smtpsuite run --cases-dir .h
expect "sub" smtpsuite run --cases-dir ''

# suite names: each step of the search path
cd "$tmp/co" || exit 1
export SMTPSUITE_CASES_DIR=$tmp/env
expect "smart" smtpsuite run --cases-dir "$tmp/opt" sm
expect "smart" smtpsuite run --cases-dir = "$tmp/opt" sm
expect "smoke" smtpsuite run smo
expect "sig smoke" smtpsuite check s
unset SMTPSUITE_CASES_DIR
expect "smalltalk" smtpsuite run sm
export SMTPSUITE_CASES_DIR=
cd "$tmp/empty" || exit 1
real=$_smtpsuite_installed_cases
_smtpsuite_installed_cases=$tmp/inst
expect "smooth" smtpsuite run sm
expect "smooth" smtpsuite load --scenario sm
_smtpsuite_installed_cases=$real

# The installed library the completion looks in is the binary's.
msg=$("$BIN" run nosuchsuite-$$ --list 2>&1)
case $msg in
  *"no suite $real/suites/nosuchsuite-$$.suite"*) ;;
  *) bad "the completion's installed library '$real' is not the binary's: $msg" ;;
esac
[ $fail = 0 ] && echo "== completions of verbs, options, values, files and suites are right"
exit $fail
