# Writes the report, in Markdown to ENVIRON["MD"] and in HTML to ENVIRON["HTML"].
# Reads the values (one-line JSON) in ENVIRON["INVENTORY"], ["LICENSES"] and
# the file ENVIRON["GROUPS_FILE"] (one changelogs value a line), and the
# tables they name. Everything printed from the data is escaped.
BEGIN {
    FS = "\t"; top = ENVIRON["TOP"] + 0; md = ENVIRON["MD"]; html = ENVIRON["HTML"]
    read_inventory(jstr(ENVIRON["INVENTORY"], "table"))
    while ((getline value < ENVIRON["GROUPS_FILE"]) > 0) read_group(value)
    close(ENVIRON["GROUPS_FILE"])
    print "@progress 1/2 -- writing the report"; fflush()

    start_documents()
    summary()
    groups_section()
    largest_section()
    updated_sections()
    licenses_section(ENVIRON["LICENSES"])
    maintainers_section()
    end_documents()
}

# ---- reading ----------------------------------------------------------------

function read_inventory(file,   line, f, key) {
    getline line < file
    while ((getline line < file) > 0) {
        split(line, f, "\t")
        n++; name[n] = f[1]; version[n] = f[2]; section[n] = f[3]; size[n] = f[4] + 0
        total_size += size[n]
        key = tolower(f[6]); if (match(key, /<[^<>]*>$/)) key = substr(key, RSTART, RLENGTH)
        if (!(key in maint_count)) { maints++; maint_key[maints] = key; maint_name[key] = f[6] }
        maint_count[key]++
    }
    close(file)
}

function read_group(value,   file, line, f) {
    ngroups++
    g_name[ngroups] = jstr(value, "group"); g_packages[ngroups] = jnum(value, "packages")
    g_with[ngroups] = jnum(value, "with_changelog"); g_uploads[ngroups] = jnum(value, "uploads")
    g_first[ngroups] = jstr(value, "first"); g_latest[ngroups] = jstr(value, "latest")
    g_maint[ngroups] = jnum(value, "maintainers")
    total_uploads += g_uploads[ngroups]
    file = jstr(value, "table")
    getline line < file
    while ((getline line < file) > 0) {
        split(line, f, "\t")
        if (f[4] == "") continue
        dated++; d_name[dated] = f[1]; d_latest[dated] = f[4]; d_uploads[dated] = f[2]
    }
    close(file)
}

# A string or number field of a one-line JSON object written by our scripts.
function jstr(json, key,   s) {
    if (!match(json, "\"" key "\":\"[^\"]*\"")) return ""
    s = substr(json, RSTART, RLENGTH); sub(/^"[^"]*":"/, "", s); sub(/"$/, "", s)
    return s
}
function jnum(json, key,   s) {
    if (!match(json, "\"" key "\":[0-9]+")) return 0
    s = substr(json, RSTART, RLENGTH); sub(/.*:/, "", s)
    return s + 0
}

# ---- ordering ---------------------------------------------------------------

# Fills out[1..k] with the indexes of the k smallest keys (ties: lower index).
function smallest(keys, count, k, out,   i, j, have) {
    have = 0
    for (i = 1; i <= count; i++) {
        if (have == k && keys[i] >= keys[out[have]]) continue
        if (have < k) have++
        for (j = have; j > 1 && keys[i] < keys[out[j - 1]]; j--) out[j] = out[j - 1]
        out[j] = i
    }
    return have
}

# Turns an ascending order into a descending one for dates and numbers.
function flip(s,   r, i, c) {
    r = ""
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        r = r ((c ~ /[0-9]/) ? 9 - c : c)
    }
    return r
}

# ---- writing ----------------------------------------------------------------

