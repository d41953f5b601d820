# Reads the group's rows file, then the changelogs of the rows that have one,
# decompressed into one stream where a line "\036" ends each changelog.
# Writes the per-package table to ENVIRON["TABLE"], the start of the JSON
# summary (without its closing brace) to ENVIRON["SUMMARY"], and progress
# lines on stdout: the group node with the package as status line, and one
# node per package under the group.
BEGIN {
    FS = "\t"; group = ENVIRON["GROUP"]; table = ENVIRON["TABLE"]
    split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", names, " ")
    for (i = 1; i <= 12; i++) month[names[i]] = sprintf("%02d", i)
    print "name\tuploads\tfirst\tlatest\tmaintainers\turgencies" > table
}

# The rows file: packages in order; note which ones have a changelog.
NR == FNR {
    count++; pkg[count] = $1; has[count] = ($2 != "")
    next
}

# The stream starts: announce the packages that have no changelog to read.
FNR == 1 { current = 0; advance() }

$0 == "\036" { finish(); advance(); next }

# A heading: "name (version) distribution; urgency=medium".
/^[a-z0-9][a-z0-9+.-]* \(/ {
    uploads++
    u = "unknown"
    if (match($0, /urgency=[A-Za-z]+/)) u = tolower(substr($0, RSTART + 8, RLENGTH - 8))
    if (!(u in urg)) { urg[u] = 0; urgs = urgs (urgs == "" ? "" : " ") u }
    urg[u]++
    next
}

# A trailer: " -- Name <email>  Sun, 05 Mar 2023 12:34:56 +0100".
/^ -- / {
    lt = index($0, "<"); gt = index($0, ">")
    who = (lt && gt > lt) ? tolower(substr($0, lt + 1, gt - lt - 1)) : substr($0, 5)
    if (!(who in pm)) { pm[who] = 1; npm++ }
    if (!(who in gm)) { gm[who] = 1; ngm++ }
    rest = gt ? substr($0, gt + 1) : $0
    if (match(rest, /[0-9][0-9]? [A-Z][a-z][a-z] [0-9][0-9][0-9][0-9]/)) {
        split(substr(rest, RSTART, RLENGTH), d, " ")
        if (d[2] in month) {
            date = sprintf("%s-%s-%02d", d[3], month[d[2]], d[1])
            if (first == "" || date < first) first = date
            if (latest == "" || date > latest) latest = date
        }
    }
}

# Moves to the next package with a changelog, reporting those without one.
function advance() {
    for (current++; current <= count && !has[current]; current++) {
        print pkg[current] "\t0\t\t\t0\t" > table
        report(0, "no changelog")
    }
    uploads = 0; first = ""; latest = ""; npm = 0; urgs = ""
    split("", pm); split("", urg)
}

# Ends the current package: its table row, group totals, its progress node.
function finish(   list, n, i, parts) {
    if (current > count) return
    list = ""
    n = split(urgs, parts, " ")
    for (i = 1; i <= n; i++) {
        list = list (i > 1 ? "," : "") parts[i] ":" urg[parts[i]]
        gurg[parts[i]] += urg[parts[i]]
    }
    print pkg[current] "\t" uploads "\t" first "\t" latest "\t" npm "\t" list > table
    with++; total_uploads += uploads
    if (first != "" && (gfirst == "" || first < gfirst)) gfirst = first
    if (latest != "" && latest > glatest) glatest = latest
    report(uploads, uploads " uploads" (latest != "" ? ", latest " latest : ""))
}

function report(n, status) {
    done++
    printf "@progress %d/%d %s -- %s\n", done, count, group, pkg[current]
    printf "@progress %d/%d %s :: %s -- %s\n", n, n, group, pkg[current], status
    fflush()
}

END {
    if (count > 0 && NR == FNR) { current = 0; advance() }
    if (count == 0) printf "@progress 0/0 %s\n", group
    n = 0; list = ""
    for (u in gurg) names_[++n] = u
    for (i = 2; i <= n; i++)
        for (j = i; j > 1 && names_[j] < names_[j - 1]; j--) {
            t = names_[j]; names_[j] = names_[j - 1]; names_[j - 1] = t
        }
    for (i = 1; i <= n; i++) list = list (i > 1 ? "," : "") "\"" names_[i] "\":" gurg[names_[i]]
    printf "{\"group\":\"%s\",\"packages\":%d,\"with_changelog\":%d,\"uploads\":%d,", \
        group, count, with, total_uploads > ENVIRON["SUMMARY"]
    printf "\"first\":\"%s\",\"latest\":\"%s\",\"maintainers\":%d,\"urgencies\":{%s}", \
        gfirst, glatest, ngm, list > ENVIRON["SUMMARY"]
}
