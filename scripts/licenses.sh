#!/bin/sh
# licenses: which licenses the installed packages' machine-readable copyright
# files name, and how many packages have no such file.
#
# usage: scripts/licenses.sh
# env:   INVENTORY  the inventory job's value (!retval inventory)
#        DOC_DIR    the folder with one sub-folder per package (vars.doc_dir)
# out:   out/licenses.tsv: license, packages (how many name it), most first
# value: {"packages":N,"machine_readable":N,"not_machine_readable":N,
#         "missing":N,"licenses":N,"top":"..","table":..,"fingerprint":..}
#
# A copyright file is machine-readable when its first paragraph has a
# Format: field (copyright-format 1.0, or Format-Specification: of the
# drafts). Each License: field's first line is split on " or ", " and ", " and/or ",
# "|" and ","; a package counts once for each license it names.
set -eu
lib=$(dirname "$0")
# shellcheck source=scripts/jcrun.sh
. "$lib/jcrun.sh"
# shellcheck source=scripts/lib/common.sh
. "$lib/lib/common.sh"

need_value INVENTORY "the inventory job's value (!retval inventory)"
inventory_table=$(json_field table "$INVENTORY")
doc_dir=${DOC_DIR:-/usr/share/doc}
table=out/licenses.tsv
[ -f "$inventory_table" ] || die "the inventory table '$inventory_table' does not exist; rebuild the inventory job"
[ -d "$doc_dir" ] || die "the documentation folder '$doc_dir' does not exist (set vars.doc_dir in jcrun.yaml)"

# The packages and their copyright files.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/licenses.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
GROUP='' DOC_DIR="$doc_dir" DOC_FILE=copyright MARKER='' ROWS="$tmp/rows" \
  awk -f scripts/lib/select.awk "$inventory_table" >"$tmp/files"
set -f
IFS=$JC_NL
# shellcheck disable=SC2046 # one argument per line of the list
set -- $(cat "$tmp/files")
unset IFS
set +f

# Skip when the same packages have the same copyright files as last time.
fp=$({ cat "$tmp/rows"; [ $# -eq 0 ] || cat -- "$@"; } |
  fingerprint scripts/licenses.sh scripts/lib/select.awk scripts/lib/licenses.awk scripts/lib/common.sh)
if [ -f "$table" ] && previous_matches "fingerprint=$fp" "table=$table" "table_sum=$(file_sum "$table")"; then
  jc_skip "the copyright files are unchanged"
  exit 0
fi

# Count, then sort the table: most packages first, then by name.
mkdir -p out
COUNTS="$tmp/counts" SUMMARY="$tmp/summary" \
  awk -f scripts/lib/licenses.awk "$tmp/rows" >&"$JC_FD" || die "could not read the copyright files"
{
  printf 'license\tpackages\n'
  LC_ALL=C sort -t "$(printf '\t')" -k2,2nr -k1,1 "$tmp/counts"
} >"$tmp/table"
top=$(sed -n '2{s/\t.*//;p;}' "$tmp/table")
publish_file "$tmp/table" "$table"

jc_retval "$(cat "$tmp/summary"),\"top\":$(jc_json_string "$top"),\"table\":\"$table\",\"table_sum\":\"$(file_sum "$table")\",\"fingerprint\":\"$fp\"}"
