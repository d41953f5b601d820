# Reads a dpkg status file (one paragraph per package) and writes the table
# of installed packages to ENVIRON["TABLE"]; prints @progress lines on stdout.
# ENVIRON["SECTION_GROUPS"]: "group=section,section group=section ...".
BEGIN {
    RS = ""; FS = "\n"
    table = ENVIRON["TABLE"]; total = ENVIRON["TOTAL"] + 0
    n = split(ENVIRON["SECTION_GROUPS"], specs, " ")
    for (i = 1; i <= n; i++) {
        eq = index(specs[i], "=")
        name = substr(specs[i], 1, eq - 1)
        m = split(substr(specs[i], eq + 1), secs, ",")
        for (j = 1; j <= m; j++) if (!(secs[j] in group_of)) group_of[secs[j]] = name
    }
    print "name\tversion\tsection\tinstalled_size\tsource\tmaintainer\tgroup" > table
    step = int(total / 20); if (step < 1) step = 1
}

# One paragraph: keep the first line of each field, by lower-cased name.
{
    split("", f); key = ""
    for (i = 1; i <= NF; i++) {
        line = $i
        if (line ~ /^[ \t]/ || line == "") continue
        colon = index(line, ":")
        if (colon == 0) continue
        key = tolower(substr(line, 1, colon - 1))
        value = substr(line, colon + 1)
        sub(/^[ \t]+/, "", value); sub(/[ \t\r]+$/, "", value)
        gsub(/\t/, " ", value)
        f[key] = value
    }
    if (!("package" in f)) next
    seen++
    if (seen % step == 0) { printf "@progress %d/%d -- %s\n", seen, total, f["package"]; fflush() }

    # Only packages dpkg reports as installed ("install ok installed").
    split(f["status"], st, " ")
    if (st[3] != "installed") next

    section = ("section" in f) ? f["section"] : "unknown"
    bare = section; sub(/.*\//, "", bare)
    group = (bare in group_of) ? group_of[bare] : "other"
    source = ("source" in f) ? f["source"] : f["package"]
    sub(/ .*/, "", source)
    size = ("installed-size" in f) ? f["installed-size"] + 0 : 0
    printf "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", f["package"], f["version"], section, size, \
        source, f["maintainer"], group > table
}

END { printf "@progress %d/%d\n", seen, seen }
