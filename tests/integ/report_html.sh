#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `report -o DIR` on a short real record: every file is there, the gnuplot scripts re-run from
# DIR, the SVGs are well-formed, the HTML is self-contained with its plots inlined, a missing
# gnuplot exits 3, and (when chromium is installed) the page renders its plots headless.
set -euo pipefail
bin=$(realpath "${1:-build/iovbench}")
. "$(dirname "$0")/lib.bash"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/rep
figs=(fig3 fig4 fig5 fig6 fig7 fig8)

"$bin" run --bytes 128M --reps 2 --warmup 0 -q -o "$tmp/r.json.gz" || fail "run exited $?"
"$bin" report -o "$out" "$tmp/r.json.gz" >"$tmp/stdout" || fail "report -o exited $?"
grep -qx "$out/report.html" "$tmp/stdout" || fail "report -o did not print the page's path"

for f in report.html report.md; do
	[ -s "$out/$f" ] || fail "$f missing or empty"
done
for f in "${figs[@]}"; do
	for ext in dat gp svg png; do
		[ -s "$out/$f.$ext" ] || fail "$f.$ext missing or empty"
	done
	head -c 8 "$out/$f.png" | od -An -tx1 | grep -q '89 50 4e 47' || fail "$f.png is not a PNG"
	if command -v xmllint >/dev/null; then
		xmllint --noout "$out/$f.svg" || fail "$f.svg is not well-formed XML"
	else
		grep -q '<svg' "$out/$f.svg" && grep -q '</svg>' "$out/$f.svg" ||
			fail "$f.svg is not an SVG"
	fi
	grep -q '^set ylabel .*\(ns/byte\|Gbit/s\|(%)\)' "$out/$f.gp" ||
		fail "$f.gp: no unit on the y axis"
done

# The scripts re-run by hand from DIR and redraw their outputs.
for f in "${figs[@]}"; do
	rm "$out/$f.svg" "$out/$f.png"
	(cd "$out" && gnuplot "$f.gp") || fail "cd DIR && gnuplot $f.gp failed"
	[ -s "$out/$f.svg" ] && [ -s "$out/$f.png" ] || fail "gnuplot $f.gp did not redraw"
done

# Log scale on Figure 4 only; the host pays far more on pv than on vf (where it usually
# spends exactly 0, drawn at the floor as "0").
grep -q 'set logscale y' "$out/fig4.gp" || fail "fig4 is not log scale"
! grep -q 'set logscale' "$out/fig3.gp" || fail "fig3 should be linear"
# Row: index "role total" vf_median vf_min vf_max pv_median pv_min pv_max.
row=$(grep '"role total"' "$out/fig4.dat") || fail "fig4 has no role total"
awk '{exit !($7 > 0 && $4 * 3 < $7)}' <<<"$row" ||
	fail "fig4: host total not several times higher on pv than vf: $row"

