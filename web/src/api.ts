// The workspace's one door to tipgraph: GraphQL over POST /graphql on this host, with the
// bearer token held in this module's memory only (never in storage, a cookie or the URL).

export interface GqlError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; scope?: string; field?: string };
}

export interface Answer<T> {
  data: T | null;
  errors: GqlError[];
}

export interface Claims {
  sub: string;
  role: string;
  scope: string[];
  agencyId?: string;
}

let token: string | null = null;
let claims: Claims | null = null;

/** Read what the token says of its holder (to shape the screens; the server decides). */
export function signIn(raw: string): Claims {
  const parts = raw.trim().split(".");
  if (parts.length !== 3) throw new Error("That is not a token (a JWT has three parts).");
  let payload: Record<string, unknown>;
  try {
    const text = atob(parts[1].replace(/-/g, "+").replace(/_/g, "/"));
    payload = JSON.parse(new TextDecoder().decode(Uint8Array.from(text, (c) => c.charCodeAt(0))));
  } catch {
    throw new Error("That token cannot be read.");
  }
  token = raw.trim();
  claims = {
    sub: String(payload.sub ?? ""),
    role: String(payload.role ?? ""),
    scope: String(payload.scope ?? "").split(" ").filter(Boolean),
    agencyId: payload.agency_id ? String(payload.agency_id) : undefined,
  };
  return claims;
}

export function signOut(): void {
  token = null;
  claims = null;
}

export function who(): Claims | null {
  return claims;
}

export function can(scope: string): boolean {
  return claims?.scope.includes(scope) ?? false;
}

export class ApiError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
  }
}

/** Ask tipgraph. Withheld fields come back as errors beside partial data (see `withheld`);
 *  an answer with no data at all throws, with the server's code. */
export async function gql<T>(query: string, variables: Record<string, unknown> = {}):
    Promise<Answer<T>> {
  let response: Response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError("tipgraph cannot be reached.", "NETWORK");
  }
  let body: { data?: T | null; errors?: GqlError[] };
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`tipgraph answered ${response.status} without a body.`, "HTTP");
  }
  const errors = body.errors ?? [];
  if (body.data === undefined || body.data === null) {
    const first = errors[0];
    throw new ApiError(first ? first.message : `tipgraph answered ${response.status}.`,
                       first?.extensions?.code ?? "HTTP");
  }
  return { data: body.data, errors };
}

/** Why each withheld field is withheld, by its path ("report.files", "report.victims.0.age"):
 *  "needs scope X" when a scope would show it, otherwise the server's reason. */
export function withheld(errors: GqlError[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const error of errors) {
    if (error.path && error.extensions?.code === "FORBIDDEN") {
      found.set(error.path.join("."), error.extensions.scope
        ? `needs scope ${error.extensions.scope}` : error.message);
    }
  }
  return found;
}

/** A fresh idempotency key: a retried click never does a thing twice. */
export function key(): string {
  return crypto.randomUUID();
}
