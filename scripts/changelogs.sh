#!/bin/sh
# changelogs_GROUP: the upload history of one group's packages, read from
# their changelog.Debian.gz files.
#
# usage: scripts/changelogs.sh GROUP
# env:   INVENTORY  the inventory job's value (!retval inventory)
#        DOC_DIR    the folder with one sub-folder per package (vars.doc_dir)
# out:   out/changelogs/GROUP.tsv, tab-separated with a header line: name,
#        uploads, first, latest (dates of the first and latest upload),
#        maintainers (distinct), urgencies ("low:1,medium:12")
# value: {"group":..,"packages":N,"with_changelog":N,"uploads":N,"first":..,
#         "latest":..,"maintainers":N,"urgencies":{..},"table":..,"fingerprint":..}
#
# All changelogs go through one gzip and one awk. Skips when the group's rows
# in the inventory, their changelogs and these scripts are unchanged.
set -eu
lib=$(dirname "$0")
# shellcheck source=scripts/jcrun.sh
. "$lib/jcrun.sh"
# shellcheck source=scripts/lib/common.sh
. "$lib/lib/common.sh"

if [ $# -ne 1 ] || [ -z "$1" ]; then die "usage: scripts/changelogs.sh GROUP"; fi
group=$1
check_plain_path "$group"
need_value INVENTORY "the inventory job's value (!retval inventory)"
inventory_table=$(json_field table "$INVENTORY")
doc_dir=${DOC_DIR:-/usr/share/doc}
table="out/changelogs/$group.tsv"
[ -f "$inventory_table" ] || die "the inventory table '$inventory_table' does not exist; rebuild the inventory job"
[ -d "$doc_dir" ] || die "the documentation folder '$doc_dir' does not exist (set vars.doc_dir in jcrun.yaml)"

# The group's packages, and the changelogs to read with a segment marker
# after each one (the marker is a tiny gzip file holding a line "\036").
tmp=$(mktemp -d "${TMPDIR:-/tmp}/changelogs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
printf '\n\036\n' | gzip -n >"$tmp/marker.gz"
GROUP="$group" DOC_DIR="$doc_dir" DOC_FILE=changelog.Debian.gz MARKER="$tmp/marker.gz" ROWS="$tmp/rows" \
  awk -f scripts/lib/select.awk "$inventory_table" >"$tmp/files"
set -f
IFS=$JC_NL
# shellcheck disable=SC2046 # one argument per line of the list
set -- $(cat "$tmp/files")
unset IFS
set +f

# Skip when the same packages have the same changelogs as last time.
fp=$({ cat "$tmp/rows"; [ $# -eq 0 ] || cat -- "$@"; } |
  fingerprint scripts/changelogs.sh scripts/lib/select.awk scripts/lib/changelogs.awk scripts/lib/common.sh)
if [ -f "$table" ] && previous_matches "fingerprint=$fp" "table=$table" "table_sum=$(file_sum "$table")"; then
  jc_skip "the changelogs of group $group are unchanged"
  exit 0
fi

# Read every changelog in one stream; awk tells the packages apart by marker.
mkdir -p out/changelogs
if [ $# -eq 0 ]; then unzip_all() { :; }; else unzip_all() { gzip -dc -- "$@"; }; fi
unzip_all "$@" |
  GROUP="$group" TABLE="$tmp/table" SUMMARY="$tmp/summary" \
    awk -f scripts/lib/changelogs.awk "$tmp/rows" - >&"$JC_FD" ||
  die "could not read the changelogs of group $group"
publish_file "$tmp/table" "$table"

jc_retval "$(cat "$tmp/summary"),\"table\":\"$table\",\"table_sum\":\"$(file_sum "$table")\",\"fingerprint\":\"$fp\"}"
