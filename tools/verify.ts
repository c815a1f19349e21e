/**
 * `npm run verify -- --mgmt-url URL --username USER --password-env VAR (--stack S [--config-file F] | --plan FILE)
 *                    [--smoke [--smoke-vhost V]] [--json]`
 *
 * Checks a deployed broker against what a stack declares, read-only: every vhost, user (tags), permission, topic
 * permission, exchange, queue (type, arguments, quorum members online vs group size, effective policy), binding
 * and policy; plus bindings and grants on the broker that widen what was declared. Prints each difference.
 * `--smoke` also sends one message through a dedicated, temporary quorum queue (created and deleted by verify).
 *
 * Exit codes: 0 everything as declared; 1 drift found, or the broker could not be checked (unreachable, 401);
 * 2 usage error (flags, missing password variable, plan that cannot be rendered or read).
 */
import { randomBytes } from "crypto";
import { parseArgs } from "util";
import { ManagementClient, ManagementError, apiPath } from "../lib/management/client";
import { buildModel } from "../lib/verify/model";
import { Plan, loadPlanFile, renderPlan } from "../lib/verify/plan";
import { verifyBroker } from "../lib/verify/verify";

const USAGE =
    "usage: npm run verify -- --mgmt-url <http(s)://host:port> --username <admin> --password-env <VAR> " +
    "(--stack <name> [--config-file <Pulumi.x.yaml>] | --plan <plan.json>) [--smoke [--smoke-vhost <vhost>]] [--json]";

class UsageError extends Error {}

interface Options {
    mgmtUrl: string;
    username: string;
    password: string;
    plan: () => Plan;
    smoke: boolean;
    smokeVhost: string;
    json: boolean;
}

function parse(argv: string[], env: NodeJS.ProcessEnv): Options {
    let values;
    try {
        ({ values } = parseArgs({
            args: argv,
            options: {
                "mgmt-url": { type: "string" },
                username: { type: "string" },
                "password-env": { type: "string" },
                stack: { type: "string" },
                "config-file": { type: "string" },
                plan: { type: "string" },
                smoke: { type: "boolean", default: false },
                "smoke-vhost": { type: "string", default: "/" },
                json: { type: "boolean", default: false },
            },
            strict: true,
            allowPositionals: false,
        }));
    } catch (e) {
        throw new UsageError((e as Error).message);
    }
    const need = (k: "mgmt-url" | "username" | "password-env"): string => {
        const v = values[k];
        if (!v) {
            throw new UsageError(`--${k} is required`);
        }
        return v;
    };
    const mgmtUrl = need("mgmt-url");
    let url: URL;
    try {
        url = new URL(mgmtUrl);
    } catch {
        throw new UsageError(`--mgmt-url ${mgmtUrl} is not a URL`);
    }
    if (!/^https?:$/.test(url.protocol) || (url.pathname !== "/" && url.pathname !== "")) {
        throw new UsageError(`--mgmt-url must be http(s)://host:port with no path (got ${mgmtUrl})`);
    }
    const passwordEnv = need("password-env");
    const password = env[passwordEnv];
    if (password === undefined || password === "") {
        throw new UsageError(`--password-env ${passwordEnv}: that environment variable is not set`);
    }
    const { stack, plan, "config-file": configFile } = values;
    if (!!stack === !!plan) {
        throw new UsageError("give exactly one of --stack or --plan");
    }
    if (configFile && !stack) {
        throw new UsageError("--config-file goes with --stack");
    }
    return {
        mgmtUrl: mgmtUrl.replace(/\/+$/, ""),
        username: need("username"),
        password,
        plan: () => (plan ? loadPlanFile(plan) : renderPlan({ stack: stack as string, configFile })),
        smoke: values.smoke === true,
        smokeVhost: values["smoke-vhost"] ?? "/",
        json: values.json === true,
    };
}

