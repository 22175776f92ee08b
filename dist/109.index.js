export const id = 109;
export const ids = [109];
export const modules = {

/***/ 2109:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  fileIssues: () => (/* binding */ fileIssues)
});

// EXTERNAL MODULE: ./node_modules/@actions/github/lib/github.js
var github = __webpack_require__(1351);
// EXTERNAL MODULE: ./node_modules/@actions/github/lib/utils.js + 19 modules
var utils = __webpack_require__(5555);
// EXTERNAL MODULE: ./node_modules/@octokit/plugin-retry/dist-bundle/index.js
var dist_bundle = __webpack_require__(9735);
// EXTERNAL MODULE: ./node_modules/@octokit/plugin-throttling/dist-bundle/index.js
var plugin_throttling_dist_bundle = __webpack_require__(6856);
// EXTERNAL MODULE: ./src/text/log.ts
var log = __webpack_require__(3577);
// EXTERNAL MODULE: ./src/aep/pacing.ts
var aep_pacing = __webpack_require__(2264);
// EXTERNAL MODULE: ./src/text/secrets.ts
var secrets = __webpack_require__(9690);
// EXTERNAL MODULE: ./src/text/time.ts
var time = __webpack_require__(7466);
;// CONCATENATED MODULE: ./src/github/client.ts
/**
 * Octokit inside the action's rails, for escalation (src/github/issues.ts; only that lazy chunk
 * loads it). What the bare `getOctokit` lacks:
 *
 * - Retries and rate limits with Octokit's own plugins, bounded: at most 2 retries per request in
 *   all (a 5xx, a rate limit, or both), a POST never retried after a 5xx (it may have been done:
 *   a second issue would linger), no wait beyond a minute, the step's deadline or two minutes in
 *   all, and every wait ends when the step is cancelled.
 * - Octokit's logging (a server's `Deprecation`/`Sunset` headers included) goes through log.ts,
 *   which redacts secrets and flattens control characters, instead of a raw `console.warn`.
 * - Requests go only to GITHUB_API_URL: a redirect is never followed automatically; one
 *   same-origin redirect of a GET is re-issued, anything else is an error. Every attempt has its
 *   own timeout. The proxy-aware fetch @actions/github builds for HTTPS_PROXY stays underneath.
 * - A 2xx answer that is not whole JSON (a proxy's login page, a body cut short) is an error, and
 *   `isIssue`/`isIssueList` check the shape of what GitHub said before it is trusted.
 *
 * `describeGitHubRefusal` says what GitHub answered in words a workflow author can act on.
 */








