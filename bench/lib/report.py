#!/usr/bin/env python3
"""Writes RESULTS.md from one bench/run: rows.tsv, machine.tsv and hyperfine's JSON.

usage: report.py RESULTS_DIR OUTPUT.md
"""
import json
import os
import re
import sys

TITLES = {
    "W1": "independent `/bin/true` jobs",
    "W2": "a chain of `/bin/true` jobs",
    "W3": "no-op over up-to-date jobs",
    "W4": "one job printing many lines",
    "W5": "listing templated jobs (a for loop and a macro across 20 files), cold",
    "W6": "queries over a store of many builds",
    "W7": "`sleep 0.05` jobs, one worker against two",
    "W8": "`@progress` lines: terminal view against `--quiet`",
    "W9": "the repository's own jobs.d (the package audit), on this machine's data",
    "W10": "`jcrun web`: the jobs page over W6's store, and builds followed by open pages",
    "W11": "independent `/bin/true` jobs through the PostgreSQL queue: 3 `jcrun worker` processes"
           " against one local `-j 3` run",
}


def load_rows(results):
    rows = []
    with open(os.path.join(results, "rows.tsv"), encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            parts += [""] * (8 - len(parts))
            workload, variant, tool, json_path, load, rss, status, cmd = parts[:8]
            row = {"workload": workload, "variant": variant, "tool": tool, "load": load,
                   "rss_kb": int(rss) if rss else None, "status": status, "cmd": cmd}
            if status == "ok" and json_path and os.path.exists(os.path.join(results, json_path)):
                with open(os.path.join(results, json_path), encoding="utf-8") as jf:
                    result = json.load(jf)["results"][0]
                row["median"] = result["median"]
                row["min"] = result["min"]
                row["max"] = result["max"]
                row["runs"] = len(result.get("times") or [])
                row["extra"] = result
            rows.append(row)
    return rows


def load_machine(results):
    facts, tools = {}, []
    with open(os.path.join(results, "machine.tsv"), encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if parts[0] == "tool":
                tools.append((parts[1], parts[2] if len(parts) > 2 else "missing"))
            else:
                facts[parts[0]] = parts[1] if len(parts) > 1 else ""
    return facts, tools


def fmt_time(seconds):
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_rss(kb):
    return "—" if kb is None else f"{kb / 1024:.1f} MB"


class Goals:
    """Checks jcrun's goals (issue #8) against the rows of one run."""

    def __init__(self, rows, facts):
        self.rows = rows
        self.facts = facts
        self.lines = []

    def find(self, workload, variant, tool):
        for row in self.rows:
            if (row["workload"], row["tool"]) == (workload, tool) and \
                    (variant is None or row["variant"] == variant):
                return row
        return None

    def median(self, workload, variant, tool):
        row = self.find(workload, variant, tool)
        return row.get("median") if row else None

    def add(self, workload, goal, figure, met):
        verdict = "—" if met is None else ("met" if met else "**not met**")
        self.lines.append((workload, goal, figure, verdict))

    def ratio(self, workload, variant, other, limit, label):
        jc, peer = self.median(workload, variant, "jcrun"), self.median(workload, variant, other)
        if jc is None or peer is None:
            self.add(workload, f"{variant}: ≤ {limit}× {label}", "not measured", None)
            return
        r = jc / peer
        self.add(workload, f"{variant}: ≤ {limit}× {label}",
                 f"{r:.2f}× ({fmt_time(jc)} vs {fmt_time(peer)})", r <= limit)

    def per_job(self, workload, jobs):
        jc, loop = self.median(workload, "serial", "jcrun"), self.median(workload, "serial", "loop")
        if jc is None or loop is None:
            self.add(workload, "serial: ≤ +0.3 ms per job over the shell loop", "not measured", None)
            return
        extra = (jc - loop) / jobs * 1000
        self.add(workload, "serial: ≤ +0.3 ms per job over the shell loop",
                 f"+{extra:.3f} ms per job ({fmt_time(jc)} vs {fmt_time(loop)})", extra <= 0.3)

    def absolute(self, workload, variant, limit_s, label):
        jc = self.median(workload, variant, "jcrun")
        if jc is None:
            self.add(workload, label, "not measured", None)
            return
        self.add(workload, label, fmt_time(jc), jc < limit_s)

    def check(self, sizes):
        jobs = sizes["runs"]
        for w in ("W1", "W2"):
            self.ratio(w, "serial", "make", 1.3, "make")
            self.ratio(w, "2 workers", "make", 1.3, "make")
            self.per_job(w, jobs)
        self.absolute("W3", "no-op", 0.1, "no-op < 100 ms")
        self.ratio("W3", "no-op", "ninja", 1.5, "ninja")
        w4 = self.find("W4", None, "jcrun")
        variant = w4["variant"] if w4 else ""
        self.ratio("W4", variant, "cat", 2, "`cat` to a file")
        rss = w4["rss_kb"] if w4 else None
        self.add("W4", "peak RSS < 30 MB", fmt_rss(rss), None if rss is None else rss < 30 * 1024)
        self.absolute("W5", "list", 0.15, "`list` < 150 ms")
        for variant in ("builds --limit 20", "list", "status"):
            self.absolute("W6", variant, 0.05, f"`{variant}` < 50 ms")
        j1, j2 = self.median("W7", "-j 1", "jcrun"), self.median("W7", "-j 2", "jcrun")
        if j1 and j2:
            self.add("W7", "speed-up of -j 2 over -j 1 ≥ 1.9×",
                     f"{j1 / j2:.2f}× ({fmt_time(j1)} / {fmt_time(j2)})", j1 / j2 >= 1.9)
        else:
            self.add("W7", "speed-up of -j 2 over -j 1 ≥ 1.9×", "not measured", None)
        tty, quiet = self.median("W8", "terminal view", "jcrun"), self.median("W8", "--quiet", "jcrun")
        if tty and quiet:
            self.add("W8", "terminal view ≤ 1.1× `--quiet`",
                     f"{tty / quiet:.2f}× ({fmt_time(tty)} vs {fmt_time(quiet)})", tty / quiet <= 1.1)
        else:
            self.add("W8", "terminal view ≤ 1.1× `--quiet`", "not measured", None)
        lines = sizes.get("progress")
        if quiet and lines:
            rate = lines / quiet
            self.add("W8", "≥ 100,000 `@progress` lines per second parsed and coalesced (`--quiet`)",
                     f"{rate:,.0f} lines/s ({lines:,} lines in {fmt_time(quiet)})", rate >= 100_000)
        else:
            self.add("W8", "≥ 100,000 `@progress` lines per second parsed and coalesced (`--quiet`)",
                     "not measured", None)
        self.absolute("W9", "first run -j 2", 10, "first run with -j 2 < 10 s")
        self.absolute("W9", "no-op", 1, "no-op run < 1 s")
        self.web()
        self.queue()

    def web(self):
        page = self.find("W10", "GET /", "jcrun")
        if page is None or "median" not in page:
            self.add("W10", "jobs page < 100 ms", "not measured", None)
        else:
            extra = page["extra"]
            cpu = extra.get("server_cpu_per_request")
            figure = f"median {fmt_time(page['median'])}, p95 {fmt_time(extra.get('p95'))}"
            if cpu is not None:
                figure += f"; server CPU {fmt_time(cpu)} per request"
            met = page["median"] < 0.1 and extra.get("p95", 1) < 0.1
            self.add("W10", "jobs page < 100 ms (median and p95)", figure, met)
        for kind in ("builds", "CPU-bound builds"):
            quiet = next((r for r in self.rows if r["workload"] == "W10"
                          and r["variant"].endswith(f" {kind}, no page open")), None)
            followed = next((r for r in self.rows if r["workload"] == "W10"
                             and r["variant"].split(", ")[0].endswith(f" {kind}")
                             and r["variant"].endswith("pages following")), None)
            goal = f"{kind} followed by open pages ≤ 1.1× their time without"
            if not quiet or not followed or "median" not in quiet or "median" not in followed:
                self.add("W10", goal, "not measured", None)
                continue
            ratio = followed["median"] / quiet["median"]
            figure = f"{ratio:.2f}× ({fmt_time(followed['median'])} vs {fmt_time(quiet['median'])})"
            self.add("W10", goal, figure, ratio <= 1.1)


    def queue(self):
        """W11 (issue #10): the queue against a local run, and claim-to-start latency."""
        workers = self.median("W11", "3 workers (PostgreSQL)", "jcrun")
        for store in ("PostgreSQL", "SQLite"):
            local = self.median("W11", f"-j 3 ({store})", "jcrun")
            goal = f"3 workers: ≤ 1× local `-j 3` on {store}"
            if workers is None or local is None:
                self.add("W11", goal, "not measured", None)
                continue
            self.add("W11", goal, f"{workers / local:.2f}× ({fmt_time(workers)} vs {fmt_time(local)})",
                     workers <= local)
        # "n|median|p95|max" in milliseconds, from the stored times of the last queued run.
        parts = self.facts.get("claim_to_start_ms", "").split("|")
        goal = "claim to start < 20 ms (p95 per build)"
        if len(parts) != 4 or not parts[0].isdigit() or int(parts[0]) == 0 or not parts[2]:
            self.add("W11", goal, "not measured", None)
            return
        n, median, p95, top = int(parts[0]), float(parts[1]), float(parts[2]), float(parts[3])
        self.add("W11", goal, f"p95 {p95:.1f} ms (median {median:.1f} ms, max {top:.1f} ms,"
                 f" {n} builds)", p95 < 20)


def web_notes(results):
    """W10's CPU figures: the builds' (jcrun and its jobs), the server's, the clients'."""
    def median_of(name):
        path = os.path.join(results, "json", name)
        if not os.path.exists(path):
            return None
        with open(path, encoding="utf-8") as f:
            return json.load(f)["results"][0]["median"]
    notes = []
    for kind, title in (("paced", "builds"), ("cpu", "CPU-bound builds")):
        quiet = median_of(f"W10-{kind}-quiet-cpu.json")
        followed = median_of(f"W10-{kind}-followed-cpu.json")
        server = median_of(f"W10-{kind}-server-cpu.json")
        parts = []
        if quiet and followed:
            parts.append(f"CPU of jcrun and its jobs (user + sys): {quiet:.2f} s with"
                         f" no page open, {followed:.2f} s while followed ({followed / quiet:.2f}×)")
        if server is not None:
            parts.append(f"CPU of `jcrun web` meanwhile: {server:.2f} s")
        follows = []
        for name in sorted(os.listdir(os.path.join(results, "json"))):
            if name.startswith(f"W10-{kind}-follow-"):
                with open(os.path.join(results, "json", name), encoding="utf-8") as f:
                    follows.append(json.load(f))
        if follows:
            requests = sum(f["requests"] for f in follows)
            seconds = sum(f["seconds"] for f in follows)
            errors = sum(f["errors"] for f in follows)
            cpu = sum(f["client_cpu_s"] for f in follows)
            parts.append(f"the {follows[0]['clients']} clients (`bench/lib/web_load.py follow`,"
                         f" on the same 2 cores) made {requests / seconds:.0f} requests a second"
                         f" ({errors} failed) with {cpu / len(follows):.2f} s of CPU per round")
        if parts:
            notes.append(title[0].upper() + title[1:] + ": " + "; ".join(parts) + ".")
    return notes


def parse_sizes(text):
    # "W1/W2 1000 jobs, W3 ..., W8 100000 lines" -> the W1 job count and the
    # W8 line count are what the goals need.
    words = text.split()
    sizes = {"runs": int(words[1]) if len(words) > 1 and words[1].isdigit() else 1000}
    progress = re.search(r"W8 (\d+) lines", text)
    if progress:
        sizes["progress"] = int(progress.group(1))
    return sizes


def main():
    results, output = sys.argv[1], sys.argv[2]
    rows = load_rows(results)
    facts, tools = load_machine(results)
    goals = Goals(rows, facts)
    goals.check(parse_sizes(facts.get("sizes", "")))

    out = []
    w = out.append
    w("# jcrun benchmarks")
    w("")
    w(f"One {facts.get('mode', 'full')} run of `bench/run{' --quick' if facts.get('mode') == 'quick' else ''}`"
      f" on {facts.get('date', '?')}, {facts.get('elapsed_s', '?')} s in all. Written by"
      " `bench/lib/report.py`; hyperfine's JSON for every row is in"
      f" `bench/{os.path.basename(os.path.normpath(results))}/json/`.")
    w("")
    w("Numbers from a shared 2-core machine are noisy: compare the ratios within one run,"
      " not the absolute times across runs. Each row gives the 1-minute load average read"
      " just before it was timed.")
    w("")
    w("## Machine")
    w("")
    w(f"- CPU: {facts.get('cpu', '?')}, {facts.get('nproc', '?')} cores (nproc), {facts.get('memory', '?')}")
    w(f"- kernel: {facts.get('kernel', '?')}")
    w(f"- load average (1, 5, 15 min): {facts.get('load_start', '?')} at the start,"
      f" {facts.get('load_end', '?')} at the end")
    loads = [float(r["load"]) for r in rows if r["load"]]
    if loads:
        w(f"- 1-minute load average before the rows: {min(loads):.2f} to {max(loads):.2f}"
          f" (median {sorted(loads)[len(loads) // 2]:.2f}); 2 would mean both cores busy")
    w(f"- sizes: {facts.get('sizes', '?')}")
    w("")
    w("## Tools")
    w("")
    w("| tool | version |")
    w("| --- | --- |")
    for name, version in tools:
        w(f"| {name} | {version if version != 'missing' else '**missing** (could not be installed)'} |")
    w("")
    w("## jcrun's goals")
    w("")
    w("| workload | goal | figure | verdict |")
    w("| --- | --- | --- | --- |")
    for workload, goal, figure, verdict in goals.lines:
        w(f"| {workload} | {goal} | {figure} | {verdict} |")
    w("")
    w("Where the time goes for each goal not met, measured: `bench/ANALYSIS.md`.")
    w("")
    w("## Results")
    order = []
    for row in rows:
        if row["workload"] not in order:
            order.append(row["workload"])
    for workload in order:
        w("")
        w(f"### {workload}: {TITLES.get(workload, '')}")
        w("")
        w("| variant | tool | median | min–max | × fastest | peak RSS | load before | runs |")
        w("| --- | --- | --- | --- | --- | --- | --- | --- |")
        these = [r for r in rows if r["workload"] == workload]
        fastest = {}
        for r in these:
            if "median" in r:
                best = fastest.get(r["variant"])
                fastest[r["variant"]] = r["median"] if best is None else min(best, r["median"])
        for r in these:
            if r["status"] == "missing":
                w(f"| {r['variant']} | {r['tool']} | missing | | | | | |")
                continue
            if "median" not in r:
                said = r["status"][len("failed: "):] if r["status"].startswith("failed: ") else ""
                said = said.replace("|", "\\|")
                w(f"| {r['variant']} | {r['tool']} | **failed**: `{said}` | | | | {r['load']} | |")
                continue
            ratio = r["median"] / fastest[r["variant"]]
            name = f"**{r['tool']}**" if r["tool"] == "jcrun" else r["tool"]
            w(f"| {r['variant']} | {name} | {fmt_time(r['median'])} | {fmt_time(r['min'])}–{fmt_time(r['max'])}"
              f" | {ratio:.2f} | {fmt_rss(r['rss_kb'])} | {r['load']} | {r['runs']} |")
        if workload == "W10":
            for line in web_notes(results):
                w("")
                w(line)
        if workload == "W7":
            for tool in ("make", "ninja", "jcrun"):
                a, b = goals.median("W7", "-j 1", tool), goals.median("W7", "-j 2", tool)
                if a and b:
                    w(f"\n{tool}: -j 2 is {a / b:.2f}× faster than -j 1.")
    w("")
    w("## Commands")
    w("")
    w("Each row's command as hyperfine ran it (in `sh -c`; temporary paths shortened):")
    w("")
    w("```")
    for r in rows:
        if r["cmd"]:
            cmd = r["cmd"]
            prefix = cmd.find("/tmp/jcrun-bench.")
            if prefix >= 0:
                tmp = cmd[prefix:cmd.find("/", prefix + len("/tmp/jcrun-bench."))]
                cmd = cmd.replace(tmp, "$T")
            w(f"{r['workload']} {r['variant']} {r['tool']}: {cmd}")
    w("```")
    w("")
    w("Peak RSS is GNU time's maximum resident set size of the command's process tree"
      " (the largest single process: jcrun or one of its jobs), from one extra run.")
    with open(output, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
