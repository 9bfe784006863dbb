#!/usr/bin/env bash
# Instructions per request lifecycle of the core (submit + assign + complete + settle, one
# script-bank request, no threads), counted by callgrind: an exact count that, unlike a
# timing, does not move with the machine's load or clock.
#
#   bench/callgrind.sh [N] [--write]     (npm run bench:callgrind -- --write)
#
# 1. build/release/threadbank_lifecycle_count runs exactly N lifecycles (default 100,000)
#    after a warm-up; --toggle-collect counts only what runs inside measured_lifecycles(),
#    so Ir / N is the exact cost of one lifecycle in the steady state.
# 2. Cross-check: core_bench's `lifecycle` under callgrind as Google Benchmark runs it
#    (`--benchmark_min_time=0.05`: benchmark 1.7.1 takes plain seconds, "0.05s" is
#    rejected). Its Ir counts every run of the function, including the runs Google
#    Benchmark uses to pick an iteration count and the engine set-up in each, divided by
#    the iterations of the reported run only: an upper bound, a few percent above (1).
# With --write, replaces (or appends) this script's section of bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

n=100000
write=0
for arg in "$@"; do
  case $arg in
    --write) write=1 ;;
    ''|*[!0-9]*) echo "callgrind.sh: expected N (a positive integer) or --write but received $arg" >&2; exit 2 ;;
    *) n=$arg ;;
  esac
done

command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is missing (scripts/setup.sh installs it)" >&2; exit 1; }
[ -f build/release/CMakeCache.txt ] || bash scripts/build.sh release
cmake --build build/release --target threadbank_lifecycle_count threadbank_bench >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Total Ir from a callgrind output file (the "totals:" line, or "summary:" in older files).
total_ir() { awk '/^(totals|summary):/ && !found { print $2; found = 1 }' "$1"; }

valgrind --tool=callgrind --callgrind-out-file="$work/count.out" --toggle-collect='measured_lifecycles*' \
  build/release/threadbank_lifecycle_count "$n" >"$work/count.txt" 2>"$work/count.err" ||
  { cat "$work/count.err" >&2; exit 1; }
count_ir=$(total_ir "$work/count.out")
per_lifecycle=$(awk -v ir="$count_ir" -v n="$n" 'BEGIN { printf "%.0f", ir / n }')

valgrind --tool=callgrind --callgrind-out-file="$work/bench.out" --toggle-collect='*lifecycle*' \
  build/release/threadbank_bench --benchmark_filter='^lifecycle$' --benchmark_min_time=0.05 \
  >"$work/bench.txt" 2>"$work/bench.err" || { cat "$work/bench.err" >&2; exit 1; }
bench_ir=$(total_ir "$work/bench.out")
bench_iterations=$(awk '$1 == "lifecycle" && !found { print $6; found = 1 }' "$work/bench.txt")
per_iteration=$(awk -v ir="$bench_ir" -v n="$bench_iterations" 'BEGIN { printf "%.0f", ir / n }')

# Where the instructions of one lifecycle go: the top functions by their own (exclusive)
# instructions, per lifecycle.
top=$(callgrind_annotate --threshold=100 "$work/count.out" 2>/dev/null |
  awk -v n="$n" '
    /file:function/ { body = 1; next }
    body && shown < 12 && /^ *[0-9,]+ / {
      ir = $1; gsub(",", "", ir)
      line = $0
      sub(/^ *[0-9,]+ *(\([^)]*\))? */, "", line)   # the count and its percentage
      sub(/^[^:]*:/, "", line)                        # the file
      sub(/ \[[^]]*\]$/, "", line)                    # the object file
      gsub(/std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >/, "std::string", line)
      gsub(/nlohmann::json_abi_v3_11_2::basic_json<[^()]*>/, "json", line)
      if (length(line) > 110) line = substr(line, 1, 107) "..."
      printf "| %s | %.0f |\n", line, ir / n
      shown++
    }')

machine=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
report=$(cat <<EOF
## Core: instructions per request lifecycle (callgrind)

- machine: ${machine:-unknown}, $(nproc) cores; $(valgrind --version); Google Benchmark $(dpkg-query -W -f='${Version}' libbenchmark-dev 2>/dev/null || echo unknown); Release build
- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$([ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] && echo ' + uncommitted changes')
- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)
- command: \`bash bench/callgrind.sh${*:+ $*}\`

| what | Ir |
| --- | ---: |
| one lifecycle: submit + assign + complete + settle (\`threadbank_lifecycle_count $n\`, exact: $count_ir Ir / $n) | **$per_lifecycle** |
| cross-check: \`threadbank_bench --benchmark_filter=^lifecycle\$ --benchmark_min_time=0.05\` ($bench_ir Ir in all runs of \`lifecycle\` / $bench_iterations iterations of the reported run; an upper bound) | $per_iteration |

Where one lifecycle's instructions go (exclusive Ir per lifecycle, top 12):

| function | Ir |
| --- | ---: |
$top
EOF
)

echo "$report"

if [ "$write" = 1 ]; then
  REPORT="$report" node -e '
    const fs = require("node:fs");
    const file = "bench/RESULTS.md";
    const start = "<!-- bench/callgrind.sh: start -->";
    const end = "<!-- bench/callgrind.sh: end -->";
    const section = `${start}\n${process.env.REPORT.trimEnd()}\n${end}\n`;
    let text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "# Benchmark results\n\nEach section is one run of one command; never compare numbers across sections.\n";
    const from = text.indexOf(start);
    const to = text.indexOf(end);
    text = from >= 0 && to > from
      ? text.slice(0, from) + section + text.slice(to + end.length).replace(/^\n/, "")
      : `${text.trimEnd()}\n\n${section}`;
    fs.writeFileSync(file, text);
    console.error(`callgrind.sh: wrote ${file}`);
  '
fi
