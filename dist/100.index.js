export const id = 100;
export const ids = [100];
export const modules = {

/***/ 6100:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  restoreLedger: () => (/* binding */ restoreLedger),
  saveLedger: () => (/* binding */ saveLedger)
});

// UNUSED EXPORTS: MAX_ARCHIVE_BYTES, MAX_TAR_BYTES, isOurKey, ledgerPrefix

// EXTERNAL MODULE: ./node_modules/@actions/cache/lib/cache.js + 340 modules
var cache = __webpack_require__(2641);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(8161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: ./src/aep/errors.ts
var errors = __webpack_require__(1107);
// EXTERNAL MODULE: ./node_modules/@actions/http-client/lib/index.js + 1 modules
var http_client_lib = __webpack_require__(4942);
// EXTERNAL MODULE: external "node:child_process"
var external_node_child_process_ = __webpack_require__(1421);
// EXTERNAL MODULE: external "node:http"
var external_node_http_ = __webpack_require__(7067);
// EXTERNAL MODULE: external "node:https"
var external_node_https_ = __webpack_require__(4708);
;// CONCATENATED MODULE: ./src/ledger/cache-client.ts
/**
 * The restore half of the Actions cache protocol, spoken here rather than by @actions/cache: its
 * restoreCache extracts the archive with `tar -P` into the workspace (any path, any link, any
 * FIFO), follows redirects with the runtime token to any host, and reads answers of any size.
 * This module only looks an entry up and fetches its archive into memory (store.ts reads the one
 * file out of it): the same requests the library makes (v2: twirp `GetCacheEntryDownloadURL` on
 * ACTIONS_RESULTS_URL; v1, GHES: `_apis/artifactcache/cache` on ACTIONS_CACHE_URL), the same
 * version hash, and three rails the library lacks:
 *
 * - no redirect is followed from the cache service (it never sends one; one that does is not
 *   sent the token again, anywhere), and the archive's signed URL gets no Authorization header;
 *   a same-origin redirect of the archive download is followed once;
 * - every answer is read up to a cap (a lookup 64 KiB, an archive `maxBytes`) and no further;
 * - the key an entry is matched by must be one of ours before anything uses or shows it.
 *
 * Every request ends when the step's signal aborts: a restore given up on leaves no socket.
 */





/** A lookup's answer is a few hundred bytes of JSON. */
const MAX_LOOKUP_BYTES = 64 * 1024;
const USER_AGENT = 'aep-retry-dataflow-run';
const TWIRP = 'twirp/github.actions.results.api.v1.CacheService/GetCacheEntryDownloadURL';
/** Both protocols retry a 5xx; so do we, twice, a second apart (reads: safe to repeat). */
const ATTEMPTS = 3;
const RETRY_PAUSE_MS = 1000;
class CacheClientError extends Error {
}
/** As @actions/cache's config.ts decides it: GHES speaks v1, github.com v2 when flagged. */
function cacheServiceConfig(env = process.env) {
    const host = new URL(env.GITHUB_SERVER_URL || 'https://github.com').hostname
        .trimEnd()
        .toUpperCase();
    const ghes = host !== 'GITHUB.COM' && !host.endsWith('.GHE.COM') && !host.endsWith('.LOCALHOST');
    const version = !ghes && env.ACTIONS_CACHE_SERVICE_V2 ? 'v2' : 'v1';
    const url = version === 'v2' ? env.ACTIONS_RESULTS_URL : env.ACTIONS_CACHE_URL || env.ACTIONS_RESULTS_URL;
    if (!url)
        return undefined;
    const mode = (env.ACTIONS_CACHE_MODE || '').trim().toLowerCase();
    const readable = !['none', 'read', 'write', 'write-only'].includes(mode) || ['read', 'write'].includes(mode);
    return { version, url, token: env.ACTIONS_RUNTIME_TOKEN || '', readable };
}
/**
 * The library's compression: zstd where `zstd --quiet --version` answers anything, else gzip.
 * It is part of the entry's version, so it is asked exactly as the library asks it.
 */
function compressionMethod() {
    return new Promise(resolve => {
        (0,external_node_child_process_.execFile)('zstd', ['--quiet', '--version'], { timeout: 10_000 }, (err, stdout, stderr) => resolve(!err && `${stdout}${stderr}`.trim() ? 'zstd-without-long' : 'gzip'));
    });
}
/** The cache version @actions/cache derives from the path list and the compression. */
function cacheVersion(paths, compression) {
    const components = [...paths, compression];
    if (process.platform === 'win32')
        components.push('windows-only');
    components.push('1.0');
    return (0,external_node_crypto_.createHash)('sha256').update(components.join('|')).digest('hex');
}
/** The newest entry whose key starts with one of `keys` (GitHub's order), or undefined. */
async function lookUp(config, keys, version, signal) {
    const auth = { authorization: `Bearer ${config.token}`, 'user-agent': USER_AGENT };
    if (config.version === 'v2') {
        const [key, ...restoreKeys] = keys;
        const body = JSON.stringify({ key, restore_keys: restoreKeys, version });
        const answer = await retried(() => request(new URL(`/${TWIRP}`, config.url), { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body }, MAX_LOOKUP_BYTES, signal));
        expectStatus(answer, 'the cache lookup');
        const json = parseObject(answer.body);
        if (json.ok !== true)
            return undefined;
        return found(json.matched_key, json.signed_download_url);
    }
    const url = new URL(`${config.url}_apis/artifactcache/cache?keys=${encodeURIComponent(keys.join(','))}&version=${version}`);
    const answer = await retried(() => request(url, { method: 'GET', headers: { ...auth, accept: 'application/json;api-version=6.0-preview.1' } }, MAX_LOOKUP_BYTES, signal));
    if (answer.status === 204)
        return undefined;
    expectStatus(answer, 'the cache lookup');
    const json = parseObject(answer.body);
    return found(json.cacheKey, json.archiveLocation);
}
/** The archive behind a signed URL, whole, at most `maxBytes`; no token goes with it. */
async function download(location, service, maxBytes, signal) {
    let url = signedUrl(location, service);
    for (let hop = 0;; hop++) {
        const answer = await retried(() => request(url, { method: 'GET', headers: { 'user-agent': USER_AGENT } }, maxBytes, signal));
        const location = answer.headers.location;
        if (answer.status >= 300 && answer.status < 400 && typeof location === 'string' && hop === 0) {
            const next = new URL(location, url);
            if (next.origin !== url.origin)
                throw new CacheClientError(`the archive download redirects to another origin (not followed)`);
            url = next;
            continue;
        }
        expectStatus(answer, 'the archive download');
        return answer.body;
    }
}
function found(key, location) {
    if (typeof key !== 'string' || typeof location !== 'string' || !location)
        throw new CacheClientError('the cache lookup answered without a key and an archive address');
    return { key, url: location };
}
/** An http(s) URL, and https when the service is: nothing else is fetched. */
function signedUrl(location, service) {
    let url;
    try {
        url = new URL(location);
    }
    catch {
        throw new CacheClientError('the archive address is not a URL');
    }
    const https = new URL(service).protocol === 'https:';
    if (url.protocol !== 'https:' && (https || url.protocol !== 'http:'))
        throw new CacheClientError(`the archive address is not ${https ? 'https' : 'http(s)'}`);
    if (url.username || url.password)
        throw new CacheClientError('the archive address holds credentials');
    return url;
}
function parseObject(body) {
    try {
        const value = JSON.parse(body.toString('utf8'));
        if (value && typeof value === 'object' && !Array.isArray(value))
            return value;
    }
    catch {
        // said below
    }
    throw new CacheClientError('the cache lookup answered something other than a JSON object');
}
/** A 2xx, or an error naming the status only: a refusal's text is the server's, never shown. */
function expectStatus(answer, what) {
    if (answer.status >= 300 && answer.status < 400)
        throw new CacheClientError(`${what} answered ${answer.status}, a redirect (not followed)`);
    if (answer.status < 200 || answer.status >= 300)
        throw new CacheClientError(`${what} answered ${answer.status}`);
}
class Retryable extends CacheClientError {
}
async function retried(send) {
    for (let attempt = 1;; attempt++) {
        let answer;
        let error;
        try {
            answer = await send();
            if (answer.status < 500 || answer.status === 501)
                return answer;
        }
        catch (err) {
            if (!(err instanceof Retryable))
                throw err;
            error = err;
        }
        if (attempt >= ATTEMPTS) {
            if (answer)
                return answer;
            throw error;
        }
        await new Promise(resolve => setTimeout(resolve, RETRY_PAUSE_MS * attempt).unref());
    }
}
/**
 * One request, never redirected, its answer read up to `maxBytes`: past that the socket is
 * destroyed and the request fails. Through the toolkit's agent, so HTTPS_PROXY and NO_PROXY
 * apply as in every other action; no keep-alive, so nothing lingers after.
 */
function request(url, init, maxBytes, signal) {
    return new Promise((resolve, reject) => {
        if (signal.aborted)
            return reject(new CacheClientError('cancelled'));
        const lib = url.protocol === 'https:' ? external_node_https_ : external_node_http_;
        const headers = { ...init.headers };
        if (init.body !== undefined)
            headers['content-length'] = String(Buffer.byteLength(init.body));
        const req = lib.request(url, {
            method: init.method,
            headers,
            agent: new http_client_lib/* HttpClient */.Qq(USER_AGENT, [], { keepAlive: false }).getAgent(url.href)
        });
        let settled = false;
        const fail = (err) => {
            if (settled)
                return;
            settled = true;
            signal.removeEventListener('abort', onAbort);
            req.destroy();
            reject(err);
        };
        const onAbort = () => fail(new CacheClientError('cancelled'));
        signal.addEventListener('abort', onAbort, { once: true });
        req.on('error', err => fail(new Retryable(`the cache service could not be reached (${errCode(err)})`)));
        req.on('response', res => {
            const declared = Number(res.headers['content-length']);
            if (declared > maxBytes)
                return fail(new CacheClientError(`an answer of ${declared} bytes, more than ${maxBytes}`));
            const chunks = [];
            let size = 0;
            res.on('data', (chunk) => {
                size += chunk.length;
                if (size > maxBytes)
                    fail(new CacheClientError(`an answer of more than ${maxBytes} bytes`));
                else
                    chunks.push(chunk);
            });
            res.on('error', () => undefined);
            res.on('close', () => {
                if (settled)
                    return;
                if (!res.complete)
                    return fail(new Retryable('the answer was cut short'));
                settled = true;
                signal.removeEventListener('abort', onAbort);
                resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
            });
        });
        req.end(init.body);
    });
}
const errCode = (err) => typeof err.code === 'string' && /^[A-Z_]{1,40}$/.test(err.code) ? err.code : 'network error';

// EXTERNAL MODULE: ./src/ledger/ledger.ts
var ledger = __webpack_require__(2420);
// EXTERNAL MODULE: external "node:async_hooks"
var external_node_async_hooks_ = __webpack_require__(6698);
// EXTERNAL MODULE: external "node:diagnostics_channel"
var external_node_diagnostics_channel_ = __webpack_require__(3053);
// EXTERNAL MODULE: ./src/text/log.ts
var log = __webpack_require__(3577);
;// CONCATENATED MODULE: ./src/ledger/library-rails.ts
/**
 * @actions/cache's save inside the action's rails. The library logs through @actions/core, which
 * writes to stdout directly: its `core.info` of a server's text (a twirp retry's message, a v1
 * reservation's "More details") would print a line break as is, so a server could start a line
 * of its own, a live `::error::` or `::stop-commands::`. And its HTTP client follows a redirect
 * to any host and, through the bearer handler, sends the runtime token there again.
 *
 * `railed` runs a library call in an async context of its own (AsyncLocalStorage), and only what
 * that context writes is taken apart:
 * - every write of the library's (one write is one core call) goes through log.ts, the output
 *   boundary, at its level (an `::error::` becomes a warning: a cache that fails costs the step
 *   nothing); `::add-mask::` lines are core's own and kept as they are;
 * - every HTTP request it makes with the runtime token goes to the cache service's origin or is
 *   destroyed before a byte is sent (Node's `http.client.request.start` channel).
 * What the rest of the action writes or sends meanwhile is untouched.
 */



const context = new external_node_async_hooks_.AsyncLocalStorage();
let depth = 0;
let restore;
/** Runs `work` (a library call) in the rails; they stay until it settles, also when abandoned. */
function railed(serviceUrls, token, work) {
    const origins = new Set();
    for (const url of serviceUrls) {
        try {
            if (url)
                origins.add(new URL(url).origin);
        }
        catch {
            // not a URL: no origin is allowed for it
        }
    }
    if (depth++ === 0)
        restore = install();
    const done = () => {
        if (--depth === 0)
            restore?.();
    };
    return context.run({ origins, token }, work).finally(done);
}
function install() {
    const streams = [process.stdout, process.stderr];
    // Kept as they are, to be called on their stream and put back as they were.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const originals = streams.map(stream => stream.write);
    streams.forEach((stream, i) => {
        const original = originals[i];
        const wrapper = function (chunk, ...rest) {
            if (!context.getStore())
                return original.call(stream, chunk, ...rest);
            const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
            context.exit(() => route(text, stream === process.stderr, raw => original.call(stream, raw)));
            const callback = rest.find(arg => typeof arg === 'function');
            callback?.();
            return true;
        };
        stream.write = wrapper;
    });
    external_node_diagnostics_channel_.subscribe('http.client.request.start', guard);
    return () => {
        external_node_diagnostics_channel_.unsubscribe('http.client.request.start', guard);
        streams.forEach((stream, i) => {
            stream.write = originals[i];
        });
    };
}
const COMMAND = /^::([A-Za-z-]+)(?: [^:]*)?::([^]*)$/;
const library_rails_unescape = (data) => data.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%25/g, '%');
/** One write of the library's, through the output boundary. */
function route(text, stderr, raw) {
    const message = text.replace(/\r?\n$/, '');
    const command = COMMAND.exec(message);
    if (!command)
        return stderr ? log/* debug */.Yz(message) : log/* info */.pq(message);
    const [, name, data] = command;
    switch (name.toLowerCase()) {
        case 'add-mask':
            // core's own line, its value escaped: masking the blob URL's signature must keep working.
            if (!/[\r\n]/.test(message))
                raw(`${message}\n`);
            return;
        case 'debug':
            return log/* debug */.Yz(library_rails_unescape(data));
        case 'warning':
        case 'error':
            return log/* warning */.$e(library_rails_unescape(data));
        case 'notice':
            return log/* notice */.lm(library_rails_unescape(data));
        default:
            return log/* debug */.Yz(message);
    }
}
/** Destroys a request of the library's that would take the runtime token to another origin. */
function guard(message) {
    const rails = context.getStore();
    const request = message.request;
    if (!rails || !request || !rails.token)
        return;
    const auth = String(request.getHeader('authorization') ?? '');
    if (!auth.includes(rails.token))
        return;
    // The Host header omits a default port, as a URL's origin does.
    if (rails.origins.has(originOf(`${request.protocol}//${String(request.getHeader('host') ?? request.host)}`)))
        return;
    request.destroy(new Error('a request with the runtime token to another origin than the cache service (refused)'));
}
function originOf(url) {
    try {
        return new URL(url).origin;
    }
    catch {
        return '';
    }
}

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(1455);
;// CONCATENATED MODULE: ./src/ledger/private-folder.ts
/**
 * The folder the ledger is saved from: made fresh by this step, mode 0700, the file in it created
 * exclusively and never through a link. Its path must read the same on every run (the cache's
 * version is derived from it), so it cannot be a random name; instead whatever is at that path is
 * judged first: a symbolic link or anything but a folder is refused (a planted link would make
 * the save write through it), a folder left by an earlier step is removed (links inside it are
 * removed, never followed) and made again. The restore never writes here or anywhere.
 */



