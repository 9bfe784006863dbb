#!/usr/bin/env node
// What the main thread does while a fresh page starts its first threadbank manager: a
// Chrome trace per load (cross-origin isolated, so the pthread build) from loading the core
// to the first result, and each main-thread task over --over ms with the trace events that
// took the most of it (compiling, GC, wasm code caching, which script's function ran).
// The Long Tasks API only names tasks over 50 ms; this shows the ones growing toward it.
//   node bench/probes/browser-start-trace.mjs [loads=4] [--over 30]
import { parseArgs } from 'node:util';

import { traceStartUps } from './trace-start-ups.mjs';

const { values, positionals } = parseArgs({ options: { over: { type: 'string', default: '30' }, 'js-flags': { type: 'string' } }, allowPositionals: true });
const loads = Number(positionals[0] ?? 4);
const overUs = Number(values.over) * 1000;
const CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'toplevel', 'v8', 'v8.execute', 'blink', 'disabled-by-default-v8.compile'];

/** Events that only wrap others. */
const GENERIC = new Set(['ThreadControllerImpl::RunTask', 'SimpleWatcher::OnHandleReady', 'MessagePort::Accept', 'HandlePostMessage', 'v8.callFunction', 'RunMicrotasks', 'BlinkScheduler_PerformMicrotaskCheckpoint', 'V8.StackGuard', 'V8.HandleInterrupts']);

/** An event's name, with the function and script for script calls. */
const label = (e) => (e.name === 'FunctionCall' ? `FunctionCall ${e.args.data.functionName || '(anonymous)'} in ${(e.args.data.url ?? '').split('/').pop()}:${e.args.data.lineNumber}` : e.name);

const longest = [];
await traceStartUps({ loads, isolated: true, categories: CATEGORIES, jsFlags: values['js-flags'] }, (i, { events, onMain: isMain, firstMs: ms }) => {
  const onMain = events.filter((e) => isMain(e) && e.ph === 'X' && e.dur > 0);
  const tasks = onMain.filter((e) => e.name === 'RunTask' && e.dur > 12_000);
  const top = onMain.filter((e) => e.name === 'RunTask').sort((a, b) => b.dur - a.dur)[0];
  if (top) {
    // What the longest task was: its longest script call, else its longest event of note.
    const nested = onMain.filter((e) => e !== top && e.ts >= top.ts && e.ts + e.dur <= top.ts + top.dur);
    const call = nested.filter((e) => e.name === 'FunctionCall').sort((a, b) => b.dur - a.dur)[0];
    const other = nested.filter((e) => !GENERIC.has(e.name)).sort((a, b) => b.dur - a.dur)[0];
    longest.push([top.dur / 1000, call ? label(call) : (other?.name ?? 'unknown')]);
  }
  console.log(`load ${i}: first result after ${ms.toFixed(0)} ms; main-thread tasks over 12 ms: ${tasks.map((t) => (t.dur / 1000).toFixed(0)).join(', ') || 'none'}`);
  for (const task of tasks.filter((t) => t.dur > overUs)) {
    const inside = onMain.filter((e) => e !== task && e.ts >= task.ts && e.ts + e.dur <= task.ts + task.dur && e.dur > 300);
    const byName = new Map();
    for (const e of inside) byName.set(label(e), (byName.get(label(e)) ?? 0) + e.dur);
    console.log(`  task of ${(task.dur / 1000).toFixed(1)} ms (nested events overlap):`);
    for (const [name, us] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`    ${(us / 1000).toFixed(1).padStart(6)} ms  ${name}`);
  }
});
longest.sort((a, b) => a[0] - b[0]);
console.log(`longest main-thread task per load: median ${longest[longest.length >> 1][0].toFixed(1)} ms`);
for (const [ms, what] of longest) console.log(`  ${ms.toFixed(1).padStart(6)} ms  ${what}`);
