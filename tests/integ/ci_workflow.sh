#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# docs/examples/iovbench-ci.yml, the GitHub Actions workflow of docs/ci.md: it parses as YAML,
# has the shape the docs promise (self-hosted bench job, artifacts, compare gate, publish job),
# and its own run: scripts, run here as GitHub would run them (bash -eo pipefail, GITHUB_*
# files), produce a record, a comparison with a base record, the history exports and graph.
# Root: the run step measures for real (small: 64 MiB, 2 repetitions a path).
set -euo pipefail
bin=$(realpath "${1:-build/iovbench}")
root=$(realpath "$(dirname "$0")/../..")
. "$(dirname "$0")/lib.bash"
wf=$root/docs/examples/iovbench-ci.yml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
bad() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

python3 -c 'import yaml' 2>/dev/null || fail "python3 yaml is missing (python3-yaml: make deps)"
# Parse, check the shape, and write each step's run: script to $tmp/steps/<job>.<step id>.
mkdir "$tmp/steps"
rc=0
python3 - "$wf" "$tmp/steps" >"$tmp/shape" 2>&1 <<'EOF' || rc=$?
import re, sys, yaml

wf, out = sys.argv[1], sys.argv[2]
with open(wf) as f:
    doc = yaml.safe_load(f)
errs = []
def need(cond, msg):
    if not cond:
        errs.append(msg)

# PyYAML reads the key `on` as the boolean True (YAML 1.1).
on = doc.get("on", doc.get(True)) or {}
need("push" in on and "pull_request" in on, "not triggered by push and pull_request")
need(doc.get("permissions", {}).get("contents") == "read", "top-level contents is not read-only")
jobs = doc.get("jobs", {})
need(set(jobs) >= {"bench", "publish"}, f"jobs are {sorted(jobs)}, want bench and publish")
bench, publish = jobs.get("bench", {}), jobs.get("publish", {})
need("self-hosted" in bench.get("runs-on", []), "bench does not run on a self-hosted runner")
need("head.repo.full_name == github.repository" in bench.get("if", ""),
     "bench does not keep forks' pull requests off the root runner")
need(publish.get("needs") == "bench", "publish does not wait for bench")
need(publish.get("permissions", {}).get("contents") == "write", "publish cannot push gh-pages")
uses, runs = [], []
for jname, job in jobs.items():
    for i, st in enumerate(job.get("steps", [])):
        if "uses" in st:
            uses.append(st["uses"])
            need(re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", st["uses"]),
                 f"{jname} step {i}: '{st['uses']}' is not pinned to a major version")
        if "run" in st:
            need("${{" not in st["run"], f"{jname} step {i}: an expression inside run:")
            sid = st.get("id")
            if sid:
                with open(f"{out}/{jname}.{sid}", "w") as f:
                    f.write(st["run"])
            runs.append(st["run"])
    need(job.get("defaults", {}).get("run", {}).get("shell") == "bash", f"{jname}: shell not bash")
for a in ("actions/checkout", "actions/upload-artifact", "actions/download-artifact",
          "benchmark-action/github-action-benchmark"):
    need(any(u.startswith(a + "@") for u in uses), f"no step uses {a}")
text = "\n".join(runs)
for cmd in ('"$IOVB" run ', '"$IOVB" compare ', '"$IOVB" history -o ', "--export gab-bigger",
            "--export gab-smaller", "make deps"):
    need(cmd in text, f"no run: script has {cmd}")
need("make check" not in text, "the workflow runs make check")
for k in ("IOVB", "IOVB_RUN_ARGS", "IOVB_THRESHOLD", "IOVB_ARTIFACT", "IOVB_KEEP"):
    need(k in doc.get("env", {}), f"no workflow env {k}")
print("\n".join(errs))
sys.exit(1 if errs else 0)
EOF
[ $rc -eq 0 ] || { cat "$tmp/shape"; fail "the workflow's shape"; }

# Run a step's script as GitHub does for `shell: bash`, in the workspace $tmp/ws.
ws=$tmp/ws
mkdir -p "$ws"
export IOVB=$bin IOVB_THRESHOLD=5% IOVB_KEEP=100 GITHUB_SHA=0123456789abcdef0123
export IOVB_RUN_ARGS="--bytes 64M --reps 2 --warmup 0"
export GITHUB_STEP_SUMMARY=$tmp/summary GITHUB_OUTPUT=$tmp/output
step() { # job.id [VAR=value...]: the exit status of the script
	local s=$1
	shift
	[ -f "$tmp/steps/$s" ] || fail "no step $s in the workflow"
	(cd "$ws" && env "$@" bash --noprofile --norc -eo pipefail "$tmp/steps/$s")
}

# Main's record first, as an earlier run left it: base/ (download) and history/ (gh-pages).
step bench.run >"$tmp/run1.log" 2>&1 || { cat "$tmp/run1.log"; fail "the run step failed"; }
mkdir -p "$ws/base" "$ws/history/iovbench/records"
cp "$ws/ci/record.json.gz" "$ws/base/record.json.gz"
cp "$ws/ci/record.json.gz" "$ws/history/iovbench/records/20000101T000000Z-base.json.gz"
grep -q '### iovbench report' "$GITHUB_STEP_SUMMARY" || bad "the run step wrote no summary"

# The pull request's record, then the gate.
rm -rf "$ws/ci"
step bench.run >"$tmp/run2.log" 2>&1 || { cat "$tmp/run2.log"; fail "the second run failed"; }
rc=0
step bench.compare >"$tmp/compare.log" 2>&1 || rc=$?
# 0 or 1 are both honest outcomes of two small runs on a busy machine; 2 means unusable.
[ $rc -le 1 ] || { cat "$tmp/compare.log"; bad "the compare step exited $rc"; }
grep -q 'throughput' "$ws/ci/compare.txt" || bad "compare.txt has no throughput row"
jq -e '.rows | length > 0' "$ws/ci/compare.json" >/dev/null || bad "compare.json has no rows"
grep -q 'iovbench compare' "$GITHUB_STEP_SUMMARY" || bad "the compare step wrote no summary"

# History: graph and exports over both records.
step bench.history SHA=$GITHUB_SHA >"$tmp/hist.log" 2>&1 ||
	{ cat "$tmp/hist.log"; bad "the history step failed"; }
[ -s "$ws/ci/history.svg" ] || bad "no history.svg"
for kind in bigger smaller; do
	jq -e 'length > 0 and all(has("name") and has("unit") and has("value"))' \
		"$ws/ci/gab-$kind.json" >/dev/null || bad "gab-$kind.json is not github-action-benchmark input"
done
ls "$ws"/ci/2*-0123456789ab.json.gz >/dev/null 2>&1 || bad "no dated record for gh-pages in ci/"
grep -q '^record=2.*-0123456789ab.json.gz$' "$GITHUB_OUTPUT" || bad "history step output"

[ $fails -eq 0 ] && echo "ci_workflow: all checks passed"
[ $fails -eq 0 ]