function md_escape(s) {
    gsub(/\\/, "\\\\", s); gsub(/[|*_`\[\]]/, "\\\\&", s)
    gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s)
    return s
}
function html_escape(s) {
    gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s)
    gsub(/"/, "\\&quot;", s); gsub(/'/, "\\&#39;", s)
    return s
}

function start_documents() {
    print "# Installed packages\n" > md
    print "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">" > html
    print "<title>Installed packages</title>\n<style>" > html
    print "body { font: 15px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222 }" > html
    print "table { border-collapse: collapse; margin-bottom: 1.5em }" > html
    print "th, td { border-bottom: 1px solid #ddd; padding: .2em .8em; text-align: left }" > html
    print "td.n, th.n { text-align: right; font-variant-numeric: tabular-nums }" > html
    print "</style>\n</head>\n<body>\n<h1>Installed packages</h1>" > html
}

function end_documents() { print "</body>\n</html>" > html }

function paragraph(text) {
    print text "\n" > md
    print "<p>" html_escape(text) "</p>" > html
}

function heading(text) {
    print "## " text "\n" > md
    print "<h2>" html_escape(text) "</h2>" > html
}

# Starts a table; spec is "Title:l|Count:n|...", n for right-aligned numbers.
function table_start(spec,   n, cols, i, c, line, rule) {
    n = split(spec, cols, "|"); line = "|"; rule = "|"
    print "<table>\n<tr>" > html
    for (i = 1; i <= n; i++) {
        split(cols[i], c, ":"); align[i] = c[2]
        line = line " " c[1] " |"; rule = rule (c[2] == "n" ? " ---: |" : " --- |")
        print "<th" (c[2] == "n" ? " class=\"n\"" : "") ">" html_escape(c[1]) "</th>" > html
    }
    print line "\n" rule > md
    print "</tr>" > html
    columns = n
}

# One row; cells separated by "\t".
function row(cells,   v, i, line) {
    split(cells, v, "\t"); line = "|"
    printf "<tr>" > html
    for (i = 1; i <= columns; i++) {
        line = line " " md_escape(v[i]) " |"
        printf "<td%s>%s</td>", (align[i] == "n" ? " class=\"n\"" : ""), html_escape(v[i]) > html
    }
    print line > md
    print "</tr>" > html
}

function table_end() { print "" > md; print "</table>" > html }

# ---- sections ---------------------------------------------------------------

function summary() {
    paragraph(n " packages installed, " total_size " KiB in all; " \
        total_uploads " uploads in their changelogs.")
}

function groups_section(   i) {
    heading("Uploads by group")
    table_start("Group:l|Packages:n|With changelog:n|Uploads:n|First upload:l|Latest upload:l|Maintainers:n")
    for (i = 1; i <= ngroups; i++)
        row(g_name[i] "\t" g_packages[i] "\t" g_with[i] "\t" g_uploads[i] "\t" \
            g_first[i] "\t" g_latest[i] "\t" g_maint[i])
    table_end()
}

function largest_section(   keys, out, k, i, j) {
    heading("Largest packages")
    for (i = 1; i <= n; i++) keys[i] = flip(sprintf("%015d", size[i])) "\t" name[i]
    k = smallest(keys, n, top, out)
    table_start("Package:l|Version:l|Section:l|Installed size (KiB):n")
    for (i = 1; i <= k; i++) { j = out[i]; row(name[j] "\t" version[j] "\t" section[j] "\t" size[j]) }
    table_end()
}

function updated_sections(   keys, out, k, i, j) {
    heading("Most recently updated")
    for (i = 1; i <= dated; i++) keys[i] = flip(d_latest[i]) "\t" d_name[i]
    k = smallest(keys, dated, top, out)
    table_start("Package:l|Latest upload:l|Uploads:n")
    for (i = 1; i <= k; i++) { j = out[i]; row(d_name[j] "\t" d_latest[j] "\t" d_uploads[j]) }
    table_end()

    heading("Least recently updated")
    for (i = 1; i <= dated; i++) keys[i] = d_latest[i] "\t" d_name[i]
    k = smallest(keys, dated, top, out)
    table_start("Package:l|Latest upload:l|Uploads:n")
    for (i = 1; i <= k; i++) { j = out[i]; row(d_name[j] "\t" d_latest[j] "\t" d_uploads[j]) }
    table_end()
}

function licenses_section(value,   file, line, f, shown) {
    heading("Licenses")
    paragraph(jnum(value, "machine_readable") " packages have a machine-readable copyright file; " \
        jnum(value, "not_machine_readable") " have another kind and " \
        jnum(value, "missing") " have none. They name " jnum(value, "licenses") " licenses.")
    file = jstr(value, "table")
    table_start("License:l|Packages:n")
    getline line < file
    while (shown < 2 * top && (getline line < file) > 0) { shown++; row(line) }
    close(file)
    table_end()
}

function maintainers_section(   keys, out, k, i, key) {
    heading("Maintainers with the most packages")
    for (i = 1; i <= maints; i++) {
        key = maint_key[i]
        keys[i] = flip(sprintf("%09d", maint_count[key])) "\t" tolower(maint_name[key])
    }
    k = smallest(keys, maints, top, out)
    table_start("Maintainer:l|Packages:n")
    for (i = 1; i <= k; i++) { key = maint_key[out[i]]; row(maint_name[key] "\t" maint_count[key]) }
    table_end()
}