/** Retries per request, whatever the cause; attempts are one more. */
const MAX_RETRIES = 2;
const MAX_ATTEMPTS = MAX_RETRIES + 1;
const MAX_WAIT_MS = 60_000;
const MAX_TOTAL_WAIT_MS = 120_000;
const RETRY_BASE_MS = 1000;
// As @octokit/plugin-retry's default list, with 429: rate limits are the throttling plugin's (and
// this module's), which honour Retry-After; the retry plugin's backoff would ignore it.
const DO_NOT_RETRY = [400, 401, 403, 404, 410, 422, 429, 451];
const MESSAGE_CHARS = 300;
/** An answer this client does not trust, or a request it would not make; never retried. */
class GitHubAnswerError extends Error {
    kind;
    status;
    requestId;
    constructor(kind, message, status, requestId) {
        super(message);
        this.kind = kind;
        this.status = status;
        this.requestId = requestId;
        this.name = 'GitHubAnswerError';
    }
}
// ---------------------------------------------------------------------------------------------
// The factory
// A limiter group as the throttling plugin uses one (`key(id).schedule(options, job)`) that runs
// each job at once: its write groups under `spaceWrites: false`.
const AT_ONCE = { key: () => ({ schedule: (_options, job) => job() }) };
// Per call, on the call's own copy of `options.request` (see `outermost`).
const CALL = Symbol('aep-github-call');
let clients = 0;
/** An Octokit for escalation, in the rails described at the top of this file. */
function createGitHubClient(settings, ctx, pacing = {}) {
    const apiOrigin = new URL(settings.apiUrl).origin;
    const maxWaitMs = ctx.maxWaitMs ?? MAX_WAIT_MS;
    const maxTotalWaitMs = ctx.maxTotalWaitMs ?? MAX_TOTAL_WAIT_MS;
    let waitedMs = 0;
    /** Whether to retry after a rate limit asking for `seconds`; waits them (abortably) if so. */
    const mayWait = async (seconds, options, what) => {
        const call = options.request[CALL];
        const ms = Math.max(0, seconds) * 1000;
        const asked = `${options.method} ${pathOf(options.url)}`;
        const no = (call?.attempts ?? 0) >= MAX_ATTEMPTS
            ? `${MAX_ATTEMPTS} attempts made`
            : ms > maxWaitMs
                ? `it asks for ${seconds} s, more than the ${maxWaitMs / 1000} s this action waits`
                : ctx.deadline !== undefined && Date.now() + ms >= ctx.deadline
                    ? `the step's time ends first`
                    : waitedMs + ms > maxTotalWaitMs
                        ? `this step already waited ${Math.round(waitedMs / 1000)} s for GitHub`
                        : ctx.signal.aborted
                            ? 'the step is stopping'
                            : undefined;
        if (no) {
            log/* debug */.Yz(`GitHub's ${what}: not waiting (${no}); ${asked} fails`);
            return false;
        }
        log/* info */.pq(`GitHub's ${what}: waiting ${seconds} s before retrying ${asked}`);
        waitedMs += ms;
        try {
            await (0,aep_pacing/* sleep */.y)(ms, ctx.signal);
            return true;
        }
        catch {
            return false;
        }
    };
    const logger = {
        debug: (...args) => log/* debug */.Yz(client_text(args)),
        info: (...args) => log/* info */.pq(client_text(args)),
        warn: (...args) => log/* warning */.$e(client_text(args)),
        // Escalation never fails the step: Octokit's errors are warnings too.
        error: (...args) => log/* warning */.$e(client_text(args))
    };
    // Innermost (next to the auth hook, inside the retry plugin): sees every attempt.
    const innermost = (octokit) => {
        octokit.hook.wrap('request', async (request, options) => {
            const call = options.request[CALL];
            if (call && ++call.attempts >= MAX_ATTEMPTS)
                options.request.retries = 0;
            try {
                return await request(options);
            }
            catch (err) {
                // Octokit wraps what fetch throws in a RequestError (status 500, retried): unwrap ours.
                const cause = err.cause;
                throw cause instanceof GitHubAnswerError ? cause : err;
            }
        });
    };
    // Outermost (around the throttling plugin): once per call.
    const outermost = (octokit) => {
        octokit.hook.wrap('request', async (request, options) => {
            // A copy: without a `request` option of the caller's, `options.request` is the instance's
            // defaults, and both plugins write their retry counts into it. `retries` only ever 0 here:
            // the retry plugin's limiter retries any error whose request carries a `retries` above 0,
            // a 403 or 404 too; the plugin's own choice (5xx) sets it on the error alone.
            options.request = {
                ...options.request,
                retries: options.method.toUpperCase() === 'POST' || options.request.retries === 0 ? 0 : undefined,
                retryCount: 0,
                [CALL]: { attempts: 0 }
            };
            for (;;) {
                try {
                    return await request(options);
                }
                catch (err) {
                    // A Retry-After the throttling plugin does not know (it goes by GitHub's message).
                    const seconds = unrecognisedRetryAfter(err);
                    if (seconds === undefined || !(await mayWait(seconds, options, 'rate limit')))
                        throw err;
                }
            }
        });
    };
    const toolkit = utils/* defaults */.NT.request;
    const base = toolkit?.fetch ?? globalThis.fetch;
    // The plugin awaits a handler's answer (through Bottleneck's Events.trigger), though its type
    // says void: true retries, now, for mayWait has waited.
    const onLimit = (what) => ((seconds, options) => mayWait(seconds, options, what));
    return (0,github/* getOctokit */.Q)(settings.token, {
        baseUrl: settings.apiUrl,
        userAgent: 'aep-retry-dataflow-run',
        log: logger,
        // Replaces @actions/github's `request` defaults: its proxy agent and fetch are kept.
        request: {
            agent: toolkit?.agent,
            fetch: guardedFetch(base, apiOrigin, ctx),
            log: logger
        },
        retry: {
            retries: MAX_RETRIES,
            doNotRetry: DO_NOT_RETRY,
            retryAfterBaseValue: pacing.retryBaseMs ?? RETRY_BASE_MS
        },
        throttle: {
            // Its own limiter keys: one client's spacing of writes does not hold up another's.
            id: `aep-retry-dataflow-run-${++clients}`,
            fallbackSecondaryRateRetryAfter: 60,
            // The wait happens in mayWait, where it can be cancelled; the plugin then retries at once.
            retryAfterBaseValue: 0,
            ...(pacing.spaceWrites === false
                ? { write: AT_ONCE, notifications: AT_ONCE }
                : {}),
            onSecondaryRateLimit: onLimit('secondary rate limit'),
            onRateLimit: onLimit('rate limit')
        }
    }, innermost, dist_bundle/* retry */.L, plugin_throttling_dist_bundle/* throttling */.A, outermost);
}
/** A 403/429 with Retry-After that GitHub's message does not call a rate limit: its seconds. */
function unrecognisedRetryAfter(err) {
    const e = err;
    if (e?.status !== 403 && e?.status !== 429)
        return undefined;
    const headers = e.response?.headers ?? {};
    if (/\bsecondary rate\b/i.test(String(e.message)) || headers['x-ratelimit-remaining'] === '0')
        return undefined;
    const seconds = Number(headers['retry-after']);
    return headers['retry-after'] !== undefined && Number.isFinite(seconds) ? seconds : undefined;
}
// ---------------------------------------------------------------------------------------------
// fetch: one origin, no automatic redirect, a timeout per attempt, whole JSON or an error
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
function guardedFetch(base, apiOrigin, ctx) {
    return async (input, init = {}) => {
        let url = new URL(String(input));
        if (url.origin !== apiOrigin)
            throw new GitHubAnswerError('origin', `Refused to send a request to ${url.origin}: the token and the issue bodies go only to GITHUB_API_URL (${apiOrigin})`);
        const method = (init.method ?? 'GET').toUpperCase();
        const timeout = AbortSignal.timeout(ctx.requestTimeoutMs);
        const signals = [init.signal, ctx.signal, timeout].filter((s) => !!s);
        const signal = AbortSignal.any(signals);
        const send = (target) => base(target.href, { ...init, redirect: 'manual', signal });
        try {
            let res = await send(url);
            for (let followed = false; REDIRECTS.has(res.status) && res.headers.has('location');) {
                const to = new URL(res.headers.get('location') ?? '', url);
                const id = requestIdOf(res.headers.get('x-github-request-id'));
                await res.body?.cancel().catch(() => undefined);
                if (to.origin !== url.origin)
                    throw new GitHubAnswerError('redirect', `GitHub answered ${res.status} with a redirect to ${to.origin}, not followed, so the token and the issue body stay with GITHUB_API_URL (${apiOrigin})`, res.status, id);
                if (method !== 'GET' || followed)
                    throw new GitHubAnswerError('redirect', `GitHub answered ${res.status} with a redirect to ${clean(to.pathname)} for ${method} ${clean(url.pathname)}, not followed${followed ? ' (a second redirect)' : ': only a GET is re-issued'}`, res.status, id);
                followed = true;
                url = to;
                res = await send(url);
            }
            return await whole(res, method, signal);
        }
        catch (err) {
            if (timeout.aborted && !ctx.signal.aborted && !init.signal?.aborted)
                throw new GitHubAnswerError('timeout', `GitHub did not answer ${method} ${clean(url.pathname)} within ${ctx.requestTimeoutMs} ms`);
            throw err;
        }
    };
}
/** A 2xx answer read whole and checked to be JSON; any other answer as it came. */
async function whole(res, method, signal) {
    if (res.status < 200 || res.status >= 300 || res.status === 204 || res.status === 205)
        return res;
    if (method === 'HEAD')
        return res;
    const id = requestIdOf(res.headers.get('x-github-request-id'));
    const type = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json' && !type.endsWith('+json')) {
        const page = await res.text().catch(() => '');
        const title = /<title[^>]*>([^<]{1,200})/i.exec(page)?.[1];
        throw new GitHubAnswerError('not-json', `GitHub answered ${res.status} with ${clean(type) || 'no content type'}, not JSON${title ? ` ("${clean(title).slice(0, 100)}")` : ''}: a proxy's login or error page? Not trusted`, res.status, id);
    }
    let body;
    try {
        body = await res.text();
    }
    catch (err) {
        if (signal.aborted)
            throw err;
        throw new GitHubAnswerError('cut-short', `GitHub's answer (${res.status}) was cut short: ${clean(causeOf(err))}`, res.status, id);
    }
    try {
        JSON.parse(body);
    }
    catch {
        throw new GitHubAnswerError('cut-short', `GitHub's answer (${res.status}) is not whole JSON (${body.length} characters): cut short?`, res.status, id);
    }
    const copy = new Response(body, {
        status: res.status,
        statusText: res.statusText,
        headers: res.headers
    });
    Object.defineProperty(copy, 'url', { value: res.url });
    return copy;
}
function causeOf(err) {
    const cause = err.cause;
    const inner = cause instanceof Error ? `${cause.message}` : '';
    return [err instanceof Error ? err.message : String(err), inner].filter(Boolean).join(': ');
}
const isRecord = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
/** An issue as GitHub describes one: a positive integer `number`, `html_url`, `body` or null. */
function isIssue(data) {
    return (isRecord(data) &&
        Number.isSafeInteger(data.number) &&
        data.number > 0 &&
        typeof data.html_url === 'string' &&
        (typeof data.body === 'string' || data.body === null) &&
        (data.labels === undefined || Array.isArray(data.labels)));
}
/** A page of issues: an array (possibly empty) of which every item is an issue. */
function isIssueList(data) {
    return Array.isArray(data) && data.every(isIssue);
}
/** `data` if `guard` accepts it, else a GitHubAnswerError naming `what` was expected. */
function checked(data, guard, what) {
    if (guard(data))
        return data;
    const seen = typeof data === 'string'
        ? `text of ${data.length} characters`
        : Array.isArray(data)
            ? `a list of ${data.length} of which not all are what GitHub sends`
            : data === null
                ? 'null'
                : typeof data === 'object'
                    ? 'an object without the fields GitHub sends'
                    : typeof data;
    throw new GitHubAnswerError('shape', `GitHub's answer is not ${what} (${seen}): not trusted`);
}
/** What kind of refusal (or failure) `err` is: for a caller deciding whether to go on. */
function refusalKind(err) {
    if (err instanceof GitHubAnswerError)
        return 'answer';
    const e = (err ?? {});
    if (e.name === 'AbortError')
        return 'cancelled';
    const status = e.status;
    const headers = e.response?.headers ?? {};
    const said = saidBy(err);
    if (!e.response || typeof status !== 'number')
        return 'unreachable';
    if (status === 403 || status === 429) {
        // GitHub's documented order: its message, then remaining 0 (wait for the reset), then a
        // Retry-After; a plain 403 ("Resource not accessible by integration") has none of them.
        if (/\bsecondary rate limit\b/i.test(said))
            return 'secondary-rate-limit';
        if (headers['x-ratelimit-remaining'] === '0')
            return 'rate-limit';
        if (headers['retry-after'] !== undefined || status === 429)
            return 'secondary-rate-limit';
        if (/\brate limit exceeded\b/i.test(said))
            return 'rate-limit';
        if (/\block(ed)?\b/i.test(said))
            return 'locked';
        if (/resource not accessible by (integration|personal access token)/i.test(said))
            return 'permission';
        return 'other';
    }
    if (status === 401)
        return 'bad-token';
    if (status === 404)
        return 'not-found';
    if (status === 410)
        return 'gone';
    if (status === 422)
        return 'validation';
    if (status >= 500)
        return 'server';
    return 'other';
}
/**
 * What GitHub answered, in words a workflow author can act on, with GitHub's own message
 * (redacted, one line, at most 300 characters) and its request id. Never the token: nothing
 * from the request's headers is used.
 */
