# shellcheck shell=sh
# scripts/lib/common.sh: helpers shared by the example pipeline's scripts.
# Source after jcrun.sh. Every script runs in the project folder, so that
# out/ and relative input paths mean the same under jcrun and by hand.

# die MESSAGE: print "SCRIPT: MESSAGE" on stderr and exit 1.
die() {
  _die=${0##*/}
  printf '%s: %s\n' "${_die%.sh}" "$1" >&2
  exit 1
}

# need_value NAME WHAT: die unless the variable NAME is set and not empty.
need_value() {
  eval "_nv=\${$1-}"
  [ -n "$_nv" ] || die "$1 is not set; it should hold $2"
}

# json_field KEY JSON: the string or number KEY holds in a one-line JSON
# object written by these scripts (no escapes inside the value, no nesting
# before the key). Prints nothing when KEY is absent. No process is started.
json_field() {
  case $2 in
    *"\"$1\":\""*)
      _jf=${2#*"\"$1\":\""}
      printf '%s' "${_jf%%\"*}" ;;
    *"\"$1\":"*)
      _jf=${2#*"\"$1\":"}
      _jf=${_jf%%[,\}]*}
      printf '%s' "$_jf" ;;
  esac
}

# fingerprint FILE...: one word naming the contents of FILE... and of
# standard input, read in that order; equal inputs give equal words.
fingerprint() {
  _fp=$({ cat; cat -- "$@"; } | cksum)
  printf '%s.%s' "${_fp%% *}" "${_fp##* }"
}

# file_sum FILE: the checksum of one file, as a word.
file_sum() {
  _fs=$(cksum <"$1")
  printf '%s.%s' "${_fs%% *}" "${_fs##* }"
}

# previous_matches FIELD=VALUE...: true when JCRUN_PREVIOUS_RETVAL (this
# job's last successful value) holds every one of the given string fields.
previous_matches() {
  [ -n "${JCRUN_PREVIOUS_RETVAL-}" ] || return 1
  for _pm; do
    case $JCRUN_PREVIOUS_RETVAL in
      *"\"${_pm%%=*}\":\"${_pm#*=}\""*) ;;
      *) return 1 ;;
    esac
  done
}

# publish_file TMP DEST: move a finished output into place in one step.
# TODO(#7): outputs have fixed names and are replaced; with --pin JOB=BUILD a
# dependent gets the old build's value but reads the newest table.
publish_file() {
  mv -f -- "$1" "$2" || die "cannot write '$2'"
}

# A path that can be put into our JSON as it is (no quote, backslash, control).
check_plain_path() {
  case $1 in
    *[\"\\]* | *[![:print:]]*) die "'$1': paths with quotes, backslashes or control characters are not supported" ;;
  esac
}

# Work in the project folder.
cd "${JCRUN_PROJECT_DIR:-$(dirname "$0")/..}" || die "cannot enter the project folder"
