/// The one stylesheet and the one script, compiled in so `jcrun web` needs
/// no files beside the binary and no outside CDN.
enum WebAssets {
    static func file(_ name: String) -> WebResponse? {
        switch name {
        case "style.css":
            return WebResponse(
                status: 200, contentType: "text/css; charset=utf-8", body: Array(style.utf8))
        case "app.js":
            return WebResponse(
                status: 200, contentType: "text/javascript; charset=utf-8", body: Array(script.utf8)
            )
        default: return nil
        }
    }

    static let style = """
        :root { --fg: #1d2330; --muted: #6b7280; --line: #e3e6eb; --bg: #f7f8fa; --accent: #2f5fd0;
          --ok: #1f8a4c; --bad: #c62f2f; --run: #2f5fd0; --old: #b7791f; --skip: #6b7280; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
          color: var(--fg); background: var(--bg); }
        header { display: flex; gap: 1.5em; align-items: center; padding: .6em 1.5em;
          background: #1d2330; color: #fff; }
        header a { color: #cfd6e4; text-decoration: none; margin-right: 1em; }
        header .brand { color: #fff; font-weight: 700; font-size: 1.1em; }
        header .ro { margin-left: auto; background: var(--old); padding: .1em .6em; border-radius: 4px; }
        main { padding: 1em 1.5em 3em; max-width: 1400px; }
        h1 { font-size: 1.4em; margin: .3em 0 .6em; } h2 { font-size: 1.1em; margin: 1.4em 0 .5em; }
        a { color: var(--accent); }
        table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
        th, td { text-align: left; padding: .35em .6em; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { background: #eef0f4; font-weight: 600; }
        table.facts { width: auto; min-width: 40%; } table.facts th { width: 9em; }
        pre { margin: 0; white-space: pre-wrap; word-break: break-word; font: 12.5px ui-monospace, monospace; }
        code { font: 12.5px ui-monospace, monospace; background: #eef0f4; padding: 0 .25em; border-radius: 3px; }
        .sub, .muted { color: var(--muted); } .sub { font-size: .9em; } .reason { color: var(--old); }
        .titlebar { display: flex; align-items: center; gap: 1em; flex-wrap: wrap; }
        .titlebar h1 { margin-right: auto; }
        .badge { display: inline-block; padding: .05em .55em; border-radius: 999px; font-size: .85em;
          font-weight: 600; color: #fff; background: var(--skip); white-space: nowrap; }
        .s-successful { background: var(--ok); } .s-failed { background: var(--bad); }
        .s-running, .s-created, .s-queued { background: var(--run); } .s-outdated { background: var(--old); }
        .s-not-built, .s-skipped { background: var(--skip); }
        .tag { font-size: .75em; border: 1px solid var(--old); color: var(--old); border-radius: 3px; padding: 0 .3em; }
        form.inline { display: inline; margin: 0; }
        button { font: inherit; padding: .2em .8em; border: 1px solid var(--accent); background: var(--accent);
          color: #fff; border-radius: 4px; cursor: pointer; }
        button[disabled] { opacity: .45; cursor: not-allowed; }
        button.danger { border-color: var(--bad); background: var(--bad); }
        a.arm { margin-left: .4em; font-size: .9em; } a.arm.armed { color: var(--bad); font-weight: 700; }
        .filters { margin: .4em 0; } .pager { margin: .6em 0; }
        .progress { background: #fff; border: 1px solid var(--line); padding: .6em .8em; }
        .pnode { display: grid; grid-template-columns: minmax(10em, 22em) minmax(10em, 1fr) 9em minmax(8em, 1.2fr);
          gap: .8em; align-items: center; padding: .15em 0; }
        .d1 .pname { padding-left: 1.2em; } .d2 .pname { padding-left: 2.4em; } .d3 .pname { padding-left: 3.6em; }
        .d4 .pname, .d5 .pname, .d6 .pname { padding-left: 4.8em; }
        .d0 .pname { font-weight: 600; }
        progress { width: 100%; height: 14px; accent-color: var(--run); }
        .pfig { font-variant-numeric: tabular-nums; }
        .pstatus { color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
        table.log { font: 12.5px ui-monospace, monospace; }
        table.log td { padding: .1em .5em; border: 0; }
        table.log td.text { white-space: pre-wrap; word-break: break-word; width: 100%; }
        table.log td.seq { color: var(--muted); text-align: right; }
        tr.l-warning td.text { color: var(--old); }
        tr.l-error td.text, tr.l-critical td.text { color: var(--bad); font-weight: 600; }
        tr.l-debug td.text { color: var(--muted); }
        .lineage { margin: 0; padding-left: 1.2em; }
        .graphbox { overflow: auto; background: #fff; border: 1px solid var(--line); }
        svg.graph .edges path { fill: none; stroke: #9aa3b2; stroke-width: 1.4; }
        svg.graph marker path { fill: #9aa3b2; }
        svg.graph rect { fill: #fff; stroke-width: 2; stroke: var(--skip); }
        svg.graph .s-successful rect { stroke: var(--ok); } svg.graph .s-failed rect { stroke: var(--bad); }
        svg.graph .s-running rect, svg.graph .s-queued rect { stroke: var(--run); }
        svg.graph .s-outdated rect { stroke: var(--old); }
        svg.graph .node { background: none; } svg.graph text { font-size: 13px; fill: var(--fg); }
        svg.graph a:hover rect { fill: #eef3ff; }

        """