function describeGitHubRefusal(err, now = Date.now()) {
    const e = (err ?? {});
    const headers = e.response?.headers ?? {};
    const id = err instanceof GitHubAnswerError ? err.requestId : requestIdOf(headers['x-github-request-id']);
    const idText = id ? ` (request id ${id})` : '';
    if (err instanceof GitHubAnswerError)
        return `${clean(err.message)}${idText}`;
    const said = saidBy(err);
    const tail = `${said ? ` GitHub said: "${said}"` : ''}${idText}`;
    const status = e.status;
    const where = target(e.request?.url);
    switch (refusalKind(err)) {
        case 'cancelled':
            return 'The request to GitHub was cancelled: the step is stopping.';
        case 'unreachable':
            return `Could not reach GitHub: ${clean(deepest(err))
                .slice(0, MESSAGE_CHARS)
                .replace(/[.\s]+$/, '') || 'no answer'}.`;
        case 'locked':
            return `GitHub refused: ${where.issue ? `issue #${where.issue}` : 'the issue'} is locked, and a locked issue takes no comments. Unlock it, or close it so the next run opens a new one.${tail}`;
        case 'secondary-rate-limit': {
            const after = headers['retry-after'];
            return `GitHub's secondary rate limit refused the request (${status}${after !== undefined ? `, retry after ${clean(after)} s` : ''}): too many requests or writes from this token in a short time. The action waits at most a minute for it and not past the step's time; a later run files what is left.${tail}`;
        }
        case 'rate-limit': {
            const reset = Number(headers['x-ratelimit-reset']);
            const limit = headers['x-ratelimit-limit'];
            const resetAt = reset > 0 ? (0,time/* isoTime */.L)(reset * 1000) : undefined;
            const when = resetAt
                ? `; it resets at ${resetAt} (in ${Math.max(0, Math.ceil((reset * 1000 - now) / 60_000))} min)`
                : '';
            return `GitHub's API rate limit for this token is used up (${status}${limit ? `, ${clean(limit)} requests an hour` : ''})${when}. Other jobs using the same token count too; a run after the reset gets through.${tail}`;
        }
        case 'permission':
            return `GitHub answered 403: the token may not write issues in this repository: add \`permissions: issues: write\` to the job (or the workflow).${tail}`;
        case 'bad-token':
            return `GitHub refused the token (401): check \`github-token\` (expired, revoked, or for another GitHub than GITHUB_API_URL).${tail}`;
        case 'not-found':
            return where.issue
                ? `GitHub answered 404 for issue #${where.issue}${where.repo ? ` of ${where.repo}` : ''}: deleted, transferred, or not visible with this token.${tail}`
                : `GitHub answered 404: the repository${where.repo ? ` ${where.repo}` : ''} was not found with this token (a private repository it may not read looks the same). Check GITHUB_REPOSITORY and the token.${tail}`;
        case 'gone':
            return `GitHub answered 410: ${/disabled/i.test(said) ? 'issues are turned off in this repository: turn them on in its settings, or turn off `issue-on-failure`.' : 'gone.'}${tail}`;
        case 'validation':
            return `GitHub refused the content (422)${/too long/i.test(said) ? ': the text is longer than GitHub allows' : ''}.${tail}`;
        case 'server':
            return `GitHub answered ${status}, a fault on its side (retried, except a POST that may have been done).${tail}`;
        default:
            return `GitHub answered ${status}.${tail}`;
    }
}
/** GitHub's own message: `message` and each validation error's, else the error's text. */
function saidBy(err) {
    const e = (err ?? {});
    const data = e.response?.data;
    let said;
    if (isRecord(data) && typeof data.message === 'string') {
        const details = Array.isArray(data.errors)
            ? data.errors
                .map(d => typeof d === 'string'
                ? d
                : isRecord(d)
                    ? typeof d.message === 'string'
                        ? d.message
                        : [d.resource, d.field, d.code].filter(x => typeof x === 'string').join(' ')
                    : '')
                .filter(Boolean)
            : [];
        said = details.length ? `${data.message}: ${details.join('; ')}` : data.message;
    }
    else {
        said = typeof e.message === 'string' ? e.message : String(err);
        if (/<[a-z!][^>]*>/i.test(said))
            said = said.replace(/<[^>]*>/g, ' ');
    }
    return clean(said).slice(0, MESSAGE_CHARS);
}
/** The innermost cause's message (fetch's "fetch failed" wraps what happened), with its code. */
function deepest(err) {
    let found = '';
    let at = err;
    for (let depth = 0; depth < 6 && at instanceof Error; depth++, at = at.cause) {
        const code = at.code;
        if (at.message)
            found = typeof code === 'string' ? `${at.message} (${code})` : at.message;
    }
    return found;
}
/** Server text made one safe line: redacted, control characters and runs of space as one space. */
function clean(s) {
    return (0,secrets/* redact */.E$)((0,secrets/* redact */.E$)(s)
        .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ') // eslint-disable-line no-control-regex
        .replace(/\s+/g, ' ')
        .trim());
}
function requestIdOf(value) {
    return value && /^[\w:.-]{1,100}$/.test(value) ? value : undefined;
}
function pathOf(url) {
    try {
        return clean(new URL(url).pathname);
    }
    catch {
        return clean(url.split('?')[0]);
    }
}
function target(url) {
    const m = /\/repos\/([\w.-]+\/[\w.-]+)(?:\/issues\/(\d+))?/.exec(url ?? '');
    return { repo: m?.[1], issue: m?.[2] };
}
function client_text(args) {
    return args
        .map(a => (a instanceof Error ? a.message : typeof a === 'string' ? a : safeJson(a)))
        .join(' ');
}
function safeJson(value) {
    try {
        return JSON.stringify(value) ?? String(value);
    }
    catch {
        return String(value);
    }
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: ./src/inputs/ids.ts
var ids = __webpack_require__(3427);
// EXTERNAL MODULE: ./src/text/markdown.ts
var markdown = __webpack_require__(6590);
// EXTERNAL MODULE: ./src/aep/runs.ts
var runs = __webpack_require__(8694);
;// CONCATENATED MODULE: ./src/github/issue-body.ts
/**
 * What an issue says, and the hidden markers by which the action finds its issue again and knows
 * what it last said. Pure: no I/O (github-issues.ts sends it). Server text here is data for
 * people: escaped, clipped, redacted first, and unable to mention anyone or link an issue
 * (markdown.ts), and every body and title stays within GitHub's limits.
 */







const FLOW = /<!-- aep-flow: ([0-9a-f-]{36}) -->/;
const SANDBOX = /<!-- aep-sandbox: ([a-z0-9][a-z0-9-]{0,255}) -->/;
const STATE = /<!-- aep-state: ([\w:-]{1,100}) -->/;
const MISSING = /<!-- aep-missing: ([0-9a-f,-]*) -->/;
const MAX_MISSING_IDS = 500;
// The windows listed in an issue's table, and those whose errors it spells out; the marker and
// the job summary hold the rest.
const MAX_WINDOW_ROWS = 50;
const MAX_ERROR_WINDOWS = 10;
/** GitHub refuses a body over 65,536 characters; a title over 256. */
const MAX_BODY = 60_000;
const MAX_TITLE_NAME = 100;
function readMarks(body) {
    return {
        flowId: FLOW.exec(body)?.[1],
        sandbox: SANDBOX.exec(body)?.[1],
        state: STATE.exec(body)?.[1],
        missing: (MISSING.exec(body)?.[1] ?? '').split(',').filter(id => ids/* UUID */.kk.test(id))
    };
}
/** The markers a body starts with: the flow, a digest of what it says, the missing windows. */
function marks(flowId, state, missing, sandbox) {
    return [
        `<!-- aep-flow: ${flowId} -->`,
        ...(sandbox ? [`<!-- aep-sandbox: ${sandbox} -->`] : []),
        `<!-- aep-state: ${state} -->`,
        `<!-- aep-missing: ${missing.slice(0, MAX_MISSING_IDS).join(',')} -->`
    ].join('\n');
}
/** A short digest of what an incident says, times left out: equal digests, nothing new to say. */
function digest(incident) {
    const parts = [
        incident.headline.replace(/"[^"]*"/g, ''),
        ...incident.missing.map(r => `${r.runId}:${r.state}:${r.newRunId ?? ''}:${r.finalStatus ?? ''}`)
    ];
    return (0,external_node_crypto_.createHash)('sha256').update(parts.join('\n')).digest('hex').slice(0, 16);
}
/** The digest of "these windows left `lookback` unrecovered". */
const goneDigest = (gone) => `gone-${(0,external_node_crypto_.createHash)('sha256').update(gone.join(',')).digest('hex').slice(0, 12)}`;
/** The issue's title: the flow's name redacted, flattened, clipped, unable to mention or link. */
function title(incident, sandbox) {
    const name = incident.flowName ? (0,log/* oneLine */.TN)(incident.flowName) : '';
    const shown = name.length > MAX_TITLE_NAME ? `${name.slice(0, MAX_TITLE_NAME)}…` : name;
    return (0,markdown/* unlinked */.hd)(`AEP dataflow ${shown ? `"${shown}" ` : ''}(${incident.flowId})${sandbox ? ` in sandbox ${sandbox}` : ''} needs attention`);
}
/** A body within GitHub's limit: cut at a line, saying so, the closing line kept. */
function fit(lines, limit = MAX_BODY) {
    const text = (0,secrets/* redact */.E$)(lines.join('\n'));
    if (text.length <= limit)
        return text;
    const footer = "\n\n_Cut to GitHub's size limit for an issue; the job summary and the `results` output hold everything._";
    const cut = text.slice(0, limit - footer.length);
    return cut.slice(0, Math.max(0, cut.lastIndexOf('\n'))) + footer;
}
/** Comment for windows that left `lookback` unrecovered: the issue stays open for a person. */
function goneText(gone, runUrl) {
    return fit([
        `The failed window(s) of run(s) ${gone.map(id => `\`${id}\``).join(', ')} left the sweep's \`lookback\` without a run that succeeded: the action no longer retries them, and their data is missing. Recover them by hand (\`run-id\` with \`force: true\`, once the cause is fixed), then close this issue.${runUrl ? `\n\nSeen by [this workflow run](${runUrl}).` : ''}`
    ]);
}
/** Comment when every window the sweep saw has been ingested: the issue is closed with it. */
function recoveredText(recovery, ctx) {
    const by = recovery.recoveredBy;
    return fit([
        `Every failed window of dataflow \`${recovery.flowId}\` in sandbox \`${ctx.sandbox}\` that the action saw has been ingested${by.length ? ` (by run${by.length === 1 ? '' : 's'} ${by.map(id => `\`${id}\``).join(', ')})` : ''}: the flow has recovered. Closing.${ctx.runUrl ? `\n\nSeen by [this workflow run](${ctx.runUrl}).` : ''}`
    ]);
}
/** An issue body or comment: what happened, the runs, Adobe's codes and texts, where and when. */
function describe(incident, ctx) {
    const r = incident.result;
    const rows = [
        [
            'Dataflow',
            `${incident.flowName ? `${(0,markdown/* inert */.tJ)(incident.flowName, 200)} ` : ''}\`${incident.flowId}\``
        ],
        ['Sandbox', `\`${ctx.sandbox}\``],
        ['Failed run', `\`${r.runId}\``],
        ...(r.newRunId
            ? [['New run', `\`${r.newRunId}\`${r.finalStatus ? ` (${(0,markdown/* inert */.tJ)(r.finalStatus)})` : ''}`]]
            : []),
        ...(r.earlierRetries?.length
            ? [['Retries made', r.earlierRetries.map(id => `\`${id}\``).join(', ')]]
            : []),
        ['When', new Date().toISOString()],
        ...(ctx.runUrl
            ? [['Workflow run', `[${ctx.runUrl}](${ctx.runUrl})`]]
            : [])
    ];
    const lines = [
        `**This dataflow needs a person:** ${(0,markdown/* inert */.tJ)(incident.headline)}.`,
        '',
        '| | |',
        '|---|---|',
        ...rows.map(([k, v]) => `| ${k} | ${v} |`),
        ...(r.error ? ['', `**What the action saw:** ${(0,markdown/* inert */.tJ)(r.error, 2000, { code: true })}`] : []),
        ...(incident.missing.length
            ? [
                '',
                `**Failed windows not yet recovered (${incident.missing.length})**`,
                '',
                '| Failed run | Window | State |',
                '|---|---|---|',
                ...incident.missing
                    .slice(0, MAX_WINDOW_ROWS)
                    .map(m => `| \`${m.runId}\` | ${(0,markdown/* inert */.tJ)((0,runs/* windowLabel */.Hf)(m) || '—')} | ${(0,markdown/* inert */.tJ)(stateOf(m))} |`),
                ...(incident.missing.length > MAX_WINDOW_ROWS
                    ? [`| … | ${incident.missing.length - MAX_WINDOW_ROWS} more | |`]
                    : [])
            ]
            : []),
        ...errorsByRun(incident.missing.length ? incident.missing : [r]),
        ...nextSteps(incident, ctx),
        '',
        '_Filed by the AEP dataflow retry action. It comments here when something changes and closes this issue once every failed window of the flow has been ingested._'
    ];
    return fit(lines);
}
/** Adobe's errors, run by run: the failure's, each failed retry's, the new run's, and diagnostics. */
function errorsByRun(windows) {
    const list = (errors) => errors
        .slice(0, 5)
        .map(e => (0,markdown/* inert */.tJ)(e))
        .join('; ');
    const lines = windows.slice(0, MAX_ERROR_WINDOWS).flatMap(w => {
        const d = w.diagnostics;
        return [
            `- Failed run \`${w.runId}\`${(0,runs/* windowLabel */.Hf)(w) ? ` (${(0,markdown/* inert */.tJ)((0,runs/* windowLabel */.Hf)(w))})` : ''}: ${w.previousErrors?.length ? list(w.previousErrors) : 'no error reported'}`,
            ...(w.retryErrors ?? []).map((x, i) => `  - retry ${i + 1}, run \`${x.runId}\` (${(0,markdown/* inert */.tJ)(x.status)}): ${x.errors.length ? list(x.errors) : 'no error reported'}`),
            ...(w.newRunErrors?.length
                ? [`  - new run \`${w.newRunId}\` (${(0,markdown/* inert */.tJ)(w.finalStatus ?? '')}): ${list(w.newRunErrors)}`]
                : []),
            ...(d?.errorDetail ? [`  - the connector said: ${(0,markdown/* inert */.tJ)(d.errorDetail, 600)}`] : []),
            ...(d?.failedRecords ? [`  - failed records: ${(0,markdown/* code */.aY)(d.failedRecords)}`] : []),
            ...(d?.sampleErrors ? [`  - sample errors: ${(0,markdown/* code */.aY)(d.sampleErrors)}`] : [])
        ];
    });
    return lines.length ? ['', '**Errors reported by Adobe, run by run**', '', ...lines] : [];
}
/** What the action will do next on its own, and how a person retries a window once it is fixed. */
function nextSteps(incident, ctx) {
    const manual = incident.missing.filter(m => m.state === 'retries-exhausted' || m.state === 'needs-fix' || m.state === 'error');
    const automatic = incident.missing.filter(m => !manual.includes(m));
    const action = actionReference();
    return [
        '',
        '**What happens next**',
        '',
        ...(automatic.length
            ? [
                `- The next sweep retries ${automatic.length === 1 ? 'its window' : `${automatic.length} of these windows`} again on its own, up to \`max-retries\` (${ctx.maxRetries || 'no limit'}), while ${automatic.length === 1 ? 'it started' : 'they started'} within \`lookback\`.`
            ]
            : []),
        ...(manual.length
            ? [
                `- The action will not retry ${manual.length === 1 ? 'this window' : `these ${manual.length} windows`} again (${[...new Set(manual.map(m => (m.state === 'needs-fix' ? `its error is in \`skip-errors\`` : m.state === 'error' ? 'Adobe refused it' : '`max-retries` reached')))].join('; ')}). Once the cause is fixed, retry by hand from a workflow:`,
                '',
                '```yaml',
                `- uses: ${action}`,
                '  with:',
                `    run-id: ${manual.length === 1 ? manual[0].runId : `|\n${manual.map(m => `      ${m.runId}`).join('\n')}`}`,
                '    force: true # past max-retries and skip-errors',
                `    sandbox: ${ctx.sandbox}`,
                '    org-id: ${{ secrets.AEP_ORG_ID }}',
                '    client-id: ${{ secrets.AEP_CLIENT_ID }}',
                '    client-secret: ${{ secrets.AEP_CLIENT_SECRET }}',
                '```'
            ]
            : [])
    ];
}
/** `owner/repo@ref` of this action as the runner names it, else a placeholder to fill in. */
function actionReference(env = process.env) {
    const repo = env.GITHUB_ACTION_REPOSITORY ?? '';
    const ref = env.GITHUB_ACTION_REF ?? '';
    return /^[\w.-]+\/[\w.-]+$/.test(repo) && /^[\w./-]{1,100}$/.test(ref)
        ? `${repo}@${ref}`
        : '<owner>/<repo>@v1';
}
/** A window's state as the issue shows it: a wait says when the next retry is due. */
function stateOf(m) {
    return m.state === 'waiting' ? `waiting: next retry due ${(0,time/* shownTime */.h)(m.nextRetryAt)}` : m.state;
}