class FolderRefused extends Error {
}
/** Makes `dir` afresh and writes `file` in it; returns the file's path. */
async function writePrivate(dir, file, text) {
    await (0,promises_.mkdir)((0,external_node_path_.dirname)(dir), { recursive: true });
    const found = await (0,promises_.lstat)(dir).catch((err) => {
        if (err.code === 'ENOENT')
            return undefined;
        throw err;
    });
    if (found?.isSymbolicLink())
        throw new FolderRefused(`${dir} is a symbolic link: the ledger is not written through it`);
    if (found && !found.isDirectory())
        throw new FolderRefused(`${dir} is not a folder: the ledger is not written there`);
    if (found)
        await (0,promises_.rm)(dir, { recursive: true, force: true });
    // Not recursive: fails if anything took the path meanwhile.
    await (0,promises_.mkdir)(dir, { mode: 0o700 });
    const made = await (0,promises_.lstat)(dir);
    if (!made.isDirectory() || (process.getuid && made.uid !== process.getuid()))
        throw new FolderRefused(`${dir} is not a folder of this step's own`);
    const path = (0,external_node_path_.join)(dir, file);
    const handle = await (0,promises_.open)(path, external_node_fs_.constants.O_WRONLY | external_node_fs_.constants.O_CREAT | external_node_fs_.constants.O_EXCL | (external_node_fs_.constants.O_NOFOLLOW ?? 0), 0o600);
    try {
        await handle.writeFile(text);
    }
    finally {
        await handle.close();
    }
    return path;
}
/** Removes the folder once the save is done with it (never while a save may still read it). */
async function removePrivate(dir) {
    const found = await (0,promises_.lstat)(dir).catch(() => undefined);
    if (found?.isDirectory())
        await (0,promises_.rm)(dir, { recursive: true, force: true });
}

