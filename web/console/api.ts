import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

/** An application/problem+json answer (RFC 9457) as the service sends it: the code is what pages branch on. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly type: string,
    readonly detail: string | undefined,
    readonly fields: readonly string[] = [],
  ) {
    super(`${status} ${code}`);
  }
}

/** Who is signed in, as the token says (for what pages offer; the service decides what is allowed). */
export interface Principal {
  readonly sub: string;
  readonly agency: string;
  readonly roles: readonly string[];
}

export interface Api {
  readonly token: string;
  readonly principal: Principal;
  get<T>(path: string, query?: Readonly<Record<string, string | number | undefined>>): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  delete<T>(path: string): Promise<T>;
  /** A binary answer (a package, a PDF), fetched with the token in its header, never in a URL. */
  blob(path: string): Promise<Blob>;
}

export const ApiContext = createContext<Api | null>(null);

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside a signed-in page');
  return api;
}

/** `path?query` with undefined values left out. */
export function withQuery(
  path: string,
  query?: Readonly<Record<string, string | number | undefined>>,
): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** A refusal's body (problem+json text) as an ApiProblem; anything else still gives its status. */
export function problemFromText(status: number, text: string): ApiProblem {
  try {
    const body = JSON.parse(text) as {
      code?: string;
      type?: string;
      detail?: string;
      errors?: { pointer?: string }[];
    };
    return new ApiProblem(
      status,
      body.code ?? 'UNKNOWN',
      body.type ?? 'about:blank',
      body.detail,
      (body.errors ?? []).map((error) => error.pointer ?? '').filter(Boolean),
    );
  } catch {
    return new ApiProblem(status, 'UNKNOWN', 'about:blank', undefined);
  }
}

/**
 * The console's client of the service's own API: the same routes, the same
 * bearer token, hence the same scope, permissions and audit as any other
 * caller. Every write carries an Idempotency-Key, so a retried click is one
 * write. A 401 ends the session (the token expired or was revoked).
 */
export function createApi(token: string, principal: Principal, onUnauthorized: () => void): Api {
  const send = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (method !== 'GET') headers['idempotency-key'] = crypto.randomUUID();
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
    if (response.status === 401) onUnauthorized();
    if (!response.ok) throw problemFromText(response.status, await response.text());
    return response;
  };
  return {
    token,
    principal,
    get: async (path, query) => (await send('GET', withQuery(path, query))).json(),
    post: async (path, body) => (await send('POST', path, body ?? {})).json(),
    delete: async (path) => (await send('DELETE', path)).json(),
    blob: async (path) => (await send('GET', path)).blob(),
  };
}