;// CONCATENATED MODULE: ./src/github/issues.ts



// One list call covers 100 open issues; a repository with more of ours is read up to this many pages.
const MAX_PAGES = 10;
/** Files what needs a person and closes what recovered; answers what it did. */
async function fileIssues(settings, work, ctx) {
    // Called only with something to do (main.ts decides, before this chunk is loaded).
    const done = [];
    const problems = [];
    const warn = (text) => {
        problems.push(text);
        log/* warning */.$e(text);
    };
    const did = (flowId, { number, url }, action) => {
        done.push({ flowId, number, url, action });
    };
    // Retries, throttling, redirects, timeouts per attempt and logging: github-client.ts.
    const github = createGitHubClient(settings, ctx);
    const [owner, repo] = settings.repository.split('/');
    // The client times each attempt itself; a timeout here would also count its queue and retries.
    const request = () => ({ signal: ctx.signal });
    const comment = (issue_number, body) => github.rest.issues.createComment({ owner, repo, issue_number, body, request: request() });
    const rewrite = (issue_number, body) => github.rest.issues.update({ owner, repo, issue_number, body, request: request() });
    // The sandbox written in markers and titles: only when the step swept several (issue-body.ts).
    const mine = ctx.several ? ctx.sandbox : undefined;
    let open;
    try {
        open = await openIssues(github, owner, repo, settings.labels[0], request, mine);
    }
    catch (err) {
        // Only flows that failed or recovered are work not done; a healthy flow is nobody's loss.
        const left = [
            ...work.incidents.map(i => `an issue for flow ${i.flowId}`),
            ...work.recoveries.map(r => `closing the issue of recovered flow ${r.flowId}`)
        ];
        warn(`Could not file GitHub issues: this action's open issues could not be read (${describeGitHubRefusal(err)}), and without knowing which flows have one, no issue was opened, commented or closed.${left.length ? ` Not done: ${left.slice(0, 5).join('; ')}${left.length > 5 ? `; and ${left.length - 5} more` : ''}.` : ''} The step's result is unchanged.`);
        return { actions: done, problems };
    }
    if (open.cut)
        warn(`More than ${MAX_PAGES * 100} open issues carry the label "${settings.labels[0]}": only the first ${MAX_PAGES * 100} were read, so no new issue is opened (it may exist among the others). Close the ones that are done.`);
    const fileIncident = async (incident) => {
        const existing = open.byFlow.get(incident.flowId);
        const state = digest(incident);
        const missing = incident.missing.map(r => r.runId);
        const body = describe(incident, ctx);
        if (existing) {
            if (existing.state === state) {
                did(incident.flowId, existing, 'unchanged');
                log/* info */.pq(`Flow ${incident.flowId}: issue #${existing.number} already says this; no comment`);
                return;
            }
            await comment(existing.number, body);
            await rewrite(existing.number, `${marks(incident.flowId, state, missing, mine)}\n${body}`);
            existing.state = state;
            did(incident.flowId, existing, 'commented');
            log/* info */.pq(`Flow ${incident.flowId}: commented on issue #${existing.number}`);
            return;
        }
        if (open.cut)
            return;
        const { data } = await github.rest.issues.create({
            owner,
            repo,
            title: title(incident, mine),
            body: `${marks(incident.flowId, state, missing, mine)}\n${body}`,
            labels: settings.labels,
            request: request()
        });
        const created = asIssue(data);
        if (!created) {
            warn(`Flow ${incident.flowId}: GitHub accepted the new issue but its answer does not say which it is; the next run finds it by its marker.`);
            return;
        }
        open.byFlow.set(incident.flowId, { ...created, state, missing });
        did(incident.flowId, created, 'opened');
        log/* info */.pq(`Flow ${incident.flowId}: opened issue #${created.number}`);
        const labels = Array.isArray(data.labels)
            ? data.labels
            : [];
        const labelled = labels.some(l => (typeof l === 'string' ? l : l?.name) === settings.labels[0]);
        if (!labelled)
            warn(`Issue #${created.number} was opened without the label "${settings.labels[0]}", so a later run cannot find it: the token may lack permission to set labels.`);
    };
    const closeRecovered = async (recovery) => {
        const existing = open.byFlow.get(recovery.flowId);
        if (!existing)
            return;
        // A window the issue named that this sweep no longer sees left `lookback` unrecovered.
        const gone = existing.missing.filter(id => !recovery.settled.includes(id));
        if (gone.length > 0) {
            const state = goneDigest(gone);
            if (existing.state === state)
                return;
            const text = goneText(gone, ctx.runUrl);
            await comment(existing.number, text);
            await rewrite(existing.number, `${marks(recovery.flowId, state, existing.missing, mine)}\n${text}`);
            existing.state = state;
            did(recovery.flowId, existing, 'commented');
            log/* warning */.$e(`Flow ${recovery.flowId}: issue #${existing.number} stays open: ${gone.length} failed window(s) left the lookback unrecovered`);
            return;
        }
        await comment(existing.number, recoveredText(recovery, ctx));
        await github.rest.issues.update({
            owner,
            repo,
            issue_number: existing.number,
            state: 'closed',
            state_reason: 'completed',
            request: request()
        });
        did(recovery.flowId, existing, 'closed');
        log/* info */.pq(`Flow ${recovery.flowId} recovered: closed issue #${existing.number}`);
    };
    // Each flow's escalation stands alone: a locked issue or a refusal for one is that flow's.
    const tasks = [
        ...work.incidents.map(i => ({
            flowId: i.flowId,
            what: `an issue for flow ${i.flowId}`,
            run: () => fileIncident(i)
        })),
        ...work.recoveries.map(r => ({
            flowId: r.flowId,
            what: `closing the issue of recovered flow ${r.flowId}`,
            run: () => closeRecovered(r)
        })),
        ...work.quiet.map(r => ({
            flowId: r.flowId,
            what: `settling the open issue of flow ${r.flowId}, which had no failed run within \`lookback\``,
            run: () => closeRecovered(r)
        }))
    ];
    for (const task of tasks) {
        if (ctx.signal.aborted)
            break;
        try {
            await task.run();
        }
        catch (err) {
            warn(`Could not file ${task.what} (${describeGitHubRefusal(err)}). The other flows' issues are unaffected; the step's result is unchanged.`);
        }
    }
    // The open issue of every flow seen failing, linked where people look, even with nothing to add.
    for (const flowId of work.failing) {
        const issue = open.byFlow.get(flowId);
        if (issue && !done.some(d => d.flowId === flowId))
            did(flowId, issue, 'open');
    }
    return { actions: done, problems };
}
/** The number and link of an issue GitHub described, or undefined when the answer is not one. */
function asIssue(value) {
    return isIssue(value) ? { number: value.number, url: value.html_url } : undefined;
}
/**
 * The open issues of this action, by the flow id in their marker: one list call per 100. An
 * answer that is not a list of issues (a proxy's HTML page, a body cut short) is an error: "no
 * open issue" must never be read from an answer that cannot be read.
 */
