/**
 * One table of invalid stack configs and topology files, each with the one problem line the program must print
 * for it: run through every command a user runs (test/integration/invalidInput.spec.ts) and through the real
 * `pulumi preview` (test/deploy/errors.spec.ts).
 */
import * as fs from "fs";
import * as path from "path";
import { shippedStackConfig, stackFile } from "./support";

const P = "rabbitmq-platform";

/** A topology small enough to read in a case: one vhost, one route, one app. */
function topology(edit: (vhost: Record<string, unknown>) => void = () => undefined): object {
    const vhost: Record<string, unknown> = {
        name: "/app",
        exchanges: [
            { name: "orders", type: "direct" },
            { name: "dlx", type: "direct" },
        ],
        queues: [
            { name: "orders", deadLetter: { exchange: "dlx", routingKey: "orders" } },
            { name: "orders.dead" },
        ],
        bindings: [
            { exchange: "orders", queue: "orders", routingKey: "orders" },
            { exchange: "dlx", queue: "orders.dead", routingKey: "orders" },
        ],
        users: [
            {
                name: "app",
                secret: { namespace: "app", name: "app-rabbitmq" },
                publishes: [{ exchange: "orders" }],
                consumes: ["orders"],
            },
        ],
    };
    edit(vhost);
    return { vhosts: [vhost] };
}

type Vhost = Record<string, Record<string, unknown>[]>;

export interface Case {
    title: string;
    /** Config keys over the shipped dev stack's (without the project prefix). */
    config?: Record<string, unknown>;
    /** The topology file's text (the stack names it), for topology cases. */
    topology?: string;
    /** The one problem line: `<key or path>: <rule> (got <value>). Fix: <change>`; TOPOLOGY is the file's path. */
    problem: string;
    /**
     * What `pulumi` itself prints instead, where its check of Pulumi.yaml's typed config refuses the value before
     * the program runs (STACK is the stack's name).
     */
    cli?: string;
}

const TOPOLOGY = "<topology>";