;// CONCATENATED MODULE: ./src/ledger/tar.ts
/**
 * The one file a restored cache entry may give: read from the archive's bytes in memory, never
 * extracted. A cache entry is anyone's to write (any workflow of the repository can save under
 * the ledger's key), so its tar is hostile input: `../` and absolute names, links, FIFOs and
 * devices are never acted on, only named in why the entry is refused. Pure: no I/O.
 *
 * What @actions/cache makes of our folder (GNU tar --posix, names relative to the workspace):
 * a pax header before each member, the folder itself, then `<…>/aep-retry-ledger/ledger.json`.
 * Anything else in the entry means it is not one of ours: the whole entry is refused.
 */
const LEDGER_FOLDER = 'aep-retry-ledger';
const LEDGER_FILE = 'ledger.json';
const BLOCK = 512;
/** A pax or GNU long-name header is a few hundred bytes; more is not ours. */
const MAX_META_BYTES = 64 * 1024;
/** The kinds of member tar knows, in the words a warning uses. */
const KINDS = {
    '0': 'file',
    '\0': 'file',
    '1': 'hard link',
    '2': 'symbolic link',
    '3': 'character device',
    '4': 'block device',
    '5': 'folder',
    '6': 'FIFO',
    '7': 'contiguous file'
};
/** A member's name for a warning: quoted, escaped, clipped; never acted on. */
const shown = (name) => JSON.stringify(name.length > 120 ? `${name.slice(0, 120)}…` : name);
function field(header, start, length) {
    const raw = header.subarray(start, start + length);
    const end = raw.indexOf(0);
    return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}
