#!/usr/bin/env node
// How long each main-thread task is while a fresh page starts its first threadbank manager,
// from a light Chrome trace: only the scheduler's task events and User Timing marks, so the
// page runs at nearly its own speed (browser-start-trace.mjs records what fills each task
// but slows the page: stack traces, source positions). One fresh page per load
// (cross-origin isolated: the pthread build; `plain`: the build without threads), from
// loading the core to the first result. Prints each load's tasks over 12 ms and the
// distribution of the longest task per load. While diagnosing, performance.mark() calls
// named `threadbank:...` added to the loader or the adapter name the tasks they fall in.
// With --categories (say `v8`), those trace categories are recorded too and each task of
// 30 ms or more lists the events that filled it.
//   node bench/probes/browser-start-tasks.mjs [loads=24] [plain] [--js-flags=...] [--categories=v8,...]
import { parseArgs } from 'node:util';

import { traceStartUps } from './trace-start-ups.mjs';

const { values, positionals } = parseArgs({ options: { 'js-flags': { type: 'string' }, categories: { type: 'string' } }, allowPositionals: true });
const loads = Number(positionals[0] ?? 24);
const isolated = positionals[1] !== 'plain';
const longest = [];
const firsts = [];
/** The marks inside each task of 30 ms or more, over all loads. */
const heavy = [];
const categories = ['toplevel', 'blink.user_timing', ...(values.categories ? values.categories.split(',') : [])];
await traceStartUps({ loads, isolated, categories, jsFlags: values['js-flags'] }, (i, { events, onMain, firstMs: first }) => {
  const marks = events.filter((e) => e.cat === 'blink.user_timing' && e.name.startsWith('threadbank:')).map((e) => [e.name.slice('threadbank:'.length), e.ts]);
  const start = marks.find(([name]) => name === 'probe-start')?.[1] ?? 0;
  const tasks = events.filter((e) => onMain(e) && e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && e.ts >= start);
  const over = tasks.filter((t) => t.dur > 12_000);
  const describe = (t) => {
    const inside = marks.filter(([, ts]) => ts >= t.ts && ts <= t.ts + t.dur).map(([name]) => name);
    return inside.length ? inside.join('+') : `after ${marks.filter(([, ts]) => ts < t.ts).pop()?.[0] ?? 'start'}`;
  };
  for (const t of over.filter((t) => t.dur >= 30_000)) {
    heavy.push([Math.round(t.dur / 1000), describe(t)]);
    if (!values.categories) continue;
    const byName = new Map();
    for (const e of events) {
      if (!onMain(e) || e === t || e.ph !== 'X' || e.cat === 'toplevel' || e.ts < t.ts || e.ts + e.dur > t.ts + t.dur || e.dur < 500) continue;
      byName.set(e.name, (byName.get(e.name) ?? 0) + e.dur);
    }
    const top = [...byName].sort((a, b) => b[1] - a[1]).slice(0, 8);
    console.log(`  task of ${(t.dur / 1000).toFixed(1)} ms (${describe(t)}): ${top.map(([name, us]) => `${name} ${(us / 1000).toFixed(1)}`).join(', ')}`);
  }
  longest.push(Math.round(Math.max(0, ...tasks.map((t) => t.dur)) / 1000));
  firsts.push(first);
  console.log(`load ${i}: first result after ${first.toFixed(0)} ms; tasks over 12 ms: ${over.map((t) => `${Math.round(t.dur / 1000)} (${describe(t)})`).join(', ') || 'none'}`);
});
const sorted = [...longest].sort((a, b) => a - b);
const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
firsts.sort((a, b) => a - b);
console.log(`tasks of 30 ms or more, with the marks inside: ${JSON.stringify(heavy.sort((a, b) => b[0] - a[0]))}`);
console.log(
  `${isolated ? 'isolated (pthread build)' : 'plain (build without threads)'}, ${loads} loads: longest task per load median ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${sorted[sorted.length - 1]} ms; over 50 ms in ${longest.filter((ms) => ms > 50).length}; first result median ${firsts[loads >> 1].toFixed(0)} ms`,
);
