#!/bin/sh
# publish: copies the report (HTML, and the Markdown beside it) to a folder.
#
# usage: scripts/publish.sh
# env:   REPORT       the report job's value: the HTML report's path
#        PUBLISH_DIR  the folder to copy to (vars.publish_dir; out/published)
# value: {"html":"DIR/report.html","markdown":"DIR/report.md"}
set -eu
lib=$(dirname "$0")
# shellcheck source=scripts/jcrun.sh
. "$lib/jcrun.sh"
# shellcheck source=scripts/lib/common.sh
. "$lib/lib/common.sh"

need_value REPORT "the report job's value (!retval report)"
html=$REPORT
dir=${PUBLISH_DIR:-out/published}
markdown=${html%.html}.md
check_plain_path "$dir"
[ -f "$html" ] || die "the report '$html' does not exist; rebuild the report job"
[ -f "$markdown" ] || die "the report '$markdown' does not exist; rebuild the report job"
mkdir -p -- "$dir" || die "cannot create the folder '$dir'"

# Copy under temporary names first, so a reader never sees half a file.
jc_progress 0 2 -- copying
for file in "$html" "$markdown"; do
  name=${file##*/}
  cp -- "$file" "$dir/.$name.$$" || die "cannot copy '$file' to '$dir'"
  publish_file "$dir/.$name.$$" "$dir/$name"
done
jc_progress 2 2 -- published
jc_log info "published to $dir"
jc_retval "{\"html\":\"$dir/${html##*/}\",\"markdown\":\"$dir/${markdown##*/}\"}"