# One inline SVG per figure, no external resource, the run's metadata and tables.
html=$out/report.html
[ "$(grep -o '<svg' "$html" | wc -l)" -eq ${#figs[@]} ] || fail "expected ${#figs[@]} <svg in the page"
! grep -Eq '(src|href)="(https?:|//|file:)|<link |<script' "$html" || fail "the page loads something"
! grep -q "id='gpPt0'" "$html" || fail "SVG ids are not prefixed per figure"
for s in 'kernel' 'workload' 'collectors' 'Throughput per path' 'CPU per payload byte' \
	'Figure 3' 'Figure 4' 'Figure 5' 'Figure 6' 'median Gbit/s'; do
	grep -q "$s" "$html" || fail "the page lacks '$s'"
done
grep -q '!\[Figure 4.*\](fig4.png)' "$out/report.md" || fail "report.md does not show fig4.png"

# Figures 7 (per-second series) and 8 (softirq duration histograms) need data an older record
# (or one run with --no-series and without bpf) lacks: the page says so instead of drawing them.
zcat "$tmp/r.json.gz" | jq 'del(.runs[].series, .runs[].collectors.bpf.softirq_hist)' |
	gzip >"$tmp/r0.json.gz"
"$bin" report -o "$tmp/r0" "$tmp/r0.json.gz" >/dev/null || fail "report -o without series exited $?"
for n in 7 8; do
	grep -q "Figure $n (.*) is not drawn" "$tmp/r0/report.html" ||
		fail "no note for the missing Figure $n"
	[ ! -e "$tmp/r0/fig$n.svg" ] || fail "fig$n.svg drawn without its data"
done
# With them (synthetic series and histograms added by jq to the real record) they are drawn,
# with units on the axes, their spread, and inlined in the page.
fixture=$(dirname "$0")/../fixtures/report/add_series.jq
zcat "$tmp/r.json.gz" | jq -f "$fixture" | gzip >"$tmp/rs.json.gz"
rs=$tmp/rs
"$bin" report -o "$rs" "$tmp/rs.json.gz" >/dev/null || fail "report -o with series exited $?"
for f in fig7 fig8; do
	for ext in dat gp svg png; do
		[ -s "$rs/$f.$ext" ] || fail "with series: $f.$ext missing or empty"
	done
	grep -q "Figure ${f#fig}:" "$rs/report.html" || fail "with series: no caption for $f"
done
grep -q 'ylabel "throughput (Gbit/s)"' "$rs/fig7.gp" && grep -q 'ylabel "CPU (cores)"' "$rs/fig7.gp" &&
	grep -q 'xlabel "time since the window opened (s)"' "$rs/fig7.gp" || fail "fig7: axis units"
grep -q 'softirqs (%)' "$rs/fig8.gp" && grep -q yerrorbars "$rs/fig8.gp" || fail "fig8: units or spread"
grep -q '^# block 0: NET_RX' "$rs/fig8.dat" || fail "fig8: NET_RX is not the first panel"
[ "$(grep -o '<svg' "$rs/report.html" | wc -l)" -eq 6 ] || fail "with series: expected 6 <svg"
! grep -q 'is not drawn' "$rs/report.html" || fail "with series: a figure is still said missing"
grep -q 'CPU nominal clock' "$html" || fail "the page does not say the nominal clock"

# --json: exactly one JSON document on stdout, for report (with and without -o), plan, history.
for cmd in "report --json $tmp/r.json.gz" "report --json -o $tmp/j $tmp/r.json.gz" \
	"plan --json -o $tmp/j $tmp/r.json.gz --target-gbps 10 --host-cores 16" \
	"history --json -o $tmp/j/h.svg $tmp/r.json.gz $tmp/rs.json.gz"; do
	# shellcheck disable=SC2086
	"$bin" $cmd >"$tmp/one.json" 2>"$tmp/err" || fail "$cmd exited $?: $(cat "$tmp/err")"
	jq -s -e 'length == 1 and (.[0] | type) == "object"' "$tmp/one.json" >/dev/null ||
		fail "$cmd: stdout is not one JSON document"
done
jq -e '.cpu_clock | has("nominal_mhz") and has("source")' <("$bin" report --json "$tmp/r.json.gz") \
	>/dev/null || fail "report --json has no cpu_clock"

# Exit codes: no gnuplot on PATH is the environment (3), with the data and scripts left.
rc=0
PATH=/nonexistent "$bin" report -o "$tmp/nognu" "$tmp/r.json.gz" 2>"$tmp/err" || rc=$?
[ $rc -eq 3 ] || fail "without gnuplot: exit $rc, expected 3"
grep -q 'gnuplot not found' "$tmp/err" || fail "without gnuplot: unclear message: $(cat "$tmp/err")"
[ -s "$tmp/nognu/fig4.gp" ] || fail "without gnuplot: the scripts were not left"
rc=0
"$bin" report -o "$tmp/bad" "$tmp/nonexistent.json.gz" 2>/dev/null || rc=$?
[ $rc -eq 2 ] || fail "missing record: exit $rc, expected 2"
rc=0
"$bin" report -o 2>/dev/null || rc=$?
[ $rc -eq 2 ] || fail "-o without DIR: exit $rc, expected 2"

# Headless rendering: the page must paint its plots, not just hold text.
chrome=$(command -v chromium || true)
if [ -z "$chrome" ]; then
	echo "SKIP: chromium not installed (apt-get install chromium): no headless screenshot"
else
	prof=$(mktemp -d -p "$tmp")
	timeout 60 "$chrome" --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --user-data-dir="$prof" \
		--screenshot="$out/shot.png" --window-size=1200,3000 "file://$html" \
		>"$tmp/chrome.log" 2>&1 || { tail "$tmp/chrome.log"; fail "chromium exited $?"; }
	[ -s "$out/shot.png" ] || fail "chromium wrote no screenshot"
	size=$(stat -c %s "$out/shot.png")
	[ "$size" -gt 20000 ] || fail "screenshot only $size bytes: the page did not render"
	# The bars' fill colours (one per path) must be painted: text alone has none of them.
	cat >"$tmp/pngcheck.py" <<'EOF'
# A small PNG decoder (no PIL here): count the colours, and the pixels of each path's bar fill.
import sys, zlib, struct, collections
data = open(sys.argv[1], 'rb').read()
pos, idat = 8, b''
while pos < len(data):
    n, typ = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if typ == b'IHDR':
        w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
        bpp = {2: 3, 6: 4}[ctype]
    elif typ == b'IDAT':
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytes(stride)
counts = collections.Counter()
for y in range(h):
    f, cur = raw[y * (stride + 1)], raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
    if f == 0:
        line = cur
    elif f == 2:
        line = bytes((a + b) & 255 for a, b in zip(cur, prev))
    else:
        line = bytearray(cur)
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        line = bytes(line)
    counts.update(line[x:x + 3] for x in range(0, stride, bpp))
    prev = line
# argv: PNG, alpha of the fill over white, fewest pixels per colour, colours (hex).
alpha, least = float(sys.argv[2]), int(sys.argv[3])
found = []
for hx in sys.argv[4:]:
    k = [int(hx[i:i + 2], 16) for i in (0, 2, 4)]
    t = [k[j] * alpha + 255 * (1 - alpha) for j in range(3)]
    found.append(sum(n for px, n in counts.items() if all(abs(px[j] - t[j]) < 12 for j in range(3))))
print(f"{sys.argv[1]}: {w}x{h}, {len(counts)} colours, pixels per colour {sys.argv[4:]}: {found}")
sys.exit(0 if len(counts) > 50 and all(v >= least for v in found) else 1)
EOF
	# Bars are filled at 85% over white: near, not equal to, the path's colour (vf, pv).
	python3 "$tmp/pngcheck.py" "$out/shot.png" 0.85 2000 2a9d8f e76f51 ||
		fail "the screenshot shows no plotted bars"
	# The new figures render in the browser too: fig8's bars per path, fig7's lines per path
	# and per role (host, server, guest).
	for f in fig7 fig8; do
		timeout 60 "$chrome" --headless --no-sandbox --disable-gpu \
			--disable-background-networking --disable-component-update --disable-sync \
			--no-first-run --user-data-dir="$prof" --screenshot="$rs/$f-shot.png" \
			--window-size=1000,1000 "file://$rs/$f.svg" >"$tmp/chrome.log" 2>&1 ||
			{ tail "$tmp/chrome.log"; fail "chromium exited $? on $f.svg"; }
	done
	python3 "$tmp/pngcheck.py" "$rs/fig8-shot.png" 0.85 2000 2a9d8f e76f51 ||
		fail "fig8 renders no bars"
	python3 "$tmp/pngcheck.py" "$rs/fig7-shot.png" 1 200 2a9d8f e76f51 264653 e9c46a 8338ec ||
		fail "fig7 renders no lines"
fi
echo "report_html: ok"