/** An octal number field; undefined when it is not one (base-256 sizes are not ours). */
function octal(header, start, length) {
    const text = field(header, start, length).trim();
    if (!/^[0-7]{1,12}$/.test(text))
        return undefined;
    const value = parseInt(text, 8);
    return Number.isSafeInteger(value) ? value : undefined;
}
function checksumOk(header) {
    const stored = octal(header, 148, 8);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++)
        sum += i >= 148 && i < 156 ? 0x20 : header[i];
    return stored === sum;
}
/** `length key=value\n` records; only `path` and `size` matter to reading on. */
function paxRecords(data) {
    const records = new Map();
    let at = 0;
    while (at < data.length) {
        const space = data.indexOf(0x20, at);
        const length = Number(data.subarray(at, space).toString('latin1'));
        if (space === -1 || !Number.isSafeInteger(length) || length <= 0 || at + length > data.length)
            return undefined;
        const record = data.subarray(space + 1, at + length - 1).toString('utf8');
        const eq = record.indexOf('=');
        if (eq === -1 || data[at + length - 1] !== 0x0a)
            return undefined;
        records.set(record.slice(0, eq), record.slice(eq + 1));
        at += length;
    }
    return records;
}
/** Path components, trailing slash and `./` dropped. */
const parts = (name) => name.split('/').filter(p => p !== '' && p !== '.');
const isLedger = (p) => p.length >= 2 && p[p.length - 1] === LEDGER_FILE && p[p.length - 2] === LEDGER_FOLDER;
/**
 * The ledger file of a tar archive, if the archive is what our save makes and nothing else:
 * one regular file `…/aep-retry-ledger/ledger.json` of at most `maxBytes`, the folder that holds
 * it, and pax headers. Anything else (another file, a link, a FIFO, a device, a second ledger, a
 * header out of shape) is a problem naming the first member at fault.
 */
