# From the inventory table, the rows of ENVIRON["GROUP"] (every group when
# empty), each name once: writes "name<TAB>path or empty" lines to
# ENVIRON["ROWS"], where path is DOC_DIR/name/DOC_FILE when that file can be
# read, and prints each such path on stdout, followed by ENVIRON["MARKER"]
# when that is set.
BEGIN {
    FS = "\t"; group = ENVIRON["GROUP"]; rows = ENVIRON["ROWS"]; marker = ENVIRON["MARKER"]
    printf "" > rows
}
# TODO(#7): a package installed for two architectures (Multi-Arch: same) is
# counted once here but twice in the inventory's package count.
NR == 1 || (group != "" && $7 != group) || ($1 in seen) { next }
{
    seen[$1] = 1
    path = ENVIRON["DOC_DIR"] "/" $1 "/" ENVIRON["DOC_FILE"]
    if ((getline byte < path) >= 0) {
        close(path)
        print path
        if (marker != "") print marker
    } else path = ""
    print $1 "\t" path > rows
}
