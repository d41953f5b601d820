#!/bin/sh
# inventory: the table of installed packages, read from a dpkg status file.
#
# usage: scripts/inventory.sh [GROUP=SECTION,SECTION...]...
# env:   DPKG_STATUS  the status file (jcrun.yaml: vars.dpkg_status)
# out:   out/inventory.tsv, tab-separated with a header line: name, version,
#        section, installed_size (KiB), source, maintainer, group (the first
#        GROUP whose sections hold the package's section, else "other")
# value: {"table":"out/inventory.tsv","packages":N,"table_sum":"..","fingerprint":".."}
#
# Skips when the status file, the grouping and this script are unchanged
# since the last successful build and that build's table is still in place.
set -eu

lib=$(dirname "$0")
# shellcheck source=scripts/jcrun.sh
. "$lib/jcrun.sh"
# shellcheck source=scripts/lib/common.sh
. "$lib/lib/common.sh"

status=${DPKG_STATUS:-/var/lib/dpkg/status}
table=out/inventory.tsv
[ -f "$status" ] || die "the dpkg status file '$status' does not exist (set vars.dpkg_status in jcrun.yaml)"
[ -r "$status" ] || die "the dpkg status file '$status' is not readable"

# Skip when nothing that shapes the table has changed.
fp=$(printf '%s\n' "$@" | fingerprint "$status" scripts/inventory.sh scripts/lib/inventory.awk scripts/lib/common.sh)
if [ -f "$table" ] && previous_matches "fingerprint=$fp" "table=$table" "table_sum=$(file_sum "$table")"; then
  jc_skip "$status is unchanged"
  exit 0
fi

# Read the status file into a temporary table, then put it in place.
mkdir -p out
tmp="out/.inventory.tsv.$$"
trap 'rm -f "$tmp"' EXIT
total=$(grep -c '^Package:' "$status" || true)
TABLE="$tmp" TOTAL="$total" SECTION_GROUPS="$*" \
  awk -f scripts/lib/inventory.awk "$status" >&"$JC_FD" || die "could not read '$status'"
packages=$(($(wc -l <"$tmp") - 1))
publish_file "$tmp" "$table"

jc_retval "{\"table\":\"$table\",\"packages\":$packages,\"table_sum\":\"$(file_sum "$table")\",\"fingerprint\":\"$fp\"}"
