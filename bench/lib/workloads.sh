# shellcheck shell=bash
# Workload generators for bench/run: each writes one workload, for every tool
# that can express it, into a folder of its own (DIR/TOOL/...). Sourced by
# bench/run; every function takes the workload folder and the sizes.

# MAKE_HEADER: no built-in implicit rules, so that make does not search them
# for every file (as a tuned Makefile would).
MAKE_HEADER='MAKEFLAGS += --no-builtin-rules
.SUFFIXES:
'

# w_jobs_header FILE: starts a jcrun job file.
w_jobs_header() {
  printf 'jobs:\n' >"$1"
}

# gen_runs DIR N CHAIN: N jobs running /bin/true; CHAIN=1 makes job i depend
# on job i-1 (W2), CHAIN=0 leaves them independent (W1).
gen_runs() {
  local dir=$1 n=$2 chain=$3 i sep
  mkdir -p "$dir"/{make,ninja,just,task,doit,jcrun/jobs.d}

  # Shell loop: the floor, one fork+exec of /bin/true per job.
  # shellcheck disable=SC2016 # the loop's own variables, expanded when it runs
  printf 'i=0\nwhile [ "$i" -lt %d ]; do /bin/true; i=$((i + 1)); done\n' "$n" >"$dir/loop.sh"

  {
    printf '%s.PHONY: all' "$MAKE_HEADER"
    for ((i = 1; i <= n; i++)); do printf ' t%d' "$i"; done
    printf '\n'
    if ((chain)); then printf 'all: t%d\n' "$n"; else
      printf 'all:'
      for ((i = 1; i <= n; i++)); do printf ' t%d' "$i"; done
      printf '\n'
    fi
    for ((i = 1; i <= n; i++)); do
      if ((chain && i > 1)); then printf 't%d: t%d\n' "$i" "$((i - 1))"; else printf 't%d:\n' "$i"; fi
      printf '\t@/bin/true\n'
    done
  } >"$dir/make/Makefile"

  {
    printf 'rule run\n  command = /bin/true\n'
    for ((i = 1; i <= n; i++)); do
      if ((chain && i > 1)); then printf 'build t%d: run t%d\n' "$i" "$((i - 1))"; else printf 'build t%d: run\n' "$i"; fi
    done
  } >"$dir/ninja/build.ninja"

  {
    printf '[parallel]\nall:'
    if ((chain)); then printf ' t%d' "$n"; else
      for ((i = 1; i <= n; i++)); do printf ' t%d' "$i"; done
    fi
    printf '\n'
    for ((i = 1; i <= n; i++)); do
      if ((chain && i > 1)); then printf '\nt%d: t%d\n' "$i" "$((i - 1))"; else printf '\nt%d:\n' "$i"; fi
      printf '    @/bin/true\n'
    done
  } >"$dir/just/justfile"

  {
    printf "version: '3'\ntasks:\n  all:\n    deps: ["
    if ((chain)); then printf 't%d' "$n"; else
      sep=''
      for ((i = 1; i <= n; i++)); do printf '%st%d' "$sep" "$i"; sep=', '; done
    fi
    printf ']\n'
    for ((i = 1; i <= n; i++)); do
      printf '  t%d:\n' "$i"
      if ((chain && i > 1)); then printf '    deps: [t%d]\n' "$((i - 1))"; fi
      printf "    cmds: ['/bin/true']\n"
    done
  } >"$dir/task/Taskfile.yml"

  cat >"$dir/doit/dodo.py" <<EOF
DOIT_CONFIG = {'default_tasks': ['t'], 'verbosity': 0}

def task_t():
    for i in range(1, $n + 1):
        yield {'name': str(i), 'actions': ['/bin/true'],
               'task_dep': ['t:%d' % (i - 1)] if $chain and i > 1 else []}
EOF

  w_jobs_header "$dir/jcrun/jobs.d/runs.yaml"
  for ((i = 1; i <= n; i++)); do
    printf -- '- id: t%d\n  command: ["/bin/true"]\n' "$i"
    if ((chain && i > 1)); then printf '  dependencies: [t%d]\n' "$((i - 1))"; fi
  done >>"$dir/jcrun/jobs.d/runs.yaml"
}