function ledgerFromTar(tar, maxBytes) {
    let at = 0;
    let found;
    // What a pax (`x`) or GNU long-name (`L`) header says of the member after it.
    let nextPath;
    let nextSize;
    while (at + BLOCK <= tar.length) {
        const header = tar.subarray(at, at + BLOCK);
        if (header.every(b => b === 0))
            break;
        if (!checksumOk(header))
            return { problem: `not a tar archive (a header's checksum is wrong at byte ${at})` };
        const type = String.fromCharCode(header[156]);
        const ustar = header.subarray(257, 262).toString('latin1') === 'ustar';
        const prefix = ustar ? field(header, 345, 155) : '';
        const name = nextPath ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
        const size = nextSize ?? octal(header, 124, 12);
        if (size === undefined)
            return { problem: `member ${shown(name)} has a size out of shape` };
        const start = at + BLOCK;
        if (start + size > tar.length)
            return { problem: `member ${shown(name)} is cut short` };
        const data = tar.subarray(start, start + size);
        at = start + Math.ceil(size / BLOCK) * BLOCK;
        nextPath = nextSize = undefined;
        if (type === 'x' || type === 'g' || type === 'L') {
            if (size > MAX_META_BYTES)
                return { problem: `a ${size}-byte extended header` };
            if (type === 'g')
                continue;
            if (type === 'L') {
                nextPath = field(data, 0, data.length);
                continue;
            }
            const records = paxRecords(data);
            if (!records)
                return { problem: 'an extended header out of shape' };
            nextPath = records.get('path');
            const paxSize = records.get('size');
            if (paxSize !== undefined) {
                if (!/^\d{1,15}$/.test(paxSize))
                    return { problem: 'an extended header with a size out of shape' };
                nextSize = Number(paxSize);
            }
            continue;
        }
        const kind = KINDS[type] ?? `member of type ${JSON.stringify(type)}`;
        const p = parts(name);
        if (type === '5' && p[p.length - 1] === LEDGER_FOLDER)
            continue;
        if ((type === '0' || type === '\0') && isLedger(p)) {
            if (found)
                return { problem: `two ${LEDGER_FILE} files` };
            if (size > maxBytes)
                return { problem: `${LEDGER_FILE} is larger than ${maxBytes} bytes` };
            found = data;
            continue;
        }
        if (isLedger(p))
            return { problem: `${LEDGER_FILE} is a ${kind}, not a file` };
        return { problem: `it holds a ${kind} ${shown(name)} besides the ledger` };
    }
    if (nextPath !== undefined || nextSize !== undefined)
        return { problem: 'an extended header with no member after it' };
    return found ? { data: found } : { problem: `no ${LEDGER_FILE} in it` };
}

