#!/usr/bin/env python3
"""Writes the pipeline fixture: root/var/lib/dpkg/status, root/usr/share/doc/
and expected.json, from the made-up packages declared below.

The expected numbers come from these declarations, not from parsing the
files, so they check the pipeline's scripts independently. Run it again
after changing a declaration, and commit what it writes (the .gz files are
byte-stable: no name, mtime 0). A developer tool, never run by the tests.
"""
import datetime, gzip, json, os, shutil

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "root")

# The section groups of the fixture's jcrun.yaml.
GROUPS = {
    "libraries": ["libs", "oldlibs"],
    "development": ["devel", "libdevel", "vcs", "debug"],
    "interpreters": ["interpreters", "python", "perl", "ruby", "php", "javascript", "lisp"],
    "utilities": ["utils", "text", "editors", "shells"],
    "administration": ["admin", "kernel", "net"],
}

TEAM = "Debian Fixture Team <team@fixture.example>"
ANNA = "Anna Gruber <anna@fixture.example>"
BORIS = "Boris Petrov <boris@fixture.example>"
CHLOE = "Chloé Martin <chloe@fixture.example>"
OBRIEN = "O'Brien & Sons <obrien@fixture.example>"
DAN = "Dan <script>alert(1)</script> <dan@fixture.example>"

# (uploader, yyyy-mm-dd, urgency); newest first, as in real changelogs.
def log(*entries):
    return list(entries)

