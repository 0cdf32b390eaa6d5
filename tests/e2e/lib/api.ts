// The REST API with the bootstrap admin token: how the tests seed and how they check what
// the server stored.
export interface ApiAnswer<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export class Api {
  constructor(
    readonly baseURL: string,
    private readonly token: string,
  ) {}

  async call<T = any>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(this.baseURL + path, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: any = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    return { status: res.status, body: parsed as T, text, headers: res.headers };
  }

  /** The call, which must answer `expected` (a failure names the route and the answer). */
  async must<T = any>(method: string, path: string, body?: unknown, expected?: number): Promise<T> {
    const a = await this.call<T>(method, path, body);
    const ok = expected !== undefined ? a.status === expected : a.status >= 200 && a.status < 300;
    if (!ok) throw new Error(`${method} ${path} → ${a.status} ${a.text}`);
    return a.body;
  }

  get<T = any>(path: string) {
    return this.must<T>('GET', path);
  }
  post<T = any>(path: string, body: unknown) {
    return this.must<T>('POST', path, body);
  }
  patch<T = any>(path: string, body: unknown) {
    return this.must<T>('PATCH', path, body);
  }
  put<T = any>(path: string, body?: unknown) {
    return this.must<T>('PUT', path, body);
  }

  /** Every item of a list route (follows next_cursor). */
  async all<T = any>(path: string): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | null = null;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const page: { items: T[]; next_cursor: string | null } = await this.get(
        cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path,
      );
      out.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return out;
  }

  async userByEmail(email: string): Promise<any> {
    const users = await this.all(`/api/v1/users?q=${encodeURIComponent(email)}`);
    const u = users.find((x) => x.email.toLowerCase() === email.toLowerCase());
    if (!u) throw new Error(`no user ${email}`);
    return u;
  }

  async groupByName(name: string): Promise<any | undefined> {
    const groups = await this.all(`/api/v1/groups?q=${encodeURIComponent(name)}`);
    return groups.find((g) => g.name === name);
  }
}
