// A live view of one manager: buttons submit bursts, the panel redraws from
// getSystemMetrics() and getWorkerStatus() every 250 ms.
import { canUseThreads, createWorkerManager } from '/dist/browser/browser.js';

const $ = (id) => document.getElementById(id);
const manager = await createWorkerManager({
  name: 'dashboard',
  maxQueue: 50_000,
  banks: [
    { bankId: 'native', builtin: 'basic', workerCount: 2 },
    { bankId: 'script', script: new URL('./worker.js', import.meta.url), workerCount: 2 },
  ],
});
$('mode').textContent = canUseThreads()
  ? 'cross-origin isolated: native actions run on pthreads (Web Workers)'
  : 'not cross-origin isolated: native actions run on this thread between tasks';

function burst(count, submit) {
  // Submitted in slices, one per task, so the page keeps painting while it queues work.
  let sent = 0;
  const slice = () => {
    for (let i = 0; i < 500 && sent < count; i++, sent++) submit(sent).catch(() => {});
    if (sent < count) setTimeout(slice, 0);
  };
  slice();
}
$('native').onclick = () => burst(10_000, (i) => manager.submitRequest('add', { a: i, b: 1 }, { bankId: 'native' }));
$('script').onclick = () => burst(10_000, (i) => manager.submitRequest('square', { n: i }));
$('slow').onclick = () => burst(200, (i) => manager.submitRequest('slowSquare', { n: i, ms: 20 }, { priority: 8 }));

let longest = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) longest = Math.max(longest, entry.duration);
}).observe({ type: 'longtask' });

const history = [];
function draw() {
  const m = manager.getSystemMetrics();
  $('queue').textContent = m.queueDepth;
  $('inflight').textContent = m.inFlight;
  $('completed').textContent = m.completedRequests;
  $('throughput').textContent = Math.round(m.throughputPerSecond);
  $('p50').textContent = m.processingTime.p50Ms.toFixed(2);
  $('p95').textContent = m.processingTime.p95Ms.toFixed(2);
  $('p99').textContent = m.processingTime.p99Ms.toFixed(2);
  $('longtask').textContent = longest.toFixed(0);

  history.push(m.throughputPerSecond);
  if (history.length > 160) history.shift();
  const canvas = $('chart');
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const top = Math.max(1, ...history);
  ctx.beginPath();
  history.forEach((value, i) => {
    const x = (i / 159) * canvas.width;
    const y = canvas.height - (value / top) * (canvas.height - 10) - 5;
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  });
  ctx.strokeStyle = '#2563eb';
  ctx.stroke();
  ctx.fillText(`throughput, peak ${Math.round(top)}/s`, 8, 14);

  const rows = manager.getWorkerStatus().map(
    (w) =>
      `<tr><td>${w.workerId}</td><td>${w.kind}</td><td class="${w.busy ? 'busy' : 'idle'}">${w.busy ? 'busy' : 'idle'}</td>` +
      `<td>${w.tasksCompleted}</td><td>${w.tasksFailed}</td><td>${w.busyTimeMs.toFixed(0)}</td><td>${w.restarts}</td></tr>`,
  );
  $('workers').innerHTML = `<tr><th>worker</th><th>kind</th><th>state</th><th>done</th><th>failed</th><th>busy ms</th><th>restarts</th></tr>${rows.join('')}`;
}
setInterval(draw, 250);
draw();
window.__dashboardReady = true;
