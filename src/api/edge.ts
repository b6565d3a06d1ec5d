import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { RequestHandler } from 'express';
import type { AccessTokens } from '../access/AccessTokens';

/**
 * Open mode has no tokens, so a web page the user visits could drive their local server (CSRF over
 * fetch or WebSocket, and DNS rebinding: an attacker's host name re-pointed at 127.0.0.1). A request
 * is accepted only when its Host is an IP address, `localhost`, or a host of ALLOWED_ORIGINS, and
 * when it has no Origin (not a browser) or comes from the server's own origin or ALLOWED_ORIGINS.
 */
export class OriginPolicy {
  readonly #origins: Set<string>;
  readonly #hosts: Set<string>;
  /** Host headers already judged (parsing one as a URL costs more than the rest of the check). */
  readonly #checkedHosts = new Map<string, boolean>();

  constructor(
    allowedOrigins: readonly string[],
    /** Cluster: the other nodes' origins (a page moved by a drain talks to them). */
    private readonly nodeOrigins: () => readonly string[] = () => [],
  ) {
    this.#origins = new Set(allowedOrigins);
    this.#hosts = new Set(allowedOrigins.map((origin) => new URL(origin).hostname.toLowerCase()));
  }

  /** Why the request is refused, or null when it is accepted. */
  refusal(headers: IncomingHttpHeaders): string | null {
    const host = headers.host;
    if (!host || !this.#hostAllowed(host)) {
      return 'Open mode accepts requests addressed to this server by IP address, localhost or an ALLOWED_ORIGINS host only.';
    }
    const origin = headers.origin;
    if (origin === undefined) return null;
    if (this.#origins.has(origin) || this.nodeOrigins().includes(origin)) return null;
    if (origin === `http://${host}` || origin === `https://${host}`) return null;
    return 'Open mode accepts browser requests from its own page only (set ALLOWED_ORIGINS to add origins).';
  }

  #hostAllowed(host: string): boolean {
    let allowed = this.#checkedHosts.get(host);
    if (allowed === undefined) {
      allowed = this.#checkHost(host);
      // Bounded: Host is the client's to choose.
      if (this.#checkedHosts.size < 100) this.#checkedHosts.set(host, allowed);
    }
    return allowed;
  }

  #checkHost(host: string): boolean {
    let name: string;
    try {
      name = new URL(`http://${host}`).hostname.toLowerCase();
    } catch {
      return false;
    }
    const bare = name.startsWith('[') ? name.slice(1, -1) : name;
    return isIP(bare) !== 0 || bare === 'localhost' || this.#hosts.has(bare);
  }

  middleware(): RequestHandler {
    return (req, res, next) => {
      const refusal = this.refusal(req.headers);
      if (!refusal) return next();
      res.status(403).json({ errors: [{ message: refusal, extensions: { code: 'FORBIDDEN_ORIGIN' } }] });
    };
  }
}

/**
 * Cluster: a page served by one node may be moved to another by a drain, and then calls that node's
 * API from its own origin. Only the cluster's node origins get CORS answers (preflight included).
 */
export function nodeCors(nodeOrigins: () => readonly string[]): RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (!origin || !nodeOrigins().includes(origin)) return next();
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Allow-Headers', 'content-type, authorization');
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
    res.setHeader('Access-Control-Max-Age', '600');
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  };
}

const SAFE_HOST = /^[A-Za-z0-9.:[\]-]{1,255}$/;

/**
 * Headers of every response: no framing (clickjacking), no MIME sniffing, no referrer (an
 * invitation link carries a join token), and a content security policy allowing only the server's
 * own scripts, styles and sockets.
 */
export function securityHeaders(nodeOrigins: () => readonly string[] = () => []): RequestHandler {
  return (req, res, next) => {
    setSecurityHeaders(req.headers, res, nodeOrigins());
    next();
  };
}

/** The policy per Host header (a server is reached under a few names): built once each. */
const policies = new Map<string, string>();

/** `securityHeaders` for a response written without express (the GraphQL POST path). */
export function setSecurityHeaders(
  headers: IncomingHttpHeaders,
  res: ServerResponse,
  /** Cluster: the other nodes' origins (a drain moves a page's call to another node's API). */
  nodeOrigins: readonly string[] = [],
): void {
  const host = headers.host && SAFE_HOST.test(headers.host) ? headers.host : '';
  const key = nodeOrigins.length ? `${host} ${nodeOrigins.join(' ')}` : host;
  let policy = policies.get(key);
  if (policy === undefined) {
    policy = contentSecurityPolicy(host, nodeOrigins);
    if (policies.size < 100) policies.set(key, policy);
  }
  res.setHeader('Content-Security-Policy', policy);
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
}

export function contentSecurityPolicy(host: string, nodeOrigins: readonly string[]): string {
  // A page follows its call to whichever node a drain hands the room to, and its policy is fixed
  // when it loads: a node that joins the cluster later (a rolling restart starts the new node,
  // then drains the old one) must be reachable too. So each known node's host, and the page's
  // own, is allowed on any port; nodes started later on those hosts are covered. Before, only the
  // origins listed at load time were, and a page loaded in the second before its node saw the
  // next one could not follow the drain.
  const hosts = new Map<string, string>();
  for (const origin of nodeOrigins) {
    const url = new URL(origin);
    if (SAFE_HOST.test(url.host)) hosts.set(url.hostname, url.protocol === 'https:' ? 's' : '');
  }
  const ownName = host.replace(/:\d+$/, '');
  if (hosts.size && ownName && !hosts.has(ownName)) hosts.set(ownName, '');
  const nodes = [...hosts]
    .map(([name, secure]) => ` http${secure}://${name}:* ws${secure}://${name}:*`)
    .join('');
  const sockets = (host ? ` ws://${host} wss://${host}` : '') + nodes;
  return [
    "default-src 'self'",
    "script-src 'self'",
    // The page and the explorer set styles from script (CSSOM and a few style attributes).
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob: mediastream:",
    "font-src 'self' data:",
    "worker-src 'self' blob:",
    `connect-src 'self'${sockets}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Constant-time comparison of a presented bearer token with the configured one. */
export function sameToken(presented: string | undefined, expected: string | undefined): boolean {
  if (!presented || !expected) return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

/** Secured mode: /metrics for METRICS_TOKEN or an admin token; open mode (no tokens): anyone (local use). */
export function mayReadMetrics(
  token: string | undefined,
  tokens: AccessTokens | undefined,
  metricsToken: string | undefined,
): boolean {
  if (!tokens) return true;
  if (sameToken(token, metricsToken)) return true;
  if (!token) return false;
  try {
    return tokens.verify(token).kind === 'admin';
  } catch {
    return false;
  }
}
