/**
 * Where the in-cluster PerfTest runs, derived from the normalised topology with no Pulumi runtime involved: the
 * route that delivers to the chosen queue, and the app users (and so the Secrets and namespaces) that may publish
 * on it and consume from it. The test never gets more rights than the apps it stands in for.
 */
import { ConfigError, ConfigProblem, PROJECT, setFieldHint } from "./config";
import { nearest, quote } from "./suggest";
import { NormalizedTopology, NormalizedUser, Router } from "./topology";

/** An app user the test connects as, and the Secret holding its `AMQP_URL` (and `ca.crt` with TLS). */
export interface PerfTestUser {
    name: string;
    secret: { namespace: string; name: string };
}

export interface PerfTestRoute {
    vhost: string;
    queue: string;
    exchange: string;
    /** Undefined for a fanout exchange, which ignores the key. */
    routingKey?: string;
    publisher: PerfTestUser;
    consumer: PerfTestUser;
}

/** RabbitMQ matches permissions as regular expressions; the topology writes them anchored and escaped. */
const allows = (pattern: string, name: string) => new RegExp(pattern).test(name);

function mayPublish(u: NormalizedUser, exchange: string, routingKey: string | undefined): boolean {
    if (!allows(u.permissions.write, exchange)) {
        return false;
    }
    // Topic permissions restrict keys only on the exchanges they name.
    const topic = u.topicPermissions.filter((t) => t.exchange === exchange);
    return topic.length === 0 || topic.some((t) => routingKey !== undefined && allows(t.write, routingKey));
}

/**
 * Whether PerfTest can publish with the binding's key: it sends one fixed key, so a topic pattern with a wildcard
 * names no key, and a headers exchange routes on headers PerfTest does not set.
 */
function publishableKey(type: string, bindingKey: string): boolean {
    switch (type) {
        case "fanout":
            return true;
        case "direct":
            return bindingKey !== "";
        case "topic":
            return bindingKey !== "" && !/(^|\.)[*#](\.|$)/.test(bindingKey);
        default:
            return false;
    }
}

const asTestUser = (u: NormalizedUser): PerfTestUser => ({ name: u.name, secret: u.secret });

/**
 * The route PerfTest publishes on and the users it runs as. The first binding (in file order) that delivers to
 * the queue and to no other queue, with a literal key, and that some app user may publish to; the first user
 * allowed to publish there, and the first allowed to consume the queue.
 * @throws ConfigError naming `perfTest.vhost` or `perfTest.queue` when no such route or user exists.
 */
/** The fix for a vhost or queue PerfTest cannot find: the declared name it most plausibly meant, else the first. */
function suggest(field: "vhost" | "queue", name: string, declared: readonly string[]): string {
    const near = nearest(name, declared);
    return near !== undefined
        ? setFieldHint("perfTest", field, near)
        : `${setFieldHint("perfTest", field, declared[0] ?? `<${field}>`)} (declared: ${declared.join(", ") || "none"})`;
}

export function perfTestRoute(topology: NormalizedTopology, vhost: string, queue: string): PerfTestRoute {
    const fail = (field: "vhost" | "queue", message: string): never => {
        const problem: ConfigProblem = { key: `${PROJECT}:perfTest.${field}`, message };
        throw new ConfigError([problem], "stack configuration");
    };
    const v = topology.vhosts.find((x) => x.name === vhost);
    if (v === undefined) {
        return fail(
            "vhost",
            `must name a vhost the topology declares (got ${quote(vhost)}). Fix: ${suggest(
                "vhost",
                vhost,
                topology.vhosts.map((x) => x.name),
            )}`,
        );
    }
    if (!v.queues.some((q) => q.name === queue)) {
        return fail(
            "queue",
            `must name a queue that vhost ${vhost} declares (got ${quote(queue)}). Fix: ${suggest(
                "queue",
                queue,
                v.queues.map((q) => q.name),
            )}`,
        );
    }
    const exchanges = new Map(v.exchanges.map((e) => [e.name, e]));
    const router = new Router(v.bindings);
    const routes = v.bindings.flatMap((b) => {
        const exchange = exchanges.get(b.exchange)!;
        const delivers =
            b.queue === queue &&
            publishableKey(exchange.type, b.routingKey) &&
            router.targets(exchange, b.routingKey).every((t) => t === queue);
        return delivers
            ? [{ exchange: exchange.name, routingKey: exchange.type === "fanout" ? undefined : b.routingKey }]
            : [];
    });
    if (routes.length === 0) {
        return fail(
            "queue",
            `must name a queue that a binding delivers to alone from a direct, fanout or topic exchange with a literal, non-empty routing key, or PerfTest fills other queues too (got ${quote(queue)} in vhost ${vhost}). Fix: choose another queue or add such a binding to the topology`,
        );
    }
    const route = routes.find((r) => v.users.some((u) => mayPublish(u, r.exchange, r.routingKey)));
    if (route === undefined) {
        const r = routes[0];
        return fail(
            "queue",
            `must name a queue whose route an app user of vhost ${vhost} may publish to, since PerfTest publishes only as an app user; none may publish to exchange ${r.exchange}${r.routingKey === undefined ? "" : ` with key ${JSON.stringify(r.routingKey)}`} (got ${quote(queue)}). Fix: choose another queue or let an app publish there (publishes in the topology)`,
        );
    }
    const consumer = v.users.find((u) => allows(u.permissions.read, queue));
    if (consumer === undefined) {
        return fail(
            "queue",
            `must name a queue an app user of vhost ${vhost} consumes, since PerfTest consumes only as an app user (got ${quote(queue)}). Fix: choose another queue or let an app consume it (consumes in the topology)`,
        );
    }
    const publisher = v.users.find((u) => mayPublish(u, route.exchange, route.routingKey))!;
    return {
        vhost,
        queue,
        ...route,
        publisher: asTestUser(publisher),
        consumer: asTestUser(consumer),
    };
}
