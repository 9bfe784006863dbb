// The markdown report of bench/browser/run.mjs, in the shape of bench/node/run.mjs's: a
// header naming the machine, versions, date and command, then one table whose cells are the
// median over rounds with the range (min - max), and ratios of medians.

export const fmtInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
export const fmtMs = (n) =>
  !Number.isFinite(n) ? 'n/a' : n >= 100 ? Math.round(n).toLocaleString('en-US') : n >= 10 ? n.toFixed(1) : n >= 1 ? n.toFixed(2) : n.toFixed(3);
const fmtRatio = (r) => (Number.isFinite(r) ? `${r >= 10 ? r.toFixed(0) : r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}x` : '');

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function summary(values, format) {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { median: NaN, text: 'n/a' };
  const med = median(finite);
  const range = finite.length > 1 ? ` (${format(Math.min(...finite))} - ${format(Math.max(...finite))})` : '';
  return { median: med, text: `${format(med)}${range}` };
}

function table(headers, rows) {
  const lines = [`| ${headers.join(' | ')} |`, `| ${headers.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

/** Long tasks over every round: how many, and the longest (the worst case is what a user sees). */
function longTaskCells(runs, key) {
  const count = runs.reduce((sum, r) => sum + r[key].longTasks, 0);
  const longest = Math.max(0, ...runs.map((r) => r[key].longestTaskMs));
  return [String(count), count === 0 ? 'none > 50' : fmtMs(longest)];
}

/** Whole-run long tasks by phase: "1 (start-up 62 ms)", or "0". */
function wholeRunCell(runs) {
  const tasks = runs.flatMap((r) => r.whole.tasks ?? []);
  if (tasks.length === 0) return String(runs.reduce((sum, r) => sum + r.whole.longTasks, 0));
  return `${tasks.length} (${tasks.map((t) => `${t.phase} ${fmtMs(t.ms)} ms`).join(', ')})`;
}

/**
 * `variants`: [{ name, label }] in table order; `results`: name -> [run] (successful runs) ;
 * `failures`: name -> [message].
 */
export function report({ options, env, variants, results, failures, totalS }) {
  const out = [];
  const v = env.versions;
  out.push('## Browser (headless Chromium): threadbank vs workerpool and a comlink round robin');
  out.push('');
  out.push(`- machine: ${env.cpu}, ${env.cores} cores, ${env.os}; ${env.browser}, driven by playwright-core ${v['playwright-core']} from Node ${env.node}`);
  out.push(`- packages: threadbank ${v.threadbank} (${env.commit}), workerpool ${v.workerpool} (dist/workerpool.min.js), comlink ${v.comlink} (dist/esm/comlink.mjs)`);
  out.push(
    `- date: ${env.date}; the whole run took ${Math.round(totalS)} s; 1-minute load average ${env.load[0].toFixed(1)} at the start, ` +
      `${env.load[1].toFixed(1)} at the end (the machine is shared: the higher, the noisier the absolute numbers)`,
  );
  out.push(`- command: \`${env.command}\``);
  const prefetch = options.prefetch === undefined ? "default, 'auto'" : String(options.prefetch);
  out.push(
    `- every number below comes from this one run: ${options.rounds} round${options.rounds === 1 ? '' : 's'}, libraries alternating (order rotated each round), ` +
      `one library at a time on a freshly loaded page, ${options.workers} workers each, each library's default options otherwise ` +
      `(threadbank script bank: prefetch ${prefetch}; workerpool: module workers so they can import the shared handler; ` +
      `comlink: calls dealt round robin over ${options.workers} wrapped workers). Every worker runs the same handler ` +
      `(bench/node/workers/handlers.mjs \`add\`). Cells are the median over rounds with the range (min - max) in brackets; ratios are of medians.`,
  );
  out.push('');
  out.push('### Tiny task, closed loop');
  out.push('');
  out.push(
    `\`add {a:4,b:6}\`, ${options.inflight} requests in flight for ${options.seconds} s per library per round (after ${options.warmup} s of warm-up), ` +
      `on a cross-origin isolated page (COOP/COEP; threadbank runs its pthread build) unless the row says otherwise. ` +
      `Main thread: tasks over 50 ms (Long Tasks API) summed over all rounds, the longest of them, and the latest a 10 ms timer chain fired ` +
      `(the longest stretch, under 50 ms too, in which the page could not run a timer) — during the measured windows, ` +
      `and tasks over 50 ms over each whole run (manager / pool start-up, warm-up and shutdown included), with the phase each began in.`,
  );
  out.push('');
  const opsOf = (name) => summary((results[name] ?? []).map((r) => r.ops), fmtInt).median;
  const tb = opsOf('threadbank');
  const tbPlain = opsOf('threadbank-nothreads');
  const showPlain = variants.some((x) => x.name === 'threadbank-nothreads');
  const headers = [
    'library',
    'ops/s',
    'p50 ms',
    'p99 ms',
    'tasks > 50 ms',
    'longest task ms',
    'max timer delay ms',
    'tasks > 50 ms, whole run',
    'threadbank ÷ this (ops/s)',
  ];
  if (showPlain) headers.push('threadbank no-threads ÷ this');
  const rows = [];
  for (const { name, label } of variants) {
    const runs = results[name] ?? [];
    if (runs.length === 0) {
      // A pipe in the message would split the table cell.
      rows.push([label, `failed: ${(failures[name] ?? ['no run']).at(-1).replaceAll('|', '\\|')}`, ...headers.slice(2).map(() => '')]);
      continue;
    }
    const ops = summary(runs.map((r) => r.ops), fmtInt);
    const note = failures[name]?.length ? ` (${failures[name].length} of ${options.rounds} rounds failed)` : '';
    const row = [
      `${label}${note}`,
      ops.text,
      summary(runs.map((r) => r.p50), fmtMs).text,
      summary(runs.map((r) => r.p99), fmtMs).text,
      ...longTaskCells(runs, 'window'),
      summary(runs.map((r) => r.window.maxTimerDelayMs), fmtMs).text,
      wholeRunCell(runs),
      fmtRatio(tb / ops.median),
    ];
    if (showPlain) row.push(fmtRatio(tbPlain / ops.median));
    rows.push(row);
  }
  out.push(table(headers, rows));
  out.push('');
  return out.join('\n');
}
