/**
 * A small RabbitMQ management HTTP API client that builds requests the way rabbit-hole (the Go client inside
 * @pulumi/rabbitmq 3.3.8) does: `endpoint + "/api/" + path`, path segments escaped like Go's `url.PathEscape`,
 * basic auth on every call, `Content-Type: application/json` only on calls with a body.
 */

/** Go `url.PathEscape`: everything except `A-Za-z0-9 - _ . ~ $ & + : = @` is %-encoded (UTF-8 bytes, upper hex). */
export function pathEscape(segment: string): string {
    let out = "";
    for (const byte of Buffer.from(segment, "utf8")) {
        const c = String.fromCharCode(byte);
        if (/[A-Za-z0-9\-_.~$&+:=@]/.test(c)) {
            out += c;
        } else {
            out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
        }
    }
    return out;
}

/** Joins already-unescaped path segments, escaping each with {@link pathEscape}. */
export function apiPath(...segments: string[]): string {
    return segments.map(pathEscape).join("/");
}

export interface ApiResponse {
    status: number;
    /** Parsed JSON when the body is JSON, the raw text otherwise ("" for no body). */
    body: unknown;
    location: string | null;
}

export interface RecordedCall {
    method: string;
    /** The path after `/api/`, exactly as sent (escaped). */
    path: string;
    body?: unknown;
    status: number;
}

export class ManagementError extends Error {
    constructor(
        readonly method: string,
        readonly path: string,
        readonly status: number,
        readonly responseBody: unknown,
    ) {
        super(`${method} /api/${path}: ${ManagementError.describe(status, responseBody)}`);
    }

    /** The message rabbit-hole would give: `Error <status> (<error>): <reason>`. */
    static describe(status: number, body: unknown): string {
        if (status === 401) {
            return "Error: API responded with a 401 Unauthorized";
        }
        if (body && typeof body === "object") {
            const b = body as { error?: unknown; reason?: unknown };
            return `Error ${status} (${String(b.error ?? "")}): ${String(b.reason ?? "")}`;
        }
        return `Error ${status} (Error ${status} from RabbitMQ: ${String(body) || "EOF"})`;
    }
}

export class ManagementClient {
    /** Every call made, in order (for tests that assert the exact provider calls). */
    readonly calls: RecordedCall[] = [];
    private readonly authHeader: string;

    constructor(
        readonly endpoint: string,
        readonly username: string,
        password: string,
        private readonly timeoutMs = 30000,
    ) {
        this.authHeader = "Basic " + Buffer.from(`${username}:${password}`).toString("base64");
    }

    /** Sends one request; never throws for HTTP statuses (see {@link ok} and {@link getOrNull}). */
    async request(method: string, path: string, body?: unknown): Promise<ApiResponse> {
        const headers: Record<string, string> = { Authorization: this.authHeader };
        let payload: string | undefined;
        if (method !== "GET") {
            headers["Content-Type"] = "application/json";
            payload = body === undefined ? "" : JSON.stringify(body);
        }
        const send = (): Promise<Response> =>
            fetch(this.endpoint + "/api/" + path, {
                method,
                headers,
                body: payload,
                signal: AbortSignal.timeout(this.timeoutMs),
            });
        let res: Response;
        try {
            res = await send();
        } catch (e) {
            // rabbit-hole closes each connection (req.Close); fetch keeps them alive and the broker may close an
            // idle one just as it is reused ("other side closed"). Every call made here is idempotent: retry once.
            if (!/other side closed|ECONNRESET|socket hang up/.test(String((e as Error).cause ?? e))) {
                throw e;
            }
            res = await send();
        }
        const text = await res.text();
        let parsed: unknown = text;
        if (text !== "") {
            try {
                parsed = JSON.parse(text);
            } catch {
                parsed = text;
            }
        }
        this.calls.push({ method, path, body, status: res.status });
        return { status: res.status, body: parsed, location: res.headers.get("location") };
    }

    /** Like {@link request} but throws {@link ManagementError} for any status >= 400 (a DELETE's 404 is success). */
    async ok(method: string, path: string, body?: unknown): Promise<ApiResponse> {
        const res = await this.request(method, path, body);
        if (res.status >= 400 && !(method === "DELETE" && res.status === 404)) {
            throw new ManagementError(method, path, res.status, res.body);
        }
        return res;
    }

    /** GET that returns undefined on 404 and throws on other errors. */
    async getOrNull<T>(path: string): Promise<T | undefined> {
        const res = await this.request("GET", path);
        if (res.status === 404) {
            return undefined;
        }
        if (res.status >= 400) {
            throw new ManagementError("GET", path, res.status, res.body);
        }
        return res.body as T;
    }

    async get<T>(path: string): Promise<T> {
        return (await this.ok("GET", path)).body as T;
    }
}