# Each package: name, section (None: no Section field), installed size,
# source (None: no Source field), maintainer, changelog entries (None: no
# changelog file), copyright: None (no file), "plain", or a list of License:
# field values (machine-readable), and whether it is installed.
PACKAGES = [
    ("libalpha1", "libs", 1204, "alpha", TEAM,
     log((ANNA, "2024-03-02", "medium"), (ANNA, "2023-01-15", "low"), (BORIS, "2021-06-30", "high")),
     ["GPL-2+", "LGPL-2.1+"]),
    ("libbeta2", "libs", 880, None, TEAM,
     log((BORIS, "2022-11-11", "medium"), (BORIS, "2022-02-01", "medium")),
     ["Expat"]),
    ("libgamma0", "libs", 4410, "gamma (1.4-2)", ANNA,
     log((ANNA, "2020-05-05", "low"), (CHLOE, "2019-09-09", "medium"), (ANNA, "2015-01-20", "low"),
         (ANNA, "2012-07-04", "low")),
     "plain"),
    ("libdelta-old", "oldlibs", 12, "delta", TEAM,
     log((TEAM, "2018-08-08", "medium")),
     ["GPL-2+ or Artistic"]),
    ("libepsilon3", "non-free/libs", 2300, "epsilon", CHLOE,
     log((CHLOE, "2025-02-14", "high"), (CHLOE, "2024-12-01", "medium")),
     ["BSD-3-clause", "public-domain"]),
    ("libzeta-dev", "libdevel", 650, "zeta", TEAM,
     log((ANNA, "2023-10-10", "medium"), (BORIS, "2023-04-04", "medium"), (TEAM, "2020-02-29", "low")),
     ["GPL-2+"]),
    ("gcc-fixture", "devel", 30150, "gcc-fixture", BORIS,
     log((BORIS, "2024-07-21", "medium"), (BORIS, "2024-01-01", "medium"), (BORIS, "2023-06-06", "low"),
         (ANNA, "2022-12-24", "high"), (BORIS, "2021-03-03", "medium")),
     ["GPL-3+", "GPL-3+ with GCC-exception"]),
    ("git-fixture", "vcs", 41200, None, BORIS,
     log((BORIS, "2025-05-05", "medium"), (BORIS, "2024-11-30", "medium")),
     ["GPL-2", "Apache-2.0 and Expat"]),
    ("valgrind-dbg", "debug", 9050, "valgrind", ANNA,
     None,
     "plain"),
    ("make-fixture", "devel", 1610, "make-fixture", TEAM,
     log((TEAM, "2017-03-17", "low")),
     None),
    ("python3-fixture", "python", 520, "python-fixture", DAN,
     log((DAN, "2025-01-31", "medium"), (CHLOE, "2023-08-08", "medium")),
     ["Expat"]),
    ("perl-fixture", "perl", 18800, "perl-fixture", OBRIEN,
     log((OBRIEN, "2024-05-25", "medium"), (OBRIEN, "2023-05-25", "MEDIUM"), (BORIS, "2020-10-10", "low")),
     ["GPL-1+ or Artistic", "Artistic"]),
    ("ruby-fixture", "ruby", 3100, "ruby-fixture", CHLOE,
     log((CHLOE, "2016-06-16", "low")),
     "plain"),
    ("tclsh-fixture", "interpreters", 77, "tcl-fixture", ANNA,
     log((ANNA, "2022-02-22", "emergency"), (ANNA, "2021-01-21", "medium")),
     ["TCL"]),
    ("coreutils-fixture", "utils", 15400, "coreutils-fixture", TEAM,
     log((TEAM, "2025-04-01", "medium"), (ANNA, "2024-04-01", "medium"), (BORIS, "2023-04-01", "low"),
         (CHLOE, "2022-04-01", "medium")),
     ["GPL-3+"]),
    ("grep-fixture", "utils", 1290, "grep-fixture", ANNA,
     log((ANNA, "2023-03-03", "low"), (ANNA, "2019-03-03", "low")),
     ["GPL-3+", "GFDL-NIV-1.3+"]),
    ("nano-fixture", "editors", 2700, "nano-fixture", BORIS,
     log((BORIS, "2021-11-11", "medium")),
     "plain"),
    ("dash-fixture", "shells", 210, "dash-fixture", TEAM,
     log((TEAM, "2024-09-09", "medium"), (TEAM, "2014-09-09", "low")),
     ["BSD-3-clause", "GPL-2+"]),
    ("sed-fixture", "contrib/text", 880, "sed-fixture", OBRIEN,
     log((OBRIEN, "2020-12-12", "high")),
     ["GPL-3+"]),
    ("adduser-fixture", "admin", 690, "adduser-fixture", TEAM,
     log((TEAM, "2025-06-30", "medium"), (BORIS, "2024-06-30", "medium")),
     ["GPL-2+"]),
    ("linux-fixture-image", "kernel", 52000, "linux-fixture", CHLOE,
     log((CHLOE, "2025-07-04", "high"), (CHLOE, "2025-03-04", "medium"), (CHLOE, "2024-10-04", "medium"),
         (ANNA, "2024-02-04", "medium"), (CHLOE, "2023-07-04", "high"), (CHLOE, "2022-01-04", "medium")),
     ["GPL-2"]),
    ("iproute-fixture", "net", 3400, "iproute-fixture", ANNA,
     log((ANNA, "2019-12-12", "medium")),
     "plain"),
    ("cron-fixture", "admin", 240, "cron-fixture", BORIS,
     log((BORIS, "2013-05-05", "low")),
     None),
    ("fixture-doc", "doc", 4500, "fixture-doc", CHLOE,
     log((CHLOE, "2021-08-08", "low")),
     ["CC-BY-SA-4.0"]),
    ("fonts-fixture", "fonts", 11000, "fonts-fixture", DAN,
     log((DAN, "2023-09-19", "medium"), (DAN, "2022-09-19", "medium")),
     ["OFL-1.1"]),
    ("misc-fixture", "misc", 33, "misc-fixture", OBRIEN,
     log((OBRIEN, "2018-01-18", "low")),
     "plain"),
    ("web-fixture", "web", 7070, "web-fixture", ANNA,
     None,
     None),
    ("nosection-fixture", None, 5, "nosection-fixture", BORIS,
     log((BORIS, "2016-02-29", "medium")),
     ["public-domain"]),
    ("x11-fixture", "x11", 6020, "x11-fixture", TEAM,
     log((TEAM, "2022-06-06", "medium"), (ANNA, "2021-06-06", "low"), (TEAM, "2020-06-06", "low")),
     ["MIT", "X11"]),
    ("games-fixture", "games", 25000, "games-fixture", CHLOE,
     log((CHLOE, "2015-11-11", "low"), (CHLOE, "2011-11-11", "low")),
     ["GPL-2+", "MIT"]),
]
# Removed packages that left files behind: in the status file, not installed.
REMOVED = [
    ("libremoved1", "libs", 999, "removed", TEAM),
    ("oldtool-fixture", "utils", 99, "oldtool", BORIS),
]


def group_of(section):
    bare = (section or "unknown").split("/")[-1]
    for name, sections in GROUPS.items():
        if bare in sections:
            return name
    return "other"


def email(who):
    return who[who.rindex("<") + 1:-1].lower()


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def stanza(name, section, size, source, maintainer, status):
    lines = [f"Package: {name}", f"Status: {status}", "Priority: optional"]
    if section:
        lines.append(f"Section: {section}")
    lines += [f"Installed-Size: {size}", f"Maintainer: {maintainer}", "Architecture: amd64"]
    if source:
        lines.append(f"Source: {source}")
    lines += [f"Version: 1.{size % 7}-{size % 3 + 1}", "Depends: libc6 (>= 2.36)",
              f"Description: {name}, made up for jcrun's tests",
              " A long description that spans lines.",
              " .",
              " Package: not-a-package (a continuation line, not a field)"]
    return "\n".join(lines) + "\n"