// EXTERNAL MODULE: external "node:zlib"
var external_node_zlib_ = __webpack_require__(8522);
;// CONCATENATED MODULE: ./src/ledger/unpack.ts
/**
 * A cache archive's tar, decompressed in memory with a cap on what comes out: a decompression
 * bomb stops at the cap, having cost no disk and at most the cap in memory. @actions/cache makes
 * zstd archives where `zstd` is installed (GitHub's runners) and gzip elsewhere; both are told by
 * their magic bytes, whatever the entry claims. zstd goes through node:zlib where the runtime has
 * it (Node.js 22.15 and later, GitHub's `node24`), else through `zstd -d` as a pipe: no file, its
 * output bounded the same way, killed when over the cap or when the step gives up.
 */


const GZIP = Buffer.from([0x1f, 0x8b]);
const ZSTD = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
/**
 * The largest zstd window a frame may ask for: 2^24 = 16 MiB, twice the largest ledger. A frame
 * asking for more (up to 2 GiB) would make the decoder allocate it; ours never do.
 */
const ZSTD_WINDOW_LOG_MAX = 24;
class UnpackError extends Error {
}
// Typed here: @types/node 20 does not know it yet.
const nodeZstd = external_node_zlib_.zstdDecompress;
const windowLogMax = external_node_zlib_.constants.ZSTD_d_windowLogMax;
const tooLarge = (maxBytes) => new UnpackError(`it expands to more than ${maxBytes} bytes`);
/** The tar inside a gzip or zstd archive, at most `maxBytes` of it. */
async function unpack(archive, maxBytes, signal) {
    const options = { maxOutputLength: maxBytes };
    if (archive.subarray(0, 2).equals(GZIP))
        return new Promise((resolve, reject) => external_node_zlib_.gunzip(archive, options, (err, out) => err ? reject(zlibError(err, maxBytes, 'gzip')) : resolve(out)));
    if (!archive.subarray(0, 4).equals(ZSTD))
        throw new UnpackError('it is neither a gzip nor a zstd archive');
    if (nodeZstd && windowLogMax !== undefined)
        return new Promise((resolve, reject) => nodeZstd(archive, { ...options, params: { [windowLogMax]: ZSTD_WINDOW_LOG_MAX } }, (err, out) => (err ? reject(zlibError(err, maxBytes, 'zstd')) : resolve(out))));
    return zstdPipe(archive, maxBytes, signal);
}
function zlibError(err, maxBytes, what) {
    if (err.code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError)
        return tooLarge(maxBytes);
    return new UnpackError(`it is not a whole ${what} archive`);
}
/** `zstd -d` reading the archive from stdin, its stdout kept up to `maxBytes`. */
function zstdPipe(archive, maxBytes, signal) {
    return new Promise((resolve, reject) => {
        const child = (0,external_node_child_process_.spawn)('zstd', ['-d', '-c', '-q', `--memory=${2 ** (ZSTD_WINDOW_LOG_MAX - 20)}MB`], { stdio: ['pipe', 'pipe', 'ignore'] });
        const chunks = [];
        let size = 0;
        let failed;
        const stop = (err) => {
            failed ??= err;
            child.kill('SIGKILL');
        };
        const onAbort = () => stop(new UnpackError('cancelled'));
        if (signal.aborted)
            onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        child.stdout.on('data', (chunk) => {
            size += chunk.length;
            if (size > maxBytes)
                return stop(tooLarge(maxBytes));
            chunks.push(chunk);
        });
        // Not installed (then the library made gzip, unless the runner changed), or not runnable.
        child.on('error', err => {
            failed ??= new UnpackError(`zstd could not be run to read it (${err.message})`);
            reject(failed);
        });
        // A child that exits early closes its stdin: what is left to write is no longer wanted.
        child.stdin.on('error', () => undefined);
        child.on('close', code => {
            signal.removeEventListener('abort', onAbort);
            if (failed)
                return reject(failed);
            if (code !== 0)
                return reject(new UnpackError('it is not a whole zstd archive'));
            resolve(Buffer.concat(chunks));
        });
        child.stdin.end(archive);
    });
}

