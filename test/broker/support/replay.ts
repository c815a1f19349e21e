/**
 * Replays a plan's rabbitmq resources against a broker with the exact HTTP calls @pulumi/rabbitmq 3.3.8 makes
 * (lib/verify/model.ts builds them), in the plan's dependency order. Test code: not a provider for users.
 */
import { ManagementClient, ManagementError, apiPath } from "../../../lib/management/client";
import { Decl, Model, ProviderCall, ofKind, providerCalls } from "../../../lib/verify/model";

export interface CallResult extends ProviderCall {
    status: number;
    error?: string;
}

export interface ReplayResult {
    decl: Decl;
    calls: CallResult[];
    ok: boolean;
}

/** Applies every declaration; keeps going after a failure so a report lists every rejected resource. */
export async function replay(
    client: ManagementClient,
    model: Model,
    only?: (d: Decl) => boolean,
): Promise<ReplayResult[]> {
    const results: ReplayResult[] = [];
    for (const decl of model.decls) {
        if (only && !only(decl)) {
            continue;
        }
        const calls: CallResult[] = [];
        for (const call of providerCalls(decl)) {
            const res = await client.request(call.method, call.path, call.body);
            const failed = res.status >= 400 && !(call.method === "DELETE" && res.status === 404);
            calls.push({
                ...call,
                status: res.status,
                error: failed ? ManagementError.describe(res.status, res.body) : undefined,
            });
            if (failed) {
                break;
            }
        }
        results.push({ decl, calls, ok: calls.every((c) => !c.error) });
    }
    return results;
}

export function failures(results: ReplayResult[]): string[] {
    return results
        .filter((r) => !r.ok)
        .map((r) => {
            const c = r.calls.find((x) => x.error) as CallResult;
            const body = "password" in c.body ? { ...c.body, password: "[secret]" } : c.body;
            return `${r.decl.label}: ${c.method} /api/${c.path} ${JSON.stringify(body)} -> ${c.error}`;
        });
}

/** Replays and throws with every rejected resource listed. */
export async function replayOrThrow(client: ManagementClient, model: Model): Promise<ReplayResult[]> {
    const results = await replay(client, model);
    const bad = failures(results);
    if (bad.length > 0) {
        throw new Error(`replay rejected by the broker:\n  ${bad.join("\n  ")}`);
    }
    return results;
}

/** Deletes the plan's vhosts (with everything in them) and users, so a replay starts from nothing. */
export async function resetBroker(client: ManagementClient, model: Model): Promise<void> {
    for (const v of ofKind(model, "vhost")) {
        await client.ok("DELETE", "vhosts/" + apiPath(v.name));
    }
    for (const u of ofKind(model, "user")) {
        await client.ok("DELETE", "users/" + apiPath(u.name));
    }
}

/**
 * Gives the broker's admin user full permissions on the plan's vhosts, so tests can inspect queues over AMQP.
 * (The provider's own admin creates the vhosts; on RabbitMQ that does not grant it permissions there.)
 */
export async function grantAdmin(client: ManagementClient, model: Model): Promise<void> {
    for (const v of ofKind(model, "vhost")) {
        await client.ok("PUT", "permissions/" + apiPath(v.name, client.username), {
            configure: ".*",
            write: ".*",
            read: ".*",
        });
    }
}
