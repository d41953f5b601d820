# shellcheck shell=sh
# scripts/jcrun.sh: talk to jcrun from a POSIX shell script (docs/PROTOCOL.md).
#
#   . "$(dirname "$0")/jcrun.sh"
#   jc_progress 3 10 libraries -- libfoo      # @progress 3/10 libraries -- libfoo
#   jc_progress 1 ? scan :: disk 1            # total not known yet
#   jc_retval "$(jc_json_string "$path")"     # one line; JSON for structure
#   jc_skip "status file unchanged"
#   jc_log warning "no changelog for $pkg"
#
# Every directive goes to the descriptor named in JCRUN_DIRECTIVE_FD when it
# is set and open (jcrun offers 3 to every job), and to stdout otherwise, so
# the same script works under jcrun, under `directives: fd`, and by hand.
# JC_FD holds the descriptor chosen when this file was sourced: a script can
# send a whole stream of directives there, e.g. `awk ... >&"$JC_FD"`.
#
# Functions return 0, or 2 with a message on stderr when called wrongly.

# Pick the directive descriptor once: a single digit that is open for writing.
JC_FD=1
case ${JCRUN_DIRECTIVE_FD-} in
  [0-9])
    if { true >&"$JCRUN_DIRECTIVE_FD"; } 2>/dev/null; then
      JC_FD=$JCRUN_DIRECTIVE_FD
    fi
    ;;
esac

# The newline and carriage-return characters, for tests on values.
JC_NL='
'
JC_CR=$(printf '\r')

# jc_directive LINE: write one directive line to the directive descriptor.
jc_directive() {
  printf '%s\n' "$1" >&"$JC_FD"
}

# jc_one_line TEXT: TEXT with every newline and carriage return made a space.
jc_one_line() {
  _jc_text=$1
  case $_jc_text in
    *"$JC_NL"* | *"$JC_CR"*) ;;
    *) printf '%s' "$_jc_text"; return 0 ;;
  esac
  _jc_out=
  while :; do
    case $_jc_text in
      *["$JC_NL$JC_CR"]*)
        _jc_head=${_jc_text%%["$JC_NL$JC_CR"]*}
        _jc_out="$_jc_out$_jc_head "
        _jc_text=${_jc_text#"$_jc_head"?}
        ;;
      *) break ;;
    esac
  done
  printf '%s' "$_jc_out$_jc_text"
}

# jc_json_string TEXT: print TEXT as a JSON string literal (one line).
jc_json_string() {
  case $1 in
    *[\\\"]* | *[![:print:]]*)
      printf '%s\n' "$1" | LC_ALL=C awk '
        BEGIN { for (i = 1; i < 32; i++) ctl[sprintf("%c", i)] = sprintf("\\u%04x", i)
                ctl["\n"] = "\\n"; ctl["\t"] = "\\t"; ctl["\r"] = "\\r" }
        { line = (NR > 1 ? "\\n" : "") line_escape($0); out = out line }
        function line_escape(s,   r, c, i) {
          r = ""
          for (i = 1; i <= length(s); i++) {
            c = substr(s, i, 1)
            if (c == "\\" || c == "\"") r = r "\\" c
            else if (c in ctl) r = r ctl[c]
            else r = r c
          }
          return r
        }
        END { printf "\"%s\"", out }'
      ;;
    *) printf '"%s"' "$1" ;;
  esac
}

# jc_progress CURRENT TOTAL [GROUP...] [-- STATUS...]
#
# Each GROUP argument is one level of the progress tree (an argument `::`
# between them is allowed and ignored); STATUS is the words after `--`. TOTAL may be `?`. Names that the text form cannot carry (with
# `::`, ` -- `, or surrounding blanks) switch to the JSON form by themselves;
# newlines in names or status become spaces.
jc_progress() {
  if [ $# -lt 2 ]; then
    echo "jc_progress: usage: jc_progress CURRENT TOTAL [GROUP...] [-- STATUS]" >&2
    return 2
  fi
  _jc_cur=$1 _jc_tot=$2
  shift 2
  case $_jc_cur in '' | *[!0-9]*)
    echo "jc_progress: current must be a non-negative integer, not '$_jc_cur'" >&2
    return 2 ;;
  esac
  case $_jc_tot in '?') ;; '' | *[!0-9]*)
    echo "jc_progress: total must be a non-negative integer or '?', not '$_jc_tot'" >&2
    return 2 ;;
  esac

  # Collect the group path, and notice names only JSON can carry.
  _jc_path='' _jc_json='' _jc_status='' _jc_has_status=0 _jc_plain=1
  while [ $# -gt 0 ]; do
    if [ "$1" = "::" ]; then shift; continue; fi
    if [ "$1" = "--" ]; then
      shift
      _jc_has_status=1
      _jc_status=$(jc_one_line "$*")
      break
    fi
    _jc_name=$(jc_one_line "$1")
    case $_jc_name in
      '' | *::* | *' -- '* | ' '* | *' ' | '--' | '-- '* | *' --') _jc_plain=0 ;;
    esac
    _jc_path="$_jc_path${_jc_path:+ :: }$_jc_name"
    _jc_json="$_jc_json${_jc_json:+, }$(jc_json_string "$_jc_name")"
    shift
  done

  # Write the text form when it says exactly the same, else the JSON form.
  if [ "$_jc_plain" = 1 ]; then
    _jc_line="@progress $_jc_cur/$_jc_tot${_jc_path:+ $_jc_path}"
    [ "$_jc_has_status" = 1 ] && _jc_line="$_jc_line -- $_jc_status"
  else
    [ "$_jc_tot" = '?' ] && _jc_tot=null
    _jc_line="@progress {\"group\": [$_jc_json], \"current\": $_jc_cur, \"total\": $_jc_tot"
    [ "$_jc_has_status" = 1 ] && _jc_line="$_jc_line, \"status\": $(jc_json_string "$_jc_status")"
    _jc_line="$_jc_line}"
  fi
  jc_directive "$_jc_line"
}

# jc_retval VALUE: set the build's return value. VALUE must be one line:
# write structure or multi-line text as JSON (see jc_json_string).
jc_retval() {
  if [ $# -ne 1 ]; then
    echo "jc_retval: usage: jc_retval VALUE (quote it: one argument)" >&2
    return 2
  fi
  case $1 in
    *"$JC_NL"* | *"$JC_CR"*)
      echo "jc_retval: a return value must be one line; write it as JSON with jc_json_string" >&2
      return 2 ;;
  esac
  if [ -z "$1" ]; then jc_directive "@retval"; else jc_directive "@retval $1"; fi
}

# jc_skip [REASON]: this build had nothing to do; exit 0 afterwards.
jc_skip() {
  if [ $# -eq 0 ]; then jc_directive "@skip"; return; fi
  jc_directive "@skip $(jc_one_line "$*")"
}

# jc_log LEVEL MESSAGE...: a log entry at LEVEL (debug, info, warning, error,
# critical). A message of several lines becomes one entry per line.
jc_log() {
  case ${1-} in
    debug | info | warning | error | critical) ;;
    *)
      echo "jc_log: level must be debug, info, warning, error or critical, not '${1-}'" >&2
      return 2 ;;
  esac
  _jc_level=$1
  shift
  _jc_text=$*
  while :; do
    case $_jc_text in
      *"$JC_NL"*)
        jc_directive "@log $_jc_level ${_jc_text%%"$JC_NL"*}"
        _jc_text=${_jc_text#*"$JC_NL"}
        ;;
      *) jc_directive "@log $_jc_level $_jc_text"; return ;;
    esac
  done
}