;// CONCATENATED MODULE: ./src/ledger/store.ts
/**
 * Where the retry ledger lives between workflow runs: the GitHub Actions cache (as GitHub's
 * actions/stale keeps its state; no `permissions:` needed). Loaded by dynamic import only when a
 * sweep or a run-id has a failure to decide, so it is its own chunk of dist/ and no other run pays
 * for it. Entries are immutable per key: each save is a new entry under a key unique to the
 * workflow run attempt, and a restore takes the newest by prefix.
 *
 * A cache entry is anyone's to write (every workflow of the repository can save under our key),
 * so a restore is hostile input: it is looked up and fetched by cache-client.ts, decompressed in
 * memory with a cap (unpack.ts), and its one file read out of the tar (tar.ts); nothing of it is
 * ever written to disk. The save writes only into a private folder made fresh for it
 * (private-folder.ts) and hands that to @actions/cache, in the rails of library-rails.ts.
 *
 * Nothing here can cost the step or a duplicate: a ledger that cannot be read, is out of shape or
 * too large, an entry refused, or a cache service that fails or hangs, is a warning, and the
 * decision goes on with copy-activity windows and timing (decide.ts).
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
 * The ledger's folder. The cache's version is derived from this path, so it must read the same on
 * every run: RUNNER_TEMP is the runner's own, the same on every GitHub-hosted runner.
 */
function ledgerDir(env = process.env) {
    return (0,external_node_path_.join)(env.RUNNER_TEMP || (0,external_node_os_.tmpdir)(), LEDGER_FOLDER);
}
/** What a restore downloads at most: a whole ledger compresses to far less. */
const MAX_ARCHIVE_BYTES = ledger/* LEDGER_MAX_BYTES */.BY + 1024 * 1024;
/** What it decompresses at most: the ledger, its folder and their tar headers. */
const MAX_TAR_BYTES = ledger/* LEDGER_MAX_BYTES */.BY + 64 * 1024;
/**
 * A key saveLedger could have made for this scope: the prefix, then word characters, dots and
 * hyphens. Checked before a matched key is used or shown: the service (or whoever answers in its
 * name) chose it.
 */
