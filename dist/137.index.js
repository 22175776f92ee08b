export const id = 137;
export const ids = [137];
export const modules = {

/***/ 1137:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  restoreLedger: () => (/* binding */ restoreLedger),
  saveLedger: () => (/* binding */ saveLedger)
});

// UNUSED EXPORTS: ledgerPrefix

// EXTERNAL MODULE: ./node_modules/@actions/cache/lib/cache.js + 340 modules
var cache = __webpack_require__(2641);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(8161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: ./src/aep/errors.ts
var errors = __webpack_require__(1107);
// EXTERNAL MODULE: ./src/inputs/ids.ts
var ids = __webpack_require__(3427);
;// CONCATENATED MODULE: ./src/ledger/ledger.ts
/**
 * The retry ledger: what this action re-triggered, kept between workflow runs (ledger-store.ts
 * keeps it in the Actions cache). It is the first answer to "was this failure retried already?",
 * before equal copy-activity windows and the timing rule (decide.ts). Pure: parsing, adding and
 * bounding; no I/O. It holds ids, times and windows only: never a secret, never server text.
 */

const LEDGER_VERSION = 1;
/** Entries older than the longest `lookback` can never answer a question: dropped on save. */
const LEDGER_MAX_AGE_MS = 31 * 24 * 3_600_000;
/** A size cap whatever the history: the newest entries are kept. */
const LEDGER_MAX_ENTRIES = 20_000;
/** A stored ledger larger than this is not read (20,000 entries take about 4 MB). */
const LEDGER_MAX_BYTES = 8 * 1024 * 1024;
const isTime = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
function parseEntry(value, sandbox) {
    if (!value || typeof value !== 'object')
        return undefined;
    const e = value;
    const flowId = (0,ids/* asUuid */.WD)(e.flowId);
    const retried = (0,ids/* asUuid */.WD)(e.retried);
    const newRun = (0,ids/* asUuid */.WD)(e.newRun);
    if (e.sandbox !== sandbox || !flowId || !retried || !newRun || !isTime(e.at))
        return undefined;
    const w = e.window;
    if (w !== undefined && !(w && isTime(w.start) && isTime(w.end) && w.start < w.end))
        return undefined;
    return {
        sandbox,
        flowId,
        retried,
        newRun,
        at: e.at,
        ...(w ? { window: { start: w.start, end: w.end } } : {})
    };
}
/**
 * A stored ledger's entries for `sandbox`, or why it cannot be trusted. Any entry out of shape
 * makes the whole ledger untrusted: it is ours, so damage anywhere means damage we cannot see.
 */
function parseLedger(text, sandbox) {
    if (text.length > LEDGER_MAX_BYTES)
        return { problem: `larger than ${LEDGER_MAX_BYTES} bytes` };
    let data;
    try {
        data = JSON.parse(text);
    }
    catch {
        return { problem: 'not JSON' };
    }
    const doc = (data ?? {});
    if (doc.version !== LEDGER_VERSION)
        return { problem: `not a version ${LEDGER_VERSION} ledger` };
    if (!Array.isArray(doc.entries))
        return { problem: 'no entries list' };
    if (doc.entries.length > LEDGER_MAX_ENTRIES)
        return { problem: `more than ${LEDGER_MAX_ENTRIES} entries` };
    const entries = [];
    for (const raw of doc.entries) {
        const entry = parseEntry(raw, sandbox);
        if (!entry)
            return { problem: `an entry out of shape (${entries.length + 1})` };
        entries.push(entry);
    }
    return { entries };
}
/** The entries worth keeping at `now`: recent enough, newest `LEDGER_MAX_ENTRIES`, no repeats. */
function boundLedger(entries, now) {
    const seen = new Set();
    const kept = entries
        .filter(e => e.at >= now - LEDGER_MAX_AGE_MS)
        .filter(e => !seen.has(e.newRun) && !!seen.add(e.newRun))
        .sort((a, b) => a.at - b.at);
    return kept.slice(Math.max(0, kept.length - LEDGER_MAX_ENTRIES));
}
function serialiseLedger(entries, now) {
    return JSON.stringify({ version: LEDGER_VERSION, entries: boundLedger(entries, now) });
}

;// CONCATENATED MODULE: ./src/ledger/store.ts
/**
 * Where the retry ledger lives between workflow runs: the GitHub Actions cache, through
 * `@actions/cache` (as GitHub's actions/stale keeps its state; no `permissions:` needed). Loaded by
 * dynamic import only when a sweep or a run-id has a failure to decide, so it is its own chunk of
 * dist/ and no other run pays for it. Entries are immutable per key: each save is a new entry
 * under a key unique to the workflow run attempt, and a restore takes the newest by prefix.
 *
 * Nothing here can cost the step or a duplicate: a ledger that cannot be read, is out of shape or
 * too large, or a cache service that fails or hangs, is a warning, and the decision goes on with
 * copy-activity windows and timing (decide.ts).
 */







const problem = (err, ms) => ({
    problem: (0,errors/* errorMessage */.gJ)(err),
    ms,
    ...(err instanceof AbandonedError ? { abandoned: true } : {})
});
/** The key prefix of one org's sandbox: the org id is hashed, it names a customer. */
function ledgerPrefix({ orgId, sandbox }) {
    const scope = (0,external_node_crypto_.createHash)('sha256').update(`${orgId}\n${sandbox}`).digest('hex').slice(0, 16);
    return `aep-retry-ledger-v1-${scope}-`;
}
/**
 * The ledger's file. The cache's version is derived from this path, so it must read the same on
 * every run: RUNNER_TEMP is the runner's own, the same on every GitHub-hosted runner.
 */
function ledgerDir(env = process.env) {
    return (0,external_node_path_.join)(env.RUNNER_TEMP || (0,external_node_os_.tmpdir)(), 'aep-retry-ledger');
}
const FILE = 'ledger.json';
/** Thrown when a cache call is given up on: its connection may still hold the process open. */
class AbandonedError extends Error {
}
/** A promise that gives up after `ms`: the cache service may hang, the step must not. */
async function within(ms, what, work) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new AbandonedError(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms);
    });
    try {
        return await Promise.race([work, timeout]);
    }
    finally {
        clearTimeout(timer);
    }
}
async function restoreLedger(scope, timeoutMs) {
    const started = Date.now();
    const ms = () => Date.now() - started;
    if (!cache/* isFeatureAvailable */.w3())
        return { problem: 'no Actions cache service in this environment', ms: ms(), unavailable: true };
    const dir = ledgerDir();
    try {
        await (0,promises_.rm)(dir, { recursive: true, force: true });
        await (0,promises_.mkdir)(dir, { recursive: true });
        const prefix = ledgerPrefix(scope);
        const key = await within(timeoutMs, 'Restoring the retry ledger', cache/* restoreCache */.P3([dir], `${prefix}none`, [prefix]));
        if (!key)
            return { entries: [], ms: ms() };
        const file = (0,external_node_path_.join)(dir, FILE);
        const size = (await (0,promises_.stat)(file)).size;
        if (size > LEDGER_MAX_BYTES)
            return { problem: `entry ${key} is larger than ${LEDGER_MAX_BYTES} bytes`, ms: ms() };
        const parsed = parseLedger(await (0,promises_.readFile)(file, 'utf8'), scope.sandbox);
        if ('problem' in parsed)
            return { problem: `entry ${key}: ${parsed.problem}`, ms: ms() };
        return { entries: parsed.entries, key, ms: ms() };
    }
    catch (err) {
        return problem(err, ms());
    }
}
/** Saves the ledger as a new entry; returns its key, or why it was not saved. */
async function saveLedger(scope, entries, timeoutMs, env = process.env) {
    const started = Date.now();
    const ms = () => Date.now() - started;
    if (!cache/* isFeatureAvailable */.w3())
        return { problem: 'no Actions cache service in this environment', ms: ms() };
    // Unique to the workflow run attempt, the job and the moment: a re-run or a second step saves anew.
    const attempt = [env.GITHUB_RUN_ID, env.GITHUB_RUN_ATTEMPT, env.GITHUB_JOB]
        .map(part => (part ?? '').replace(/[^\w.-]/g, '').slice(0, 64) || '0')
        .join('-');
    const key = `${ledgerPrefix(scope)}${attempt}-${Date.now()}`;
    const dir = ledgerDir(env);
    try {
        await (0,promises_.mkdir)(dir, { recursive: true });
        await (0,promises_.writeFile)((0,external_node_path_.join)(dir, FILE), serialiseLedger(entries, Date.now()));
        const id = await within(timeoutMs, 'Saving the retry ledger', cache/* saveCache */.Io([dir], key));
        // The library reports its own failures as warnings and answers -1.
        if (id === -1)
            return { problem: 'the cache service did not take it', ms: ms() };
        return { key, ms: ms() };
    }
    catch (err) {
        return problem(err, ms());
    }
}


/***/ })

};