# gen_noop DIR N: N jobs, each making o/i from s/i; the peers' targets are
# files, jcrun's jobs are up to date once built (W3).
gen_noop() {
  local dir=$1 n=$2 i tool sep
  mkdir -p "$dir"/{make,ninja,task,doit,jcrun/jobs.d}
  for tool in make ninja task doit; do
    mkdir -p "$dir/$tool/s" "$dir/$tool/o"
    (cd "$dir/$tool/s" && seq 1 "$n" | xargs touch)
  done

  {
    printf '%sall:' "$MAKE_HEADER"
    for ((i = 1; i <= n; i++)); do printf ' o/%d' "$i"; done
    printf '\n.PHONY: all\no/%%: s/%%\n\t@touch $@\n'
  } >"$dir/make/Makefile"

  {
    # shellcheck disable=SC2016 # ninja's $out
    printf 'rule touch\n  command = touch $out\n'
    for ((i = 1; i <= n; i++)); do printf 'build o/%d: touch s/%d\n' "$i" "$i"; done
  } >"$dir/ninja/build.ninja"

  {
    printf "version: '3'\ntasks:\n  all:\n    deps: ["
    sep=''
    for ((i = 1; i <= n; i++)); do printf '%so%d' "$sep" "$i"; sep=', '; done
    printf ']\n'
    for ((i = 1; i <= n; i++)); do
      printf '  o%d:\n    sources: [s/%d]\n    generates: [o/%d]\n' "$i" "$i" "$i"
      printf "    cmds: ['touch o/%d']\n" "$i"
    done
  } >"$dir/task/Taskfile.yml"

  cat >"$dir/doit/dodo.py" <<EOF
DOIT_CONFIG = {'default_tasks': ['o'], 'verbosity': 0}

def task_o():
    for i in range(1, $n + 1):
        yield {'name': str(i), 'file_dep': ['s/%d' % i], 'targets': ['o/%d' % i],
               'actions': ['touch o/%d' % i]}
EOF

  w_jobs_header "$dir/jcrun/jobs.d/noop.yaml"
  for ((i = 1; i <= n; i++)); do printf -- '- id: o%d\n  command: ["/bin/true"]\n' "$i"; done \
    >>"$dir/jcrun/jobs.d/noop.yaml"
}

# gen_output DIR LINES: one job printing LINES short lines (W4).
gen_output() {
  local dir=$1 n=$2
  mkdir -p "$dir"/{make,just,task,doit,jcrun/jobs.d}
  printf '%sall:\n\t@seq %d\n' "$MAKE_HEADER" "$n" >"$dir/make/Makefile"
  printf 'out:\n    @seq %d\n' "$n" >"$dir/just/justfile"
  printf "version: '3'\ntasks:\n  out:\n    cmds: ['seq %d']\n" "$n" >"$dir/task/Taskfile.yml"
  printf "def task_out():\n    return {'actions': ['seq %d'], 'verbosity': 2}\n" "$n" >"$dir/doit/dodo.py"
  printf 'jobs:\n- id: out\n  command: ["seq", "%d"]\n' "$n" >"$dir/jcrun/jobs.d/out.yaml"
}

# gen_listing DIR FILES PER: FILES job files of PER jobs each, written by a
# for loop and a macro for jcrun and spelled out for the peers (W5).
gen_listing() {
  local dir=$1 files=$2 per=$3 f i name
  mkdir -p "$dir"/{task,just,jcrun/jobs.d}
  cat >"$dir/jcrun/jobs.d/_macros.j2" <<'EOF'
{% macro job(group, i) %}
- id: {{ group }}_{{ i }}
  title: "Step {{ i }} of {{ group | upper }}"
  command: ["/bin/true", "{{ group }}", "{{ i }}"]
{%- if i > 0 %}
  dependencies: [{{ group }}_{{ i - 1 }}]
{%- endif %}
  env:
    GROUP: "{{ group }}"
{% endmacro %}
EOF
  {
    printf "version: '3'\nincludes:\n"
    for ((f = 1; f <= files; f++)); do printf '  f%02d: ./f%02d.yml\n' "$f" "$f"; done
  } >"$dir/task/Taskfile.yml"
  : >"$dir/just/justfile"
  for ((f = 1; f <= files; f++)); do
    name=$(printf 'f%02d' "$f")
    printf '{%% import "_macros.j2" as m %%}\njobs:\n{%% for i in range(%d) %%}{{ m.job("%s", i) }}{%% endfor %%}\n' \
      "$per" "$name" >"$dir/jcrun/jobs.d/$name.yaml"
    printf "import '%s.just'\n" "$name" >>"$dir/just/justfile"
    {
      printf "version: '3'\ntasks:\n"
      for ((i = 0; i < per; i++)); do
        printf '  s%d:\n    desc: Step %d of %s\n' "$i" "$i" "${name^^}"
        if ((i > 0)); then printf '    deps: [s%d]\n' "$((i - 1))"; fi
        printf "    cmds: ['/bin/true %s %d']\n" "$name" "$i"
      done
    } >"$dir/task/$name.yml"
    {
      for ((i = 0; i < per; i++)); do
        printf '# Step %d of %s\n%s_%d:' "$i" "${name^^}" "$name" "$i"
        if ((i > 0)); then printf ' %s_%d' "$name" "$((i - 1))"; fi
        printf '\n    /bin/true %s %d\n\n' "$name" "$i"
      done
    } >"$dir/just/$name.just"
  done
}