function isOurKey(key, scope) {
    const prefix = ledgerPrefix(scope);
    return key.length <= 512 && key.startsWith(prefix) && /^[\w.-]+$/.test(key.slice(prefix.length));
}
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
/**
 * The newest ledger saved for the scope, read without @actions/cache's restore: looked up,
 * downloaded into memory (capped), decompressed (capped) and its one regular file taken out of
 * the tar. Nothing is written anywhere; everything else an entry holds refuses it. On a time-out
 * every request and the zstd pipe are ended, so nothing is left pending.
 */
async function restoreLedger(scope, timeoutMs) {
    const started = Date.now();
    const ms = () => Date.now() - started;
    const config = cacheServiceConfig();
    if (!config)
        return { problem: 'no Actions cache service in this environment', ms: ms(), unavailable: true };
    if (!config.readable)
        return { problem: "this job's cache mode does not allow reading the cache", ms: ms() };
    const stop = new AbortController();
    try {
        const work = async () => {
            const prefix = ledgerPrefix(scope);
            const version = cacheVersion([ledgerDir()], await compressionMethod());
            const hit = await lookUp(config, [`${prefix}none`, prefix], version, stop.signal);
            if (!hit)
                return { entries: [], ms: ms() };
            if (!isOurKey(hit.key, scope))
                return {
                    problem: 'the cache service matched a key that is not one of this ledger',
                    ms: ms()
                };
            const entry = `entry ${hit.key}`;
            const archive = await download(hit.url, config.url, MAX_ARCHIVE_BYTES, stop.signal);
            const tar = await unpack(archive, MAX_TAR_BYTES, stop.signal).catch((err) => {
                throw new Error(`${entry} refused: ${(0,errors/* errorMessage */.gJ)(err)}`);
            });
            const file = ledgerFromTar(tar, ledger/* LEDGER_MAX_BYTES */.BY);
            if ('problem' in file)
                return { problem: `${entry} refused: ${file.problem}`, ms: ms() };
            const parsed = (0,ledger/* parseLedger */.h8)(file.data.toString('utf8'), scope.sandbox);
            if ('problem' in parsed)
                return { problem: `${entry}: ${parsed.problem}`, ms: ms() };
            return { entries: parsed.entries, key: hit.key, ms: ms() };
        };
        return await within(timeoutMs, 'Restoring the retry ledger', work());
    }
    catch (err) {
        // Ended, not abandoned: no request of ours outlives the abort.
        return { problem: (0,errors/* errorMessage */.gJ)(err), ms: ms() };
    }
    finally {
        stop.abort();
    }
}
/** Saves the ledger as a new entry; returns its key, or why it was not saved. */
async function saveLedger(scope, entries, timeoutMs, env = process.env) {
    const started = Date.now();
    const ms = () => Date.now() - started;
    if (!cache/* isFeatureAvailable */.w3())
        return { problem: 'no Actions cache service in this environment', ms: ms() };
    // Unique to the workflow run attempt, the job and the moment: a re-run or a second step saves
    // anew. Word characters, dots and hyphens only: the key is ours, safe in any log line.
    const attempt = [env.GITHUB_RUN_ID, env.GITHUB_RUN_ATTEMPT, env.GITHUB_JOB]
        .map(part => (part ?? '').replace(/[^\w.-]/g, '').slice(0, 64) || '0')
        .join('-');
    const key = `${ledgerPrefix(scope)}${attempt}-${Date.now()}`;
    const dir = ledgerDir(env);
    let abandoned = false;
    try {
        await writePrivate(dir, LEDGER_FILE, (0,ledger/* serialiseLedger */.dU)(entries, Date.now()));
        const services = [env.ACTIONS_RESULTS_URL ?? '', env.ACTIONS_CACHE_URL ?? ''];
        const saving = railed(services, env.ACTIONS_RUNTIME_TOKEN ?? '', () => cache/* saveCache */.Io([dir], key));
        const id = await within(timeoutMs, 'Saving the retry ledger', saving).catch((err) => {
            abandoned = err instanceof AbandonedError;
            throw err;
        });
        // The library reports its own failures as warnings and answers -1.
        if (id === -1)
            return { problem: 'the cache service did not take it', ms: ms() };
        return { key, ms: ms() };
    }
    catch (err) {
        return problem(err, ms());
    }
    finally {
        // A save given up on may still be reading it.
        if (!abandoned)
            await removePrivate(dir).catch(() => undefined);
    }
}


/***/ })

};
