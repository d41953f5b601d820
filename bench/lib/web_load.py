#!/usr/bin/env python3
"""Load for W10: times a `jcrun web` page, or follows running builds as open pages do.

usage:
  web_load.py page URL PATH RUNS SERVER_PID OUT.json
      GET URL+PATH three times to warm the server, then RUNS times over one
      kept-alive connection; writes hyperfine-shaped JSON (times in seconds)
      with p95 and the server's CPU time per request (from /proc/PID/stat).
  web_load.py page-changed URL PATH RUNS SERVER_PID OUT.json STORE.db
      the same, but before each request the newest build row of STORE.db
      gets a new reason (one committed write, as a running build makes): the
      page then cannot reuse what it computed for the request before.
  web_load.py follow URL CLIENTS STOP_FILE OUT.json
      CLIENTS threads, each acting as one open build page: it waits for a
      running build (GET /api/builds?status=running every 500 ms), loads its
      page (/builds/N), then polls /api/builds/N/log?after=SEQ and
      /api/builds/N/progress every 500 ms until the build has finished, then
      fetches /api/builds/N, as the page's script does; then it takes another
      running build. Stops when STOP_FILE exists; writes request counts,
      errors and this process's CPU time.

Only loopback addresses are accepted.
"""
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

TICKS = os.sysconf("SC_CLK_TCK")


def connection(url):
    parts = urllib.parse.urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "::1", "localhost"):
        sys.exit(f"web_load.py: {url}: only loopback addresses are allowed")
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)


def get(conn, path):
    conn.request("GET", path)
    reply = conn.getresponse()
    body = reply.read()
    return reply.status, body


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(fraction * (len(ordered) - 1)))))
    return ordered[index]


def page(url, path, runs, pid, out, store=None):
    conn = connection(url)
    writer = None
    if store:
        import sqlite3
        writer = sqlite3.connect(store, isolation_level=None, timeout=30)
    size = 0
    for _ in range(3):
        status, body = get(conn, path)
        if status != 200:
            sys.exit(f"web_load.py: GET {path}: status {status}")
        size = len(body)
    times = []
    cpu_before = cpu_seconds(pid)
    for _ in range(runs):
        if writer:
            cpu_before -= cpu_seconds(pid)
            # A real change (SQLite writes nothing for an unchanged row): the
            # newest build's reason gains or loses a trailing dot.
            writer.execute("UPDATE builds SET reason = CASE WHEN reason LIKE '%.'"
                           " THEN substr(reason, 1, length(reason) - 1) ELSE reason || '.' END"
                           " WHERE id = (SELECT max(id) FROM builds)")
            cpu_before += cpu_seconds(pid)
        start = time.perf_counter()
        status, body = get(conn, path)
        times.append(time.perf_counter() - start)
        if status != 200:
            sys.exit(f"web_load.py: GET {path}: status {status}")
    cpu = (cpu_seconds(pid) - cpu_before) / runs
    result = {
        "command": f"GET {path}",
        "mean": sum(times) / len(times),
        "median": percentile(times, 0.5),
        "p95": percentile(times, 0.95),
        "min": min(times),
        "max": max(times),
        "times": times,
        "server_cpu_per_request": cpu,
        "bytes": size,
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"results": [result]}, f)
    print(f"GET {path}: median {result['median'] * 1000:.1f} ms, p95 {result['p95'] * 1000:.1f} ms,"
          f" server CPU {cpu * 1000:.1f} ms per request, {size} bytes")


class Follower(threading.Thread):
    def __init__(self, url, index, stop_file, counts):
        super().__init__(daemon=True)
        self.url, self.index, self.stop_file, self.counts = url, index, stop_file, counts
        self.followed = set()

    def count(self, name):
        with self.counts["lock"]:
            self.counts[name] += 1

    def stopped(self):
        return os.path.exists(self.stop_file)

    def call(self, conn, path):
        try:
            status, body = get(conn, path)
        except (OSError, http.client.HTTPException):
            self.count("errors")
            return None, connection(self.url)
        self.count("requests")
        if status != 200:
            self.count("errors")
            return None, conn
        return body, conn

    def run(self):
        conn = connection(self.url)
        while not self.stopped():
            body, conn = self.call(conn, "/api/builds?status=running&limit=100")
            running = [b["id"] for b in json.loads(body)["builds"]] if body else []
            fresh = [b for b in running if b not in self.followed]
            if not fresh:
                time.sleep(0.5)
                continue
            build = fresh[self.index % len(fresh)]
            self.followed.add(build)
            self.count("pages")
            _, conn = self.call(conn, f"/builds/{build}")
            after = 0
            while not self.stopped():
                time.sleep(0.5)
                log, conn = self.call(conn, f"/api/builds/{build}/log?after={after}")
                _, conn = self.call(conn, f"/api/builds/{build}/progress")
                if log is None:
                    continue
                data = json.loads(log)
                if data["last_seq"] is not None:
                    after = data["last_seq"]
                if data["finished"] and not data["more"]:
                    self.call(conn, f"/api/builds/{build}")
                    break


def follow(url, clients, stop_file, out):
    counts = {"requests": 0, "errors": 0, "pages": 0, "lock": threading.Lock()}
    start_cpu = time.process_time()
    start = time.perf_counter()
    threads = [Follower(url, i, stop_file, counts) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    del counts["lock"]
    counts["seconds"] = elapsed
    counts["client_cpu_s"] = time.process_time() - start_cpu
    counts["clients"] = clients
    with open(out, "w", encoding="utf-8") as f:
        json.dump(counts, f)


def main():
    if len(sys.argv) == 7 and sys.argv[1] == "page":
        page(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
    elif len(sys.argv) == 8 and sys.argv[1] == "page-changed":
        page(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7])
    elif len(sys.argv) == 6 and sys.argv[1] == "follow":
        follow(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
