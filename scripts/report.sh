#!/bin/sh
# report: out/report.md and a self-contained out/report.html, from the values
# of inventory, licenses and every changelogs_GROUP job.
#
# usage: scripts/report.sh [CHANGELOGS_VALUE...]   (one per group, in order)
# env:   INVENTORY, LICENSES  those jobs' values (!retval); TOP, rows per list (10)
# value: the HTML report's path, out/report.html (report.md is beside it)
set -eu
lib=$(dirname "$0")
# shellcheck source=scripts/jcrun.sh
. "$lib/jcrun.sh"
# shellcheck source=scripts/lib/common.sh
. "$lib/lib/common.sh"

need_value INVENTORY "the inventory job's value (!retval inventory)"
need_value LICENSES "the licenses job's value (!retval licenses)"
top=${TOP:-10}
case $top in '' | *[!0-9]*) die "TOP must be a number, not '$top'" ;; esac

# Every table the values name must be in place.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/report.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
printf '%s\n' "$@" >"$tmp/groups"
for value in "$INVENTORY" "$LICENSES" "$@"; do
  t=$(json_field table "$value")
  [ -f "$t" ] || die "the table '$t' named by a dependency's value does not exist; rebuild that job"
done

jc_progress 0 2 -- reading the tables
mkdir -p out
GROUPS_FILE="$tmp/groups" MD="$tmp/report.md" HTML="$tmp/report.html" TOP="$top" \
  awk -f scripts/lib/report.awk >&"$JC_FD" || die "could not write the report"
publish_file "$tmp/report.md" out/report.md
publish_file "$tmp/report.html" out/report.html
jc_progress 2 2 -- written
jc_retval out/report.html