async function openIssues(github, owner, repo, label, request, 
/** With several sandboxes: this one's issues only (another sandbox's are its own step's). */
sandbox) {
    const byFlow = new Map();
    for (let page = 1; page <= MAX_PAGES; page++) {
        const answer = await github.rest.issues.listForRepo({
            owner,
            repo,
            labels: label,
            state: 'open',
            per_page: 100,
            page,
            request: request()
        });
        const data = checked(answer.data, isIssueList, 'a list of issues');
        for (const issue of data) {
            if (issue.pull_request)
                continue;
            const marked = readMarks(issue.body ?? '');
            const { flowId, state, missing } = marked;
            // An issue is (sandbox, flow)'s. One without a sandbox marker was filed by a one-sandbox
            // step: it matches by its flow id alone, which is a UUID no other sandbox's flow has, so it
            // is that flow's issue in the sandbox it was filed in, whether the step now sweeps one
            // sandbox or several.
            if (sandbox && marked.sandbox && marked.sandbox !== sandbox)
                continue;
            if (flowId && !byFlow.has(flowId))
                byFlow.set(flowId, { number: issue.number, url: issue.html_url, state, missing });
        }
        if (data.length < 100)
            return { byFlow, cut: false };
    }
    return { byFlow, cut: true };
}


/***/ })

};
