/**
 * Stack configuration: parsing and validation, with no Pulumi runtime involved.
 *
 * Pulumi hands a program its configuration as strings keyed `<project>:<key>` (objects and arrays as JSON).
 * `parsePlatformConfig` turns that map into a typed `PlatformConfig`, or throws one `ConfigError` that lists
 * every problem, each naming the key, the rule it breaks and how to fix it. Defaults live in Pulumi.yaml only
 * (typed project config), so this module requires every key that Pulumi.yaml defaults.
 */
import * as v from "valibot";
import type { ImageRole } from "./images";
import { nearest, quote } from "./suggest";

export const PROJECT = "rabbitmq-platform";

/** One problem with the configuration: the key, what is wrong, and what to do. */
export interface ConfigProblem {
    key: string;
    message: string;
}

/** Thrown before any resource is registered when the stack's configuration is invalid. */
export class ConfigError extends Error {
    constructor(
        readonly problems: ConfigProblem[],
        source: string,
    ) {
        super(
            `Invalid ${source}:\n` +
                problems.map((p) => `  - ${p.key}: ${p.message}`).join("\n") +
                "\nNothing was created.",
        );
        this.name = "ConfigError";
    }
}

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const quantityPattern = /^([0-9]+(\.[0-9]+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const cidrPattern = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** "a, b and c" (or "a, b or c"), for messages that list what is allowed. */
function joinList(items: readonly string[], conjunction: string): string {
    return items.length <= 1
        ? items.join("")
        : `${items.slice(0, -1).join(", ")} ${conjunction} ${items[items.length - 1]}`;
}
export const andList = (items: readonly string[]) => joinList(items, "and");
export const orList = (items: readonly string[]) => joinList(items, "or");

const WHOLE = "must be a whole number";
/** A whole number; callers pipe their bounds after it (parsed with `abortPipeEarly`: the first broken rule wins). */
export const wholeNumber = v.pipe(v.number(WHOLE), v.integer(WHOLE));

/** A string of at least one character; `message` when it is empty. */
export const nonEmpty = (message: string) => v.pipe(v.string(), v.minLength(1, message));

// The key is named in front of every message (schemaProblem), so the rules below do not repeat it.
const k8sName = v.pipe(
    v.string(),
    v.maxLength(63, "must be at most 63 characters (a Kubernetes DNS-1123 label)"),
    v.regex(
        dns1123Label,
        "must be a Kubernetes DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit",
    ),
);

const quantity = v.pipe(
    v.string(),
    v.regex(quantityPattern, 'must be a Kubernetes quantity such as "500m", "2", "512Mi" or "10Gi"'),
);

const decimalString = (min: number, max: number) =>
    v.pipe(
        v.string(),
        v.regex(/^[0-9]+(\.[0-9]+)?$/, 'must be a decimal number written as a string, e.g. "0.6"'),
        v.transform(Number),
        v.check((n) => n >= min && n <= max, `must be between ${min} and ${max}`),
    );

const endpointUrl = v.pipe(
    v.string(),
    v.regex(
        /^https?:\/\/[^/\s?#]+$/,
        "must be http(s)://host:port with no path and no trailing slash (the rabbitmq provider appends /api/ itself; " +
            "a trailing slash makes every call fail with 'Error 405 ... EOF')",
    ),
);

const versionTag = v.pipe(
    v.string(),
    v.regex(/^v\d+\.\d+\.\d+$/, "must be an exact release tag such as v1.2.3"),
);

const imageRef = v.pipe(
    v.string(),
    v.regex(
        /^([a-z0-9.-]+:\d+\/)?[a-z0-9./_-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$/,
        "must be a pinned image reference with a tag or digest, e.g. rabbitmq:4.0.5-management (never a bare name or :latest)",
    ),
);

/** Per-image overrides for air-gapped clusters (lib/images.ts names the roles); RabbitMQ's own is `image`. */
const imageOverrideFields = {
    operator: v.optional(imageRef),
    certManagerController: v.optional(imageRef),
    certManagerWebhook: v.optional(imageRef),
    certManagerCainjector: v.optional(imageRef),
    certManagerStartupapicheck: v.optional(imageRef),
    certManagerAcmesolver: v.optional(imageRef),
    perfTest: v.optional(imageRef),
} satisfies Record<ImageRole, unknown>;

/** A whole number from `min` to `max`, each bound named in its own message (with `unit` after the number). */
const bounded = (min: number, max: number, unit?: string) => {
    const suffix = unit === undefined ? "" : ` ${unit}`;
    return v.pipe(
        wholeNumber,
        v.minValue(min, `must be at least ${min}${suffix}`),
        v.maxValue(max, `must be at most ${max}${suffix}`),
    );
};

/** A whole number from `min` to `max`, one message for both bounds. */
const within = (min: number, max: number, message: string) =>
    v.pipe(wholeNumber, v.minValue(min, message), v.maxValue(max, message));

const flag = v.boolean("must be true or false");

const hostName = v.pipe(v.string(), v.regex(/^[A-Za-z0-9.-]+$/, "must be a host name or IP address"));

const cidrList = (example: string) =>
    v.array(
        v.pipe(v.string(), v.check(isCidr, `must be an IPv4 CIDR such as ${example}`)),
        "must be a list of CIDRs",
    );

const odd = (message: string) => v.check((n: number) => n % 2 === 1, message);

/** The fields of the `perfTest` object key, each as `pulumi config set --path` sets it. */
const perfTestFields = {
    enabled: flag,
    vhost: v.optional(nonEmpty("must name a vhost of the topology")),
    queue: v.optional(nonEmpty("must name a queue of that vhost")),
    rate: v.optional(bounded(1, 100000, "messages per second per producer")),
    seconds: v.optional(bounded(10, 3600, "seconds")),
    producers: v.optional(bounded(1, 50, "producers")),
    consumers: v.optional(bounded(1, 50, "consumers")),
};

/** The schema of every configuration key the program reads, after type conversion. */
const schema = v.strictObject({
    mode: v.picklist(
        ["operator", "external"],
        'must be "operator" (install cert-manager, the Cluster Operator and a RabbitmqCluster) or "external" (use an existing broker)',
    ),
    namespace: k8sName,
    clusterName: k8sName,
    installCertManager: flag,
    certManagerVersion: versionTag,
    operatorVersion: versionTag,
    operatorScopeNamespaces: v.array(k8sName, "must be a list of namespace names"),
    operatorManifest: v.optional(
        nonEmpty(
            "must name the operator's release manifest: a file (relative to the project folder) or a URL",
        ),
    ),
    certManagerChart: v.optional(
        nonEmpty(
            "must name cert-manager's chart: a chart folder or .tgz archive (relative to the project folder)",
        ),
    ),
    imageRegistry: v.optional(
        v.pipe(
            v.string(),
            v.regex(
                /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/,
                "must be a registry host with an optional port and path, such as registry.example.com:5000/mirror (no scheme, no trailing slash)",
            ),
        ),
    ),
    images: v.optional(
        v.strictObject(imageOverrideFields, (issue) =>
            issue.expected === "never"
                ? `has no field ${issue.received}; its fields are ${andList(Object.keys(imageOverrideFields))}`
                : "must be an object",
        ),
    ),
    image: imageRef,
    replicas: v.pipe(
        wholeNumber,
        v.minValue(1, "must be at least 1"),
        v.maxValue(9, "must be at most 9 (the Cluster Operator tests 1, 3 and 5 nodes)"),
        odd(
            "must be odd: an even cluster tolerates no more node failures than the next smaller odd one, and a 50/50 partition stops both halves",
        ),
    ),
    quorumGroupSize: v.pipe(
        wholeNumber,
        v.minValue(1, "must be at least 1"),
        odd(
            "must be odd: an even quorum group tolerates no more member failures than the next smaller odd one",
        ),
    ),
    cpuRequest: quantity,
    cpuLimit: quantity,
    memory: quantity,
    storageClass: v.optional(nonEmpty("must not be empty")),
    storageSize: quantity,
    memoryHighWatermark: decimalString(0.4, 0.9),
    diskFreeLimitRelative: decimalString(1, 4),
    antiAffinity: v.picklist(
        ["required", "preferred"],
        'must be "required" (one broker per Kubernetes node) or "preferred" (single-node dev clusters)',
    ),
    zoneSpread: v.picklist(
        ["DoNotSchedule", "ScheduleAnyway"],
        'must be "DoNotSchedule" (brokers spread over zones) or "ScheduleAnyway"',
    ),
    podDisruptionBudget: flag,
    retainDataOnDelete: flag,
    protect: flag,
    readyTimeoutSeconds: bounded(60, 7200),
    managementEndpoint: v.optional(endpointUrl),
    managementService: v.picklist(
        ["none", "LoadBalancer", "NodePort"],
        'must be "none", "LoadBalancer" or "NodePort"',
    ),
    managementNodePort: v.optional(within(30000, 32767, "must be in the NodePort range 30000-32767")),
    managementNodeAddress: v.optional(
        v.pipe(v.string(), v.regex(/^[A-Za-z0-9.:-]+$/, "must be a host name or IP address")),
    ),
    managementSourceRanges: cidrList("203.0.113.0/24"),
    topologyFile: nonEmpty("must name a file"),
    createAppNamespaces: flag,
    externalAmqpHost: v.optional(hostName),
    externalAmqpPort: v.optional(within(1, 65535, "must be a port, 1-65535")),
    externalAmqpTls: v.optional(flag),
    externalAdminUsername: v.optional(nonEmpty("must not be empty")),
    tls: v.picklist(
        ["off", "both", "only"],
        'must be "off" (plain AMQP and HTTP), "both" (TLS beside the plain listeners) or "only" (plain listeners disabled)',
    ),
    tlsIssuer: v.optional(
        v.pipe(
            v.string(),
            v.regex(
                /^(ClusterIssuer|Issuer)\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
                "must be ClusterIssuer/<name> or Issuer/<name> (an Issuer in the cluster's namespace)",
            ),
        ),
    ),
    rabbitmqMajorVersion: v.optional(within(3, 4, "must be 3 or 4")),
    networkPolicies: flag,
    restrictBrokerEgress: flag,
    monitoringNamespace: k8sName,
    apiServerCidrs: cidrList("172.18.0.2/32"),
    prometheusOperator: flag,
    prometheusLabels: v.array(
        v.pipe(v.string(), v.regex(/^[A-Za-z0-9./_-]+=[A-Za-z0-9._-]*$/, "must be key=value")),
        "must be a list of key=value labels",
    ),
    runbookUrl: v.pipe(v.string(), v.regex(/^[^#\s]+$/, "must be a URL or path without a #fragment")),
    perfTest: v.optional(
        v.strictObject(perfTestFields, (issue) =>
            issue.expected === "never"
                ? `has no field ${issue.received}; its fields are ${andList(Object.keys(perfTestFields))}`
                : issue.expected === "Object"
                  ? "must be an object"
                  : "is required",
        ),
    ),
});

type SchemaOutput = v.InferOutput<typeof schema>;

export type PlatformConfig = SchemaOutput & {
    /** Whether `externalAdminPassword` is set (the value itself stays a Pulumi secret, never parsed here). */
    hasExternalAdminPassword: boolean;
    /** The broker's RabbitMQ major version: `rabbitmqMajorVersion`, or the image tag's in operator mode. */
    brokerMajorVersion: number;
};

/** The major version in an image tag such as `rabbitmq:4.0.5-management`, if the tag names one. */
export function imageMajorVersion(image: string): number | undefined {
    const m = /:(\d+)\.\d+/.exec(image);
    return m === null ? undefined : Number(m[1]);
}

function brokerMajorVersion(c: Pick<SchemaOutput, "rabbitmqMajorVersion" | "image">): number {
    return c.rabbitmqMajorVersion ?? imageMajorVersion(c.image) ?? 4;
}

type KeyType = "string" | "integer" | "boolean" | "array" | "object";

/**
 * How Pulumi stores each key (mirrors the typed config in Pulumi.yaml), and a valid value to show in fixes; an
 * object key also has one per field, since its fix sets that field alone (`pulumi config set --path`).
 */
export const KEYS: Record<
    keyof SchemaOutput,
    { type: KeyType; example: string; fields?: Record<string, string> }
> = {
    mode: { type: "string", example: "operator" },
    namespace: { type: "string", example: "rabbitmq" },
    clusterName: { type: "string", example: "rabbitmq" },
    installCertManager: { type: "boolean", example: "true" },
    certManagerVersion: { type: "string", example: "v1.18.2" },
    operatorVersion: { type: "string", example: "v2.22.3" },
    operatorScopeNamespaces: { type: "array", example: "'[\"rabbitmq\"]'" },
    operatorManifest: { type: "string", example: "vendor/cluster-operator-v2.22.3.yml" },
    certManagerChart: { type: "string", example: "vendor/cert-manager-v1.18.2.tgz" },
    imageRegistry: { type: "string", example: "registry.example.com:5000/mirror" },
    images: {
        type: "object",
        example: `'{"operator":"registry.example.com/rabbitmqoperator/cluster-operator:2.22.3"}'`,
        fields: {
            operator: "registry.example.com/rabbitmqoperator/cluster-operator:2.22.3",
            certManagerController: "registry.example.com/jetstack/cert-manager-controller:v1.18.2",
            certManagerWebhook: "registry.example.com/jetstack/cert-manager-webhook:v1.18.2",
            certManagerCainjector: "registry.example.com/jetstack/cert-manager-cainjector:v1.18.2",
            certManagerStartupapicheck: "registry.example.com/jetstack/cert-manager-startupapicheck:v1.18.2",
            certManagerAcmesolver: "registry.example.com/jetstack/cert-manager-acmesolver:v1.18.2",
            perfTest: "registry.example.com/pivotalrabbitmq/perf-test:2.25.0",
        },
    },
    image: { type: "string", example: "rabbitmq:4.0.5-management" },
    replicas: { type: "integer", example: "3" },
    quorumGroupSize: { type: "integer", example: "3" },
    cpuRequest: { type: "string", example: "1" },
    cpuLimit: { type: "string", example: "2" },
    memory: { type: "string", example: "2Gi" },
    storageClass: { type: "string", example: "standard" },
    storageSize: { type: "string", example: "10Gi" },
    memoryHighWatermark: { type: "string", example: "0.6" },
    diskFreeLimitRelative: { type: "string", example: "1.5" },
    antiAffinity: { type: "string", example: "required" },
    zoneSpread: { type: "string", example: "DoNotSchedule" },
    podDisruptionBudget: { type: "boolean", example: "true" },
    retainDataOnDelete: { type: "boolean", example: "true" },
    protect: { type: "boolean", example: "true" },
    readyTimeoutSeconds: { type: "integer", example: "900" },
    managementEndpoint: { type: "string", example: "http://127.0.0.1:15672" },
    managementService: { type: "string", example: "LoadBalancer" },
    managementNodePort: { type: "integer", example: "31672" },
    managementNodeAddress: { type: "string", example: "127.0.0.1" },
    managementSourceRanges: { type: "array", example: "'[\"203.0.113.0/24\"]'" },
    topologyFile: { type: "string", example: "topology.yaml" },
    createAppNamespaces: { type: "boolean", example: "false" },
    externalAmqpHost: { type: "string", example: "broker.example.com" },
    externalAmqpPort: { type: "integer", example: "5671" },
    externalAmqpTls: { type: "boolean", example: "true" },
    externalAdminUsername: { type: "string", example: "admin" },
    rabbitmqMajorVersion: { type: "integer", example: "4" },
    tls: { type: "string", example: "only" },
    tlsIssuer: { type: "string", example: "ClusterIssuer/internal-ca" },
    networkPolicies: { type: "boolean", example: "true" },
    restrictBrokerEgress: { type: "boolean", example: "true" },
    monitoringNamespace: { type: "string", example: "monitoring" },
    apiServerCidrs: { type: "array", example: "'[\"172.18.0.2/32\"]'" },
    prometheusOperator: { type: "boolean", example: "true" },
    prometheusLabels: { type: "array", example: "'[\"release=kube-prometheus-stack\"]'" },
    runbookUrl: {
        type: "string",
        example: "https://github.com/<org>/rabbitmq-platform/blob/main/docs/runbook.md",
    },
    perfTest: {
        type: "object",
        example: `'{"enabled":true,"vhost":"/engine","queue":"engine:tasks"}'`,
        fields: {
            enabled: "true",
            vhost: "/engine",
            queue: "engine:tasks",
            rate: "5000",
            seconds: "60",
            producers: "2",
            consumers: "2",
        },
    },
};

/** Secret keys: read only with `requireSecret`, never parsed here, never allowed in plain text. */
export const SECRET_KEYS = ["externalAdminPassword"] as const;

function isCidr(value: string): boolean {
    const m = cidrPattern.exec(value);
    return m !== null && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
}

/** Converts a Pulumi config string to the key's type, or returns a problem message. */
function convert(type: KeyType, raw: string): { value: unknown } | { problem: string } {
    switch (type) {
        case "string":
            return { value: raw };
        case "integer":
            return /^-?\d+$/.test(raw.trim())
                ? { value: Number(raw) }
                : { problem: `must be a whole number (got ${JSON.stringify(raw)})` };
        case "boolean":
            return raw === "true" || raw === "false"
                ? { value: raw === "true" }
                : { problem: `must be true or false (got ${JSON.stringify(raw)})` };
        case "array":
        case "object": {
            const what = type === "array" ? "a list" : "an object";
            try {
                const parsed: unknown = JSON.parse(raw);
                return Array.isArray(parsed) === (type === "array") &&
                    typeof parsed === "object" &&
                    parsed !== null
                    ? { value: parsed }
                    : { problem: `must be ${what} (got ${JSON.stringify(raw)})` };
            } catch {
                return { problem: `must be ${what} (got ${JSON.stringify(raw)})` };
            }
        }
        default: {
            const never: never = type;
            return never;
        }
    }
}

/** The setting an unknown key most plausibly meant: a small typo of one, else one it begins or ends. */
function closestKey(key: string): string | undefined {
    const lower = key.toLowerCase();
    const keys = [...Object.keys(KEYS), ...SECRET_KEYS];
    return (
        nearest(key, keys) ??
        keys.find((k) => k.toLowerCase().startsWith(lower) || lower.startsWith(k.toLowerCase()))
    );
}

function setHint(key: string, example: string, secret = false): string {
    return `pulumi config set ${secret ? "--secret " : ""}${PROJECT}:${key} ${example}`;
}

/** The command that sets one field of an object key. */
export function setFieldHint(key: string, field: string, example: string): string {
    return `pulumi config set --path '${PROJECT}:${key}.${field}' ${example}`;
}

/** A problem with one field of an object key, named `<key>.<field>` as `pulumi config set --path` names it. */
function objectFieldProblem(
    key: string,
    field: string,
    message: string,
    object: unknown,
    examples: Record<string, string>,
): ConfigProblem {
    const value = (object as Record<string, unknown>)[field];
    const got = value === undefined ? "" : ` (got ${JSON.stringify(value)})`;
    return {
        key: `${PROJECT}:${key}.${field}`,
        message: `${message}${got}. Fix: ${setFieldHint(key, field, examples[field])}`,
    };
}

/** The rules that relate several keys; each message ends with the fix. */
function crossKeyProblems(c: SchemaOutput, hasExternalPassword: boolean): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const key = (k: string) => `${PROJECT}:${k}`;
    if (c.quorumGroupSize > c.replicas) {
        problems.push({
            key: key("quorumGroupSize"),
            message:
                `must not exceed replicas (got ${c.quorumGroupSize} with replicas ${c.replicas}): ` +
                `a quorum queue cannot have more members than the cluster has nodes. Fix: ${setHint("quorumGroupSize", String(c.replicas))}`,
        });
    }
    if (c.perfTest?.enabled === true) {
        for (const field of ["vhost", "queue"] as const) {
            if (c.perfTest[field] === undefined) {
                problems.push({
                    key: key(`perfTest.${field}`),
                    message: `is required when perfTest.enabled is true: the load test runs on one queue's route of the topology. Fix: ${setFieldHint("perfTest", field, KEYS.perfTest.fields![field])}`,
                });
            }
        }
    }
    const major = brokerMajorVersion(c);
    const smallest = Math.min(3, c.replicas);
    if (major >= 4 && c.quorumGroupSize < smallest) {
        problems.push({
            key: key("quorumGroupSize"),
            message:
                `must be at least ${smallest} on RabbitMQ 4 (got ${c.quorumGroupSize} with replicas ${c.replicas}): ` +
                "it is each queue's policy target-group-size, queues are declared with the broker's default of up to 3 " +
                `members, and membership reconciliation only adds members. Fix: ${setHint("quorumGroupSize", String(smallest))}`,
        });
    }
    if (c.mode === "external") {
        const required: [keyof typeof c, string][] = [
            ["managementEndpoint", "https://broker.example.com:443"],
            ["externalAmqpHost", "broker.example.com"],
            ["externalAdminUsername", "admin"],
        ];
        for (const [k, example] of required) {
            if (c[k] === undefined) {
                problems.push({
                    key: key(k),
                    message: `is required when mode is "external". Fix: ${setHint(k, example)}`,
                });
            }
        }
        if (c.rabbitmqMajorVersion === undefined) {
            problems.push({
                key: key("rabbitmqMajorVersion"),
                message: `is required when mode is "external": some settings differ between RabbitMQ 3 and 4 (a dead-letter queue's unlimited delivery limit exists only in 4). Fix: ${setHint("rabbitmqMajorVersion", "4")}`,
            });
        }
        if (!hasExternalPassword) {
            problems.push({
                key: key("externalAdminPassword"),
                message: `is required when mode is "external" and must be a secret. Fix: ${setHint("externalAdminPassword", "<password>", true)}`,
            });
        }
        return problems;
    }
    if (c.managementEndpoint === undefined && c.managementService === "none") {
        problems.push({
            key: key("managementEndpoint"),
            message:
                "the management API must be reachable from where `pulumi up` runs, and neither managementEndpoint nor " +
                `managementService is set. Fix: ${setHint("managementService", "LoadBalancer")} (with managementSourceRanges), ` +
                `${setHint("managementService", "NodePort")} (with managementNodePort and managementNodeAddress), or ` +
                `${setHint("managementEndpoint", "http://127.0.0.1:15672")} (e.g. through kubectl port-forward)`,
        });
    }
    if (c.managementService === "LoadBalancer" && c.managementSourceRanges.length === 0) {
        problems.push({
            key: key("managementSourceRanges"),
            message:
                "must list the CIDRs allowed to reach the management API when managementService is LoadBalancer " +
                `(an open admin endpoint is never a default) (got []). Fix: pulumi config set --path '${PROJECT}:managementSourceRanges[0]' 203.0.113.0/24`,
        });
    }
    if (c.managementService === "NodePort") {
        if (c.managementNodePort === undefined) {
            problems.push({
                key: key("managementNodePort"),
                message: `is required when managementService is NodePort. Fix: ${setHint("managementNodePort", "31672")}`,
            });
        }
        if (c.managementNodeAddress === undefined && c.managementEndpoint === undefined) {
            problems.push({
                key: key("managementNodeAddress"),
                message: `is required when managementService is NodePort (the address of a node reachable from where \`pulumi up\` runs). Fix: ${setHint("managementNodeAddress", "127.0.0.1")}`,
            });
        }
    }
    if (c.managementSourceRanges.includes("0.0.0.0/0")) {
        problems.push({
            key: key("managementSourceRanges"),
            message:
                `must not contain 0.0.0.0/0: the management API holds admin credentials (got ${quote(c.managementSourceRanges)}). ` +
                "Fix: list only the CIDRs of your CI runners and operators",
        });
    }
    const fromImage = imageMajorVersion(c.image);
    if (fromImage === undefined && c.rabbitmqMajorVersion === undefined) {
        problems.push({
            key: key("rabbitmqMajorVersion"),
            message: `is required when the image tag does not name a version (got image ${quote(c.image)}). Fix: ${setHint("rabbitmqMajorVersion", "4")}`,
        });
    } else if (
        fromImage !== undefined &&
        c.rabbitmqMajorVersion !== undefined &&
        fromImage !== c.rabbitmqMajorVersion
    ) {
        problems.push({
            key: key("rabbitmqMajorVersion"),
            message: `must match the image's major version (got ${c.rabbitmqMajorVersion} with image ${quote(c.image)}, RabbitMQ ${fromImage}). Fix: pulumi config rm ${PROJECT}:rabbitmqMajorVersion, or ${setHint("rabbitmqMajorVersion", String(fromImage))}`,
        });
    }
    if (quantityValue(c.cpuRequest) > quantityValue(c.cpuLimit)) {
        problems.push({
            key: key("cpuRequest"),
            message: `must not exceed cpuLimit (got ${quote(c.cpuRequest)} with cpuLimit ${quote(c.cpuLimit)}). Fix: ${setHint("cpuRequest", c.cpuLimit)}`,
        });
    }
    return problems;
}

const quantityUnits: Record<string, number> = {
    "": 1,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
};

/** The numeric value of a Kubernetes quantity that already matched `quantityPattern`. */
export function quantityValue(q: string): number {
    const m = quantityPattern.exec(q);
    if (m === null) {
        throw new Error(`not a Kubernetes quantity: ${q}`);
    }
    return Number(m[1]) * quantityUnits[m[3] ?? ""];
}

/** One schema issue as a problem: the key (or `<key>.<field>` of an object key), the rule, and the fix. */
function schemaProblem(issue: v.InferIssue<typeof schema>, values: Record<string, unknown>): ConfigProblem {
    const path = (issue.path ?? []).map((p) => String(p.key));
    // An unknown field is the object's problem: its fix rewrites the object, it has no field of its own to set.
    const [k, ...rest] =
        issue.type === "strict_object" && issue.expected === "never" ? path.slice(0, 1) : path;
    const fields = KEYS[k as keyof typeof KEYS]?.fields;
    if (fields !== undefined && rest.length > 0) {
        return objectFieldProblem(k, rest[0], issue.message, values[k], fields);
    }
    const allowed =
        issue.type === "picklist" ? [...issue.expected.matchAll(/"([^"]*)"/g)].map((m) => m[1]) : [];
    // A bad choice is fixed with the allowed value it most plausibly meant (a typo, a different case).
    const example = nearest(String(values[k]), allowed) ?? KEYS[k as keyof typeof KEYS]?.example ?? "<value>";
    if (!(k in values)) {
        return {
            key: `${PROJECT}:${k}`,
            message: `is missing; Pulumi.yaml declares its default, so the project file was edited or not loaded. Fix: ${setHint(k, example)}`,
        };
    }
    // The refused value itself: an entry of a list key, or the key's value.
    const refused = rest.reduce<unknown>((value, p) => (value as Record<string, unknown>)?.[p], values[k]);
    return {
        key: `${PROJECT}:${k}${rest.length > 0 ? `[${rest.join("].[")}]` : ""}`,
        message: `${issue.message} (got ${quote(refused)}). Fix: ${setHint(k, example)}`,
    };
}

/**
 * Parses the stack's configuration.
 * @param raw every config value of the stack, keyed `<namespace>:<key>`, as Pulumi stores it (strings).
 * @param secretKeys the keys Pulumi holds as secrets.
 */
export function parsePlatformConfig(
    raw: Record<string, string>,
    secretKeys: readonly string[] = [],
): PlatformConfig {
    const problems: ConfigProblem[] = [];
    const values: Record<string, unknown> = {};
    const prefix = `${PROJECT}:`;
    for (const [fullKey, rawValue] of Object.entries(raw)) {
        if (!fullKey.startsWith(prefix)) {
            continue;
        }
        const k = fullKey.slice(prefix.length);
        if ((SECRET_KEYS as readonly string[]).includes(k)) {
            if (!secretKeys.includes(fullKey)) {
                problems.push({
                    key: fullKey,
                    message: `is stored in plain text in the stack file; it must be a secret. Fix: ${setHint(k, "<value>", true)}`,
                });
            }
            continue;
        }
        const type = KEYS[k as keyof typeof KEYS]?.type;
        if (type === undefined) {
            const hint = closestKey(k);
            problems.push({
                key: fullKey,
                message:
                    `is not a setting of ${PROJECT}` +
                    (hint ? `; did you mean ${prefix}${hint}?` : "") +
                    ` Fix: remove it (pulumi config rm ${fullKey})` +
                    (hint ? ` or rename it to ${prefix}${hint}` : ""),
            });
            continue;
        }
        const converted = convert(type, rawValue);
        if ("problem" in converted) {
            const example = KEYS[k as keyof typeof KEYS].example;
            problems.push({ key: fullKey, message: `${converted.problem}. Fix: ${setHint(k, example)}` });
        } else {
            values[k] = converted.value;
        }
    }
    if (problems.length > 0) {
        throw new ConfigError(problems, "stack configuration");
    }
    const parsed = v.safeParse(schema, values, { abortPipeEarly: true });
    if (!parsed.success) {
        throw new ConfigError(
            parsed.issues.map((issue) => schemaProblem(issue, values)),
            "stack configuration",
        );
    }
    const hasExternalAdminPassword = `${prefix}externalAdminPassword` in raw;
    const cross = crossKeyProblems(parsed.output, hasExternalAdminPassword);
    if (cross.length > 0) {
        throw new ConfigError(cross, "stack configuration");
    }
    return {
        ...parsed.output,
        hasExternalAdminPassword,
        brokerMajorVersion: brokerMajorVersion(parsed.output),
    };
}
