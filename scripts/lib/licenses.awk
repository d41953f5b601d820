# Reads the rows file ("name<TAB>copyright path or empty") and each copyright
# file it names. Writes "license<TAB>packages" lines to ENVIRON["COUNTS"],
# the start of the JSON summary (no closing brace) to ENVIRON["SUMMARY"], and
# @progress lines on stdout, about fifty in all.
BEGIN { FS = "\t" }
{ name[NR] = $1; path[NR] = $2 }

END {
    total = NR; step = int(total / 50); if (step < 1) step = 1
    for (i = 1; i <= total; i++) {
        if (path[i] == "") missing++
        else if (read_copyright(path[i])) readable++
        else plain++
        if (i % step == 0 || i == total) {
            printf "@progress %d/%d -- %s\n", i, total, name[i]; fflush()
        }
    }
    distinct = 0
    printf "" > ENVIRON["COUNTS"]
    for (l in packages) { distinct++; print l "\t" packages[l] > ENVIRON["COUNTS"] }
    printf "{\"packages\":%d,\"machine_readable\":%d,\"not_machine_readable\":%d,", \
        total, readable, plain > ENVIRON["SUMMARY"]
    printf "\"missing\":%d,\"licenses\":%d", missing, distinct > ENVIRON["SUMMARY"]
}

# Reads one copyright file; counts its licenses when it is machine-readable.
function read_copyright(file,   line, header, dep5, key, value, n, parts, j, seen) {
    header = 1; dep5 = 0; split("", seen)
    while ((getline line < file) > 0) {
        sub(/\r$/, "", line)
        if (line ~ /^[ \t]*$/) {
            header = 0
            if (!dep5) break
            continue
        }
        if (line ~ /^[ \t]/) continue
        key = tolower(line); sub(/:.*/, "", key)
        if (header && (key == "format" || key == "format-specification")) dep5 = 1
        if (!dep5 || key != "license") continue
        value = substr(line, index(line, ":") + 1)
        gsub(/[ \t]+(or|and|and\/or|OR|AND)[ \t]+|[ \t]*[|,][ \t]*/, "\n", value)
        n = split(value, parts, "\n")
        for (j = 1; j <= n; j++) {
            sub(/^[ \t]+/, "", parts[j]); sub(/[ \t]+$/, "", parts[j])
            if (parts[j] != "" && !(parts[j] in seen)) { seen[parts[j]] = 1; packages[parts[j]]++ }
        }
    }
    close(file)
    return dep5
}