    /// Arms protected jobs' buttons and follows running builds: every 500 ms
    /// it fetches the build's new log lines, its progress and its status.
    static let script = """
        'use strict';
        document.addEventListener('click', function (event) {
          var arm = event.target.closest && event.target.closest('a.arm');
          if (!arm) return;
          var form = document.getElementById(arm.dataset.form);
          if (!form) return;
          event.preventDefault();
          var armed = arm.classList.toggle('armed');
          form.querySelector('button').disabled = !armed;
          form.querySelector('input[name=armed]').value = armed ? '1' : '0';
          arm.textContent = armed ? 'armed' : 'arm';
        });

        function el(tag, className, text) {
          var node = document.createElement(tag);
          if (className) node.className = className;
          if (text !== undefined && text !== null) node.textContent = String(text);
          return node;
        }

        function badge(label) { return el('span', 'badge s-' + label.replace(/ /g, '-'), label); }

        function progressView(nodes, more) {
          if (!nodes.length) return el('p', 'muted', 'No progress reported.');
          var box = el('div', 'progress');
          nodes.forEach(function (node) {
            var row = el('div', 'pnode d' + Math.min(node.group.length, 6));
            row.appendChild(el('span', 'pname', node.name));
            var bar = el('progress');
            if (node.percent !== null) { bar.max = 100; bar.value = node.percent; }
            row.appendChild(bar);
            var figures = node.current + '/' + (node.total === null ? '?' : node.total);
            if (node.percent !== null) figures += ' · ' + node.percent + '%';
            row.appendChild(el('span', 'pfig', figures));
            row.appendChild(el('span', 'pstatus', node.status || ''));
            box.appendChild(row);
          });
          if (more) box.appendChild(el('p', 'muted', '... ' + more + ' more nodes'));
          return box;
        }

        // Control characters as the server draws them: C0 as control pictures, DEL as U+2421, C1 as \\x85.
        function visible(text) {
          return String(text).replace(/[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f]/g, function (c) {
            var code = c.charCodeAt(0);
            if (code < 32) return String.fromCharCode(0x2400 + code);
            if (code === 127) return '\\u2421';
            return '\\\\x' + code.toString(16);
          });
        }

        function logRow(entry) {
          var row = el('tr', 'l-' + entry.level);
          row.appendChild(el('td', 'seq', entry.seq));
          row.appendChild(el('td', 't', entry.time.slice(11, 23)));
          row.appendChild(el('td', '', entry.stream));
          row.appendChild(el('td', '', entry.level));
          row.appendChild(el('td', 'text', visible(entry.text)));
          return row;
        }

        function getJSON(url) {
          return fetch(url, { credentials: 'same-origin' }).then(function (r) {
            if (!r.ok) throw new Error(url + ': ' + r.status);
            return r.json();
          });
        }

        function followBuild(article) {
          var id = article.dataset.build, level = article.dataset.level;
          var after = Number(article.dataset.after || 0);
          function tick() {
            var logURL = '/api/builds/' + id + '/log?after=' + after + (level ? '&level=' + level : '');
            Promise.all([getJSON(logURL), getJSON('/api/builds/' + id + '/progress')]).then(function (r) {
              var log = r[0], progress = r[1], body = document.getElementById('log');
              log.entries.forEach(function (entry) { body.appendChild(logRow(entry)); });
              if (log.last_seq !== null) after = log.last_seq;
              var box = document.getElementById('progress');
              box.replaceChildren(progressView(progress.nodes, progress.more_nodes));
              var status = document.getElementById('status');
              status.replaceChildren(badge(progress.status));
              // The two answers are read apart: the tree is final only once its own
              // answer says the build ended, so a log that ended first polls again.
              var ended = progress.status !== 'running' && progress.status !== 'created';
              if (log.finished && !log.more && ended) { finish(); }
              else { setTimeout(tick, log.more ? 0 : (log.finished ? 100 : 500)); }
            }).catch(function () { setTimeout(tick, 2000); });
          }
          function finish() {
            getJSON('/api/builds/' + id).then(function (build) {
              var facts = { 'f-status': build.status + (build.failure_kind ? ' (' + build.failure_kind + ')' : ''),
                'f-finished': (build.finished_at || '—').replace('T', ' '),
                'f-duration': build.duration_s === null ? '—' : build.duration_s.toFixed(1) + 's',
                'f-exit': build.exit_code !== null ? build.exit_code : (build.signal || '—'),
                'f-return-value': build.retval === null ? '—' : build.retval };
              Object.keys(facts).forEach(function (key) {
                var cell = document.getElementById(key);
                if (cell) cell.textContent = facts[key];
              });
              article.removeAttribute('data-live-build');
            });
          }
          setTimeout(tick, 500);
        }

        function followJobs(table) {
          setInterval(function () {
            getJSON('/api/jobs').then(function (data) {
              data.jobs.forEach(function (job) {
                var row = table.querySelector('tr[data-job="' + CSS.escape(job.id) + '"] td.status');
                if (row && row.textContent !== job.status) row.replaceChildren(badge(job.status));
              });
            }).catch(function () {});
          }, 2000);
        }

        document.addEventListener('DOMContentLoaded', function () {
          var article = document.querySelector('article[data-live-build]');
          if (article) followBuild(article);
          var jobs = document.querySelector('table[data-live-jobs]');
          if (jobs) followJobs(jobs);
        });

        """
}