/** One message through a dedicated quorum queue that verify creates and always deletes. */
async function smoke(client: ManagementClient, vhost: string): Promise<string | undefined> {
    const queue = `rabbitmq-platform-verify-smoke-${randomBytes(4).toString("hex")}`;
    const qpath = "queues/" + apiPath(vhost, queue);
    const payload = `verify smoke ${new Date().toISOString()} ${randomBytes(8).toString("hex")}`;
    const started = Date.now();
    try {
        await client.ok("PUT", qpath, {
            durable: true,
            auto_delete: false,
            arguments: { "x-queue-type": "quorum", "x-expires": 600000 },
        });
        const pub = await client.ok("POST", `exchanges/${apiPath(vhost, "amq.default")}/publish`, {
            properties: { delivery_mode: 2, message_id: queue },
            routing_key: queue,
            payload,
            payload_encoding: "string",
        });
        if ((pub.body as { routed?: boolean }).routed !== true) {
            return `smoke: the message to ${queue} was not routed`;
        }
        let got: { payload?: string }[] = [];
        for (let i = 0; i < 40 && got.length === 0; i++) {
            got = (
                await client.ok("POST", `${qpath}/get`, {
                    count: 1,
                    ackmode: "ack_requeue_false",
                    encoding: "auto",
                })
            ).body as { payload?: string }[];
            if (got.length === 0) {
                await new Promise((r) => setTimeout(r, 250));
            }
        }
        if (got.length !== 1 || got[0].payload !== payload) {
            return `smoke: expected the message back from ${queue}, got ${JSON.stringify(got).slice(0, 200)}`;
        }
        console.log(
            `smoke: one message through quorum queue ${queue} in vhost '${vhost}' and back in ${Date.now() - started} ms`,
        );
        return undefined;
    } catch (e) {
        return `smoke: ${(e as Error).message}`;
    } finally {
        await client.request("DELETE", qpath).catch(() => undefined);
    }
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
    let opts: Options;
    let plan: Plan;
    try {
        opts = parse(argv, env);
    } catch (e) {
        console.error(`verify: ${(e as Error).message}\n${USAGE}`);
        return 2;
    }
    try {
        plan = opts.plan();
    } catch (e) {
        // The flags were fine: the plan could not be read or rendered, and its message says why (no usage here).
        console.error(`verify: ${(e as Error).message}`);
        return 2;
    }
    let model;
    try {
        model = buildModel(plan);
    } catch (e) {
        console.error(`verify: the plan of stack ${plan.stack} cannot be checked: ${(e as Error).message}`);
        return 2;
    }
    if (model.problems.length > 0) {
        console.error(
            `verify: the plan of stack ${plan.stack} cannot be checked:\n  ${model.problems.join("\n  ")}`,
        );
        return 2;
    }
    const client = new ManagementClient(opts.mgmtUrl, opts.username, opts.password);
    try {
        const who = await client.request("GET", "whoami");
        if (who.status !== 200) {
            console.error(
                `verify: ${opts.mgmtUrl} as ${opts.username}: ${ManagementError.describe(who.status, who.body)}`,
            );
            return 1;
        }
        const report = await verifyBroker(client, model);
        const problems = report.drift.map((d) => `${d.what}: ${d.problem}`);
        if (opts.smoke) {
            const s = await smoke(client, opts.smokeVhost);
            if (s) {
                problems.push(s);
            }
        }
        if (opts.json) {
            console.log(
                JSON.stringify(
                    {
                        stack: plan.stack,
                        checked: report.checked,
                        drift: report.drift,
                        notes: report.notes,
                        problems,
                    },
                    null,
                    2,
                ),
            );
        } else {
            console.log(
                `verify: stack ${plan.stack}, ${report.checked} declared RabbitMQ objects, against ${opts.mgmtUrl}`,
            );
            report.notes.forEach((n) => console.log(`note: ${n}`));
            problems.forEach((p) => console.log(`DRIFT ${p}`));
            console.log(
                problems.length === 0
                    ? "verify: everything as declared"
                    : `verify: ${problems.length} difference(s)`,
            );
        }
        return problems.length === 0 ? 0 : 1;
    } catch (e) {
        console.error(`verify: could not check ${opts.mgmtUrl}: ${(e as Error).message}`);
        return 1;
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e) => {
            console.error(e);
            process.exit(1);
        },
    );
}
