// check.mjs: loads an smtpsuite HTML report in Debian's headless Chromium
// (driven by playwright-core) and asserts DOM facts against the JSON
// result it was rendered from. Any console error, page error or request
// for anything but the page itself fails the check.
//
//   node check.mjs --html R.html [--json R.json] [--screenshot P.png]
//                  [--full-page] [--errors-only] [--perf OUT.txt]
//
// --errors-only loads the page and checks only for errors (used on the
// deliberately broken fixtures, to prove the checker can fail).
import { chromium } from 'playwright-core';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
  '--disable-quic',
];

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--errors-only' || a === '--full-page') o[a.slice(2)] = true;
    else if (a.startsWith('--') && i + 1 < argv.length) o[a.slice(2)] = argv[++i];
    else throw new Error(`unknown argument ${a}`);
  }
  if (!o.html) throw new Error('--html is required');
  return o;
}

const failures = [];
function expect(ok, what) {
  if (!ok) failures.push(what);
  return ok;
}

const VERDICTS = ['PASS', 'WARN', 'FAIL', 'ERROR', 'SKIP', 'XFAIL', 'XPASS', 'NOTRUN'];

async function visibleCases(page) {
  return page.$$eval('#results .case', (cs) => cs.filter((c) => !c.closest('[hidden]')).length);
}

async function shownText(page) {
  return page.$eval('#shown', (e) => e.textContent);
}

async function setVerdicts(page, keep) {
  for (const v of VERDICTS) {
    const box = page.locator(`#filters input.fv[value="${v}"]`);
    if ((await box.isChecked()) !== keep.includes(v)) await box.click();
  }
}

async function checkCounts(page, result) {
  const total = result.cases.length;
  expect(Number(await page.textContent('#count-total')) === total,
    `count-total is not ${total}`);
  for (const v of VERDICTS) {
    const got = Number(await page.textContent(`#count-${v}`));
    expect(got === result.summary[v], `count-${v}: got ${got} want ${result.summary[v]}`);
  }
}

async function checkCases(page, result, exactIds) {
  const dom = await page.$$eval('#results .case', (cs) => cs.map((c) => ({
    id: c.dataset.id, target: c.dataset.target || '', verdict: c.dataset.verdict,
    decisive: [...c.querySelectorAll('tr.step')].findIndex((r) => r.classList.contains('decisive')),
    nsteps: c.querySelectorAll('tr.step').length,
  })));
  expect(dom.length === result.cases.length,
    `${dom.length} cases on the page, ${result.cases.length} in the JSON`);
  const several = (result.targets || []).length > 1;
  const key = (id, t) => `${several ? t : ''}\u0000${id}`;
  const seen = new Map();
  for (const d of dom) seen.set(key(d.id, d.target), (seen.get(key(d.id, d.target)) || 0) + 1);
  if (exactIds) {
    for (const c of result.cases) {
      const n = seen.get(key(c.id, c.target || '')) || 0;
      if (!expect(n === 1, `case ${c.id} appears ${n} times`)) break;
    }
  }
  expect([...seen.values()].every((n) => n === 1), 'a case appears twice');
  // Failing steps marked: every FAIL case marks one step, the recorded one.
  const byKey = new Map(dom.map((d) => [key(d.id, d.target), d]));
  let marked = 0;
  for (const c of result.cases) {
    if (c.verdict !== 'FAIL') continue;
    const d = byKey.get(key(c.id, c.target || ''));
    if (!exactIds) { marked += dom.some((x) => x.verdict === 'FAIL' && x.decisive >= 0) ? 1 : 0; continue; }
    if (!expect(d && d.decisive >= 0, `FAIL case ${c.id} has no marked step`)) continue;
    if (c.decisive_step >= 0)
      expect(d.decisive === c.decisive_step,
        `FAIL case ${c.id}: step ${d.decisive} marked, ${c.decisive_step} decided`);
    marked++;
  }
  expect(marked === result.summary.FAIL, `${marked} FAIL cases marked`);
  const passMarked = dom.filter((d) => d.verdict === 'PASS' && d.decisive >= 0).length;
  expect(passMarked === 0, `${passMarked} PASS cases mark a step`);
}

// The audit matrix of a run of several targets: a row per case id, a
// column per target, the rows whose verdicts differ (from the JSON)
// marked; no matrix with one target.
async function checkMatrix(page, result) {
  const names = (result.targets || []).map((t) => t.name);
  const tables = await page.$$eval('table#matrix', (t) => t.length);
  if (names.length < 2) {
    expect(tables === 0, 'a matrix on a one-target page');
    return;
  }
  if (!expect(tables === 1, `${tables} matrix tables`)) return;
  const head = await page.$$eval('#matrix thead th', (t) => t.map((x) => x.textContent));
  expect(JSON.stringify(head) === JSON.stringify(['case', ...names]),
    `matrix header ${JSON.stringify(head)}`);
  const rows = await page.$$eval('#matrix tbody tr', (rs) => rs.map((r) => ({
    id: r.querySelector('th').textContent, differs: r.classList.contains('differs'),
    cells: [...r.querySelectorAll('td')].map((d) => d.textContent),
  })));
  const want = new Map();
  for (const c of result.cases) {
    if (!want.has(c.id)) want.set(c.id, names.map(() => '-'));
    const col = names.indexOf(c.target);
    if (col >= 0) want.get(c.id)[col] = c.verdict;
  }
  expect(rows.length === want.size, `${rows.length} matrix rows, ${want.size} case ids`);
  for (const r of rows) {
    const w = want.get(r.id);
    if (!expect(w && JSON.stringify(w) === JSON.stringify(r.cells),
      `matrix row ${r.id}: ${JSON.stringify(r.cells)}, want ${JSON.stringify(w)}`)) continue;
    expect(r.differs === w.some((v) => v !== w[0]), `matrix row ${r.id}: marked ${r.differs}`);
  }
}

