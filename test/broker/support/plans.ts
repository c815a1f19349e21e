/**
 * The plans the suite replays: the real `plan --json --show-secrets` output of each stack, rendered by the
 * compiled plan tool (bin/tools/plan.js). BROKER_TEST_PLAN_DIR=<dir> uses <dir>/<stack>.plan.json instead
 * (for example a deliberately broken copy of a plan, to watch the tests fail).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Plan, loadPlanFile, planToolPath, renderPlan } from "../../../lib/verify/plan";
import { Model, buildModel } from "../../../lib/verify/model";
import { readYamlFile, toYaml } from "../../../lib/yaml";
import { repoRoot } from "./brokers";

export const STACKS = ["dev", "prod"] as const;
export type Stack = (typeof STACKS)[number];

const cache = new Map<string, Plan>();

export function stackPlan(stack: string, configFile?: string): Plan {
    const key = `${stack}|${configFile ?? ""}`;
    let plan = cache.get(key);
    if (!plan) {
        const dir = process.env.BROKER_TEST_PLAN_DIR;
        if (dir && !configFile) {
            plan = loadPlanFile(path.resolve(repoRoot, dir, `${stack}.plan.json`));
        } else {
            if (!fs.existsSync(planToolPath())) {
                throw new Error(
                    `no plan tool at ${planToolPath()} (run npm run build), and BROKER_TEST_PLAN_DIR is unset`,
                );
            }
            plan = renderPlan({ stack, configFile, showSecrets: true, cwd: repoRoot });
        }
        cache.set(key, plan);
    }
    return plan;
}

export function stackModel(stack: string, configFile?: string): Model {
    const model = buildModel(stackPlan(stack, configFile));
    if (model.problems.length > 0) {
        throw new Error(`plan of stack ${stack} cannot be replayed:\n  ${model.problems.join("\n  ")}`);
    }
    return model;
}

export interface AppSecret {
    urn: string;
    namespace: string;
    name: string;
    data: Record<string, string>;
}

/** The app credential Secrets (kubernetes Secrets whose stringData has an AMQP_URL). */
export function appSecrets(plan: Plan): AppSecret[] {
    return plan.resources
        .filter((r) => r.type === "kubernetes:core/v1:Secret")
        .map((r) => {
            const meta = (r.inputs.metadata ?? {}) as { name?: string; namespace?: string };
            return {
                urn: r.urn,
                namespace: String(meta.namespace ?? ""),
                name: String(meta.name ?? r.name),
                data: (r.inputs.stringData ?? {}) as Record<string, string>,
            };
        })
        .filter((s) => typeof s.data.AMQP_URL === "string");
}

export function secretOf(plan: Plan, username: string): AppSecret {
    const s = appSecrets(plan).find((x) => x.data.username === username);
    if (!s) {
        throw new Error(`stack ${plan.stack}: no app Secret with username '${username}'`);
    }
    return s;
}

/**
 * The stack as rendered for a broker's major version. The stacks target RabbitMQ 4 (their image); for a 3.x broker
 * the stack's config file gets `image: rabbitmq:<version>-management`, which is how a 3.x deployment says so
 * (settings that exist only in 4.x, such as an unlimited delivery limit, are then left out by the program).
 */
export function variantConfigFile(stack: string, brokerVersion: string): string | undefined {
    const major = Number(brokerVersion.split(".")[0]);
    if (!(major < 4)) {
        return undefined;
    }
    const dir = path.join(os.tmpdir(), "rabbitmq-platform-broker-tests");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `Pulumi.${stack}.rabbitmq${brokerVersion}.yaml`);
    const doc = (readYamlFile(path.join(repoRoot, `Pulumi.${stack}.yaml`)) ?? {}) as {
        config?: Record<string, unknown>;
    };
    doc.config = { ...(doc.config ?? {}), "rabbitmq-platform:image": `rabbitmq:${brokerVersion}-management` };
    fs.writeFileSync(file, toYaml(doc));
    return file;
}

export function planFor(stack: string, brokerVersion: string): Plan {
    return stackPlan(stack, variantConfigFile(stack, brokerVersion));
}

export function modelFor(stack: string, brokerVersion: string): Model {
    return stackModel(stack, variantConfigFile(stack, brokerVersion));
}