# gen_store DIR JOBS: JOBS independent jobs whose store W6 fills with copies.
gen_store() {
  local dir=$1 n=$2 i
  mkdir -p "$dir/jcrun/jobs.d"
  w_jobs_header "$dir/jcrun/jobs.d/store.yaml"
  for ((i = 1; i <= n; i++)); do printf -- '- id: j%d\n  command: ["/bin/true"]\n' "$i"; done \
    >>"$dir/jcrun/jobs.d/store.yaml"
}

# gen_sleep DIR N: N independent jobs running sleep 0.05 (W7).
gen_sleep() {
  local dir=$1 n=$2 i
  mkdir -p "$dir"/{make,ninja,jcrun/jobs.d}
  {
    printf '%s.PHONY: all' "$MAKE_HEADER"
    for ((i = 1; i <= n; i++)); do printf ' s%d' "$i"; done
    printf '\nall:'
    for ((i = 1; i <= n; i++)); do printf ' s%d' "$i"; done
    printf '\n'
    for ((i = 1; i <= n; i++)); do printf 's%d:\n\t@/bin/sleep 0.05\n' "$i"; done
  } >"$dir/make/Makefile"
  {
    printf 'rule nap\n  command = /bin/sleep 0.05\n'
    for ((i = 1; i <= n; i++)); do printf 'build s%d: nap\n' "$i"; done
  } >"$dir/ninja/build.ninja"
  w_jobs_header "$dir/jcrun/jobs.d/sleep.yaml"
  for ((i = 1; i <= n; i++)); do printf -- '- id: s%d\n  command: ["/bin/sleep", "0.05"]\n' "$i"; done \
    >>"$dir/jcrun/jobs.d/sleep.yaml"
}

# gen_progress DIR N: one job printing N @progress lines (W8).
gen_progress() {
  local dir=$1 n=$2
  mkdir -p "$dir/jcrun/jobs.d"
  cat >"$dir/jcrun/jobs.d/progress.yaml" <<EOF
jobs:
- id: progress
  command: ["awk", "BEGIN { for (i = 1; i <= $n; i++) print \"@progress \" i \"/$n Counting -- item \" i }"]
EOF
}

# gen_main DIR REPO: a copy of the repository's own project (jobs.d, scripts,
# jcrun.yaml), so that its out/ and state stay in the temporary folder (W9).
gen_main() {
  local dir=$1 repo=$2
  mkdir -p "$dir/jcrun"
  cp -R "$repo/jobs.d" "$repo/scripts" "$repo/jcrun.yaml" "$dir/jcrun/"
}

# gen_live DIR JOBS STEPS PACE: JOBS independent jobs, each reporting progress
# and five log lines per step for STEPS steps (W10's builds, followed by open
# web pages). PACE `sleep`: each step then sleeps 50 ms; a number: each step
# counts to it in the shell instead, using the CPU.
gen_live() {
  local dir=$1 n=$2 steps=$3 pace=$4 i wait
  mkdir -p "$dir/jcrun/jobs.d"
  # shellcheck disable=SC2016 # the script's own variables, expanded when it runs
  if [[ $pace == sleep ]]; then wait='  sleep 0.05'
  else wait='  j=0; while [ "$j" -lt '"$pace"' ]; do j=$((j + 1)); done'; fi
  # shellcheck disable=SC2016 # the script's own variables, expanded when it runs
  printf '%s\n' 'i=0' \
    'while [ "$i" -lt "$1" ]; do' \
    '  i=$((i + 1))' \
    '  echo "@progress $i/$1 Pages -- https://example.org/page/$i"' \
    '  echo "fetched page $i of $1"' \
    '  echo "parsed page $i: 42 links"' \
    '  echo "@log warning page $i: slow answer"' \
    '  echo "stored page $i"' \
    '  echo "queued links of page $i"' \
    "$wait" \
    'done' >"$dir/jcrun/live.sh"
  w_jobs_header "$dir/jcrun/jobs.d/live.yaml"
  for ((i = 1; i <= n; i++)); do
    printf -- '- id: live%d\n  command: ["/bin/sh", "%s", "%d"]\n' "$i" "$dir/jcrun/live.sh" "$steps"
  done >>"$dir/jcrun/jobs.d/live.yaml"
}