async function checkFilters(page, result) {
  const total = result.cases.length;
  const s = result.summary;
  if (total === 0) { // a load run: nothing to filter
    expect(await shownText(page) === '0 of 0 cases shown', 'no-case #shown text');
    return;
  }
  expect(await visibleCases(page) === total, 'not every case is visible at first');
  // Transcripts start collapsed; a click opens one, another closes it.
  const open = await page.$$eval('#results div.more:not([hidden])', (d) => d.length);
  expect(open === 0, `${open} transcripts open at load`);
  const more = page.locator('#results button.more').first();
  if (await more.count()) {
    await more.click();
    expect(await page.$$eval('#results div.more:not([hidden]) pre.tx', (d) => d.length) === 1,
      'clicking a transcript button does not show it');
    await more.click();
    expect(await page.$$eval('#results div.more:not([hidden])', (d) => d.length) === 0,
      'a second click does not hide the transcript');
  }
  await setVerdicts(page, ['FAIL']);
  let n = await visibleCases(page);
  expect(n === s.FAIL, `verdict filter FAIL: ${n} visible, want ${s.FAIL}`);
  expect(await shownText(page) === `${s.FAIL} of ${total} cases shown`,
    `#shown says "${await shownText(page)}"`);
  await setVerdicts(page, ['FAIL', 'WARN']);
  n = await visibleCases(page);
  expect(n === s.FAIL + s.WARN, `verdict filter FAIL+WARN: ${n} visible`);
  // Area filter on top: the first area of the JSON.
  const area = result.cases[0].id.split('.')[0];
  await page.selectOption('#f-area', area);
  const wantArea = result.cases.filter((c) => c.id.split('.')[0] === area &&
    (c.verdict === 'FAIL' || c.verdict === 'WARN')).length;
  n = await visibleCases(page);
  expect(n === wantArea, `area ${area} + FAIL/WARN: ${n} visible, want ${wantArea}`);
  // Empty groups are hidden with their cases.
  const shownAreas = await page.$$eval('#results section.area', (a) => a.filter((x) => !x.hidden).length);
  expect(shownAreas <= 1, `${shownAreas} areas shown under an area filter`);
  await page.selectOption('#f-area', '');
  await setVerdicts(page, VERDICTS);
  // Severity.
  await page.selectOption('#f-sev', 'should');
  const wantSev = result.cases.filter((c) => c.severity === 'should').length;
  n = await visibleCases(page);
  expect(n === wantSev, `severity should: ${n} visible, want ${wantSev}`);
  await page.selectOption('#f-sev', '');
  // Text search on an id.
  const target = result.cases[result.cases.length - 1].id;
  await page.fill('#f-q', target);
  const wantQ = result.cases.filter((c) => c.id.toLowerCase().includes(target.toLowerCase())).length;
  n = await visibleCases(page);
  expect(n >= 1 && n >= wantQ && n < total, `search "${target}": ${n} visible`);
  await page.fill('#f-q', '');
  expect(await visibleCases(page) === total, 'clearing the filters shows every case');
}

// Time from a click on the PASS filter to the next painted frame, and
// back (the script's work plus style and layout), in the page's clock.
async function timeOneFilter(page) {
  const ms = await page.evaluate(() => new Promise((done) => {
    const box = document.querySelector('#filters input.fv[value="PASS"]');
    const t0 = performance.now();
    box.click();
    requestAnimationFrame(() => setTimeout(() => {
      const t1 = performance.now();
      box.click();
      requestAnimationFrame(() => setTimeout(() => done([t1 - t0, performance.now() - t1]), 0));
    }, 0));
  }));
  return Math.max(...ms);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const html = resolve(o.html);
  const url = pathToFileURL(html).href;
  const profile = mkdtempSync(join(tmpdir(), 'smtpsuite-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  try {
    const page = context.pages()[0] || await context.newPage();
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console error: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('request', (r) => { if (r.url() !== url) errors.push(`request for ${r.url()}`); });
    const t0 = performance.now();
    await page.goto(url, { waitUntil: 'load', timeout: 120000 });
    const loadMs = performance.now() - t0;
    if (!o['errors-only']) {
      const result = JSON.parse(readFileSync(o.json, 'utf8'));
      const exactIds = !o.json.includes('hostile');
      await checkCounts(page, result);
      await checkCases(page, result, exactIds);
      await checkMatrix(page, result);
      const filterMs = o.perf ? await timeOneFilter(page) : 0;
      await checkFilters(page, result);
      if (o.perf) {
        const nav = await page.evaluate(() => {
          const e = performance.getEntriesByType('navigation')[0];
          return { dcl: e.domContentLoadedEventEnd, load: e.loadEventEnd };
        });
        const line = `cases=${result.cases.length} bytes=${statSync(html).size} ` +
          `load_ms=${Math.round(loadMs)} dcl_ms=${Math.round(nav.dcl)} ` +
          `loadevent_ms=${Math.round(nav.load)} filter_ms=${Math.round(filterMs)}\n`;
        writeFileSync(o.perf, line);
        process.stdout.write(line);
      }
    }
    if (o.screenshot) await page.screenshot({ path: o.screenshot, fullPage: !!o['full-page'] });
    for (const e of errors) failures.push(e);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
  for (const f of failures) console.log(`FAIL: ${o.html}: ${f}`);
  console.log(`${failures.length ? 0 : 1} passed, ${failures.length ? 1 : 0} failed`);
  process.exit(failures.length ? 1 : 0);
}

main().catch((e) => { console.log(`FAIL: ${e.stack || e}`); process.exit(2); });