export const CASES: Case[] = [
    {
        title: "a namespace that is not a DNS-1123 label",
        config: { namespace: "Rabbit_MQ" },
        problem: `${P}:namespace: must be a Kubernetes DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit (got "Rabbit_MQ"). Fix: pulumi config set ${P}:namespace rabbitmq`,
    },
    {
        title: "an even replica count",
        config: { replicas: 4 },
        problem: `${P}:replicas: must be odd: an even cluster tolerates no more node failures than the next smaller odd one, and a 50/50 partition stops both halves (got 4). Fix: pulumi config set ${P}:replicas 3`,
    },
    {
        title: "a misspelt key",
        config: { replcas: 3 },
        problem: `${P}:replcas: is not a setting of ${P}; did you mean ${P}:replicas? Fix: remove it (pulumi config rm ${P}:replcas) or rename it to ${P}:replicas`,
    },
    {
        title: "a choice in the wrong case",
        config: { managementService: "Nodeport" },
        problem: `${P}:managementService: must be "none", "LoadBalancer" or "NodePort" (got "Nodeport"). Fix: pulumi config set ${P}:managementService NodePort`,
    },
    {
        title: "a flag that is not a boolean",
        config: { protect: "yes" },
        problem: `${P}:protect: must be true or false (got "yes"). Fix: pulumi config set ${P}:protect true`,
        cli: "error: validating stack config: Stack 'STACK' with configuration key 'protect' must be of type 'boolean'",
    },
    {
        title: "a watermark out of range",
        config: { memoryHighWatermark: "0.95" },
        problem: `${P}:memoryHighWatermark: must be between 0.4 and 0.9 (got "0.95"). Fix: pulumi config set ${P}:memoryHighWatermark 0.6`,
    },
    {
        title: "one bad entry of a list",
        config: { operatorScopeNamespaces: ["rabbitmq", "Apps"] },
        problem: `${P}:operatorScopeNamespaces[1]: must be a Kubernetes DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit (got "Apps"). Fix: pulumi config set ${P}:operatorScopeNamespaces '["rabbitmq"]'`,
    },
    {
        title: "an open management API",
        config: { managementSourceRanges: ["10.0.0.0/8", "0.0.0.0/0"] },
        problem: `${P}:managementSourceRanges: must not contain 0.0.0.0/0: the management API holds admin credentials (got ["10.0.0.0/8","0.0.0.0/0"]). Fix: list only the CIDRs of your CI runners and operators`,
    },
    {
        title: "a load test on a vhost the topology does not declare",
        config: { perfTest: { enabled: true, vhost: "/engin", queue: "engine:tasks" } },
        problem: `${P}:perfTest.vhost: must name a vhost the topology declares (got "/engin"). Fix: pulumi config set --path '${P}:perfTest.vhost' /engine`,
    },
    {
        title: "an exchange type in the wrong case",
        topology: JSON.stringify(topology((v) => ((v as Vhost).exchanges[0].type = "Direct"))),
        problem: `${TOPOLOGY}: vhosts[0].exchanges[0].type: must be direct, fanout, topic or headers (got "Direct"). Fix: use "direct"`,
    },
    {
        title: "an exchange type that is no near miss",
        topology: JSON.stringify(topology((v) => ((v as Vhost).exchanges[0].type = "queue"))),
        problem: `${TOPOLOGY}: vhosts[0].exchanges[0].type: must be direct, fanout, topic or headers (got "queue"). Fix: use one of "direct", "fanout", "topic" or "headers"`,
    },
    {
        title: "a queue name in RabbitMQ's reserved namespace",
        topology: JSON.stringify(topology((v) => ((v as Vhost).queues[1].name = "amq.orders.dead"))),
        problem: `${TOPOLOGY}: vhosts[0].queues[1].name: must not start with 'amq.' (reserved by RabbitMQ) (got "amq.orders.dead"). Fix: use "orders.dead"`,
    },
    {
        title: "a binding to a misspelt queue",
        topology: JSON.stringify(topology((v) => ((v as Vhost).bindings[0].queue = "order"))),
        problem: `${TOPOLOGY}: vhosts[0].bindings[0].queue: must name a queue that vhost /app declares (got "order"). Fix: use "orders"`,
    },
    {
        title: "a publisher to an exchange nobody declares",
        topology: JSON.stringify(
            topology((v) => ((v as Vhost).users[0].publishes = [{ exchange: "payments" }])),
        ),
        problem: `${TOPOLOGY}: vhosts[0].users[0].publishes[0].exchange: must name an exchange that vhost /app declares (got "payments"). Fix: use one of "orders" or "dlx", or declare it under exchanges`,
    },
    {
        title: "a consumer of a queue in the wrong case",
        topology: JSON.stringify(topology((v) => ((v as Vhost).users[0].consumes = ["Orders"]))),
        problem: `${TOPOLOGY}: vhosts[0].users[0].consumes[0]: must name a queue that vhost /app declares (got "Orders"). Fix: use "orders"`,
    },
    {
        title: "a dead-letter exchange that is a typo",
        topology: JSON.stringify(
            topology((v) => ((v as Vhost).queues[0].deadLetter = { exchange: "dlq", routingKey: "orders" })),
        ),
        problem: `${TOPOLOGY}: vhosts[0].queues[0].deadLetter.exchange: must name an exchange that vhost /app declares (got "dlq"). Fix: use "dlx"`,
    },
    {
        title: "a Secret namespace that is not a DNS-1123 label",
        topology: JSON.stringify(
            topology(
                (v) => ((v as Vhost).users[0].secret = { namespace: "Order_Apps", name: "app-rabbitmq" }),
            ),
        ),
        problem: `${TOPOLOGY}: vhosts[0].users[0].secret.namespace: must be a Kubernetes DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit (got "Order_Apps"). Fix: use "order-apps"`,
    },
    {
        title: "a misspelt field",
        topology: JSON.stringify(
            topology((v) => ((v as Vhost).queues[1] = { name: "orders.dead", tpye: "quorum" })),
        ),
        problem: `${TOPOLOGY}: vhosts[0].queues[1].tpye: is not a field of a queue; its fields are name, type, deliveryLimit, deadLetter, maxLength, maxLengthBytes and overflow. Fix: rename it to type`,
    },
    {
        title: "a topology file that is not YAML",
        topology: "vhosts:\n  - name: /app\n   queues: [\n",
        problem: `${TOPOLOGY}: line 3: bad indentation of a sequence entry (got "   queues: ["). Fix: correct the YAML`,
    },
];

/** Writes case `i`'s topology file (if it has one) into `scratch`, and its stack file: the shipped dev stack's. */
export function caseFiles(c: Case, i: number, scratch: string): { topologyFile?: string; stack: string } {
    const topologyFile = c.topology === undefined ? undefined : path.join(scratch, `topology-${i}.yaml`);
    if (topologyFile !== undefined) {
        fs.writeFileSync(topologyFile, c.topology!);
    }
    const config: Record<string, unknown> = { ...shippedStackConfig("dev") };
    for (const [k, v] of Object.entries(c.config ?? {})) {
        config[`${P}:${k}`] = v;
    }
    if (topologyFile !== undefined) {
        config[`${P}:topologyFile`] = topologyFile;
    }
    return { topologyFile, stack: stackFile("invalid", config) };
}

/** The whole message the program prints for case `c`, whose topology file (if any) is `topologyFile`. */
export function expectedMessage(c: Case, topologyFile: string | undefined): string {
    const source = topologyFile === undefined ? "stack configuration" : `topology (${topologyFile})`;
    const problem = topologyFile === undefined ? c.problem : c.problem.split(TOPOLOGY).join(topologyFile);
    return `Invalid ${source}:\n  - ${problem}\nNothing was created.\n`;
}