def changelog(name, source, entries):
    src = (source or name).split(" ")[0]
    text = ""
    for i, (who, day, urgency) in enumerate(entries):
        version = f"1.{len(entries) - i}-1"
        when = datetime.date.fromisoformat(day).strftime("%a, %d %b %Y") + " 12:34:56 +0200"
        text += (f"{src} ({version}) unstable; urgency={urgency}\n\n"
                 f"  * Upload number {len(entries) - i}.\n"
                 f"  * A line that looks like a trailer but is indented:\n"
                 f"     -- Nobody <nobody@fixture.example>  Mon, 01 Jan 1990 00:00:00 +0000\n"
                 f"@retval this line is data, never a directive\n\n"
                 f" -- {who}  {when}\n\n")
    return text.rstrip("\n")  # the last line has no newline, as some real files


def copyright(name, licenses):
    if licenses == "plain":
        return (f"This is {name}, made up for jcrun's tests.\n\nCopyright: 2020 Somebody\n"
                "License: GPL-2 (a field-like line, but this file is not machine-readable)\n")
    text = ("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
            f"Upstream-Name: {name}\n\n")
    for value in licenses:
        text += f"Files: *\nCopyright: 2020 Somebody\nLicense: {value}\n  Text of the license,\n  License: not a field.\n\n"
    return text


def main():
    shutil.rmtree(ROOT, ignore_errors=True)
    status = []
    for name, section, size, source, maintainer, entries, licenses in PACKAGES:
        status.append(stanza(name, section, size, source, maintainer, "install ok installed"))
        doc = os.path.join(ROOT, "usr/share/doc", name)
        if entries is not None:
            text = changelog(name, source, entries).encode()
            write(os.path.join(doc, "changelog.Debian.gz"), gzip.compress(text, mtime=0))
        if licenses is not None:
            write(os.path.join(doc, "copyright"), copyright(name, licenses).encode())
    for name, section, size, source, maintainer in REMOVED:
        status.append(stanza(name, section, size, source, maintainer, "deinstall ok config-files"))
    write(os.path.join(ROOT, "var/lib/dpkg/status"), "\n".join(status).encode())
    write(os.path.join(HERE, "expected.json"), (json.dumps(expected(), indent=2, ensure_ascii=False) + "\n").encode())


def expected():
    groups = {}
    for name in list(GROUPS) + ["other"]:
        members = [p for p in PACKAGES if group_of(p[1]) == name]
        dates = [d for p in members if p[5] for _, d, _ in p[5]]
        urgencies = {}
        for p in members:
            for _, _, u in p[5] or []:
                urgencies[u.lower()] = urgencies.get(u.lower(), 0) + 1
        groups[name] = {
            "packages": len(members),
            "with_changelog": sum(1 for p in members if p[5] is not None),
            "uploads": sum(len(p[5] or []) for p in members),
            "first": min(dates, default=""),
            "latest": max(dates, default=""),
            "maintainers": len({email(w) for p in members for w, _, _ in p[5] or []}),
            "urgencies": dict(sorted(urgencies.items())),
        }
    counts = {}
    for p in PACKAGES:
        if isinstance(p[6], list):
            names = set()
            for value in p[6]:
                for part in value.replace(" or ", ",").replace(" and ", ",").split(","):
                    names.add(part.strip())
            for n in names:
                counts[n] = counts.get(n, 0) + 1
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    by_maintainer = {}
    for p in PACKAGES:
        by_maintainer.setdefault(email(p[4]), [p[4], 0])[1] += 1
    top_maintainers = sorted(by_maintainer.values(), key=lambda v: (-v[1], v[0].lower()))
    latest = [(max(d for _, d, _ in p[5]), p[0], len(p[5])) for p in PACKAGES if p[5]]
    return {
        "packages": len(PACKAGES),
        "total_installed_kib": sum(p[2] for p in PACKAGES),
        "uploads": sum(g["uploads"] for g in groups.values()),
        "groups": groups,
        "licenses": {
            "packages": len(PACKAGES),
            "machine_readable": sum(1 for p in PACKAGES if isinstance(p[6], list)),
            "not_machine_readable": sum(1 for p in PACKAGES if p[6] == "plain"),
            "missing": sum(1 for p in PACKAGES if p[6] is None),
            "licenses": len(counts),
            "top": ordered[0][0],
            "counts": dict(ordered),
        },
        "largest": [p[0] for p in sorted(PACKAGES, key=lambda p: (-p[2], p[0]))[:10]],
        "most_recent": [t[1] for t in sorted(latest, key=lambda t: (-int(t[0].replace("-", "")), t[1]))[:10]],
        "least_recent": [t[1] for t in sorted(latest)[:10]],
        "top_maintainers": [{"maintainer": m, "packages": n} for m, n in top_maintainers[:3]],
    }


if __name__ == "__main__":
    main()
