import * as pulumi from "@pulumi/pulumi";
import * as rabbitmq from "@pulumi/rabbitmq";
import * as random from "@pulumi/random";
import { bindingObjectName, topologyResourceName } from "../lib/naming";
import { pacer } from "../lib/pace";
import type { NormalizedTopology, NormalizedVhost } from "../lib/topology";

export interface MessagingTopologyArgs {
    /** Validated topology (lib/topology.ts `normalizeTopology`). */
    topology: NormalizedTopology;
    /** The explicit rabbitmq provider pointed at the broker's management API. */
    provider: rabbitmq.Provider;
    /**
     * Pulumi-protect vhosts and queues: any change to a queue's arguments replaces it, a replaced queue loses its
     * messages, and deleting a vhost deletes every queue in it.
     * @default true
     */
    protect?: boolean;
}

/** What an app needs to connect: its user, its generated password (secret) and its vhost. */
export interface AppUserCredentials {
    username: pulumi.Output<string>;
    password: pulumi.Output<string>;
    vhost: pulumi.Output<string>;
    /** Resources that must exist before the credentials work (the user and its permissions). */
    grants: pulumi.Resource[];
}

/**
 * Password characters: letters, digits and symbols that need URL-encoding in an AMQP URL, so every app Secret
 * proves its URL is encoded. No quotes, backslashes or whitespace (shell and YAML hazards).
 */
const PASSWORD_SPECIALS = "@/:#%?&=+!";

/**
 * Vhosts, exchanges, quorum queues, bindings, per-queue policies, app users and their permissions. Made with
 * `await MessagingTopology.create(...)`: it declares its children a few at a time, yielding to the event loop in
 * between (lib/pace.ts), so that a topology of thousands of queues does not hold every one of them in memory before
 * the first is registered.
 */
export class MessagingTopology extends pulumi.ComponentResource {
    /** Per app user name. */
    readonly users: Record<string, AppUserCredentials> = {};
    readonly vhosts: pulumi.Output<string>[] = [];
    readonly queues: pulumi.Output<string>[] = [];
    /** Per `<vhost>/<queue>`: the queue, its policy and the bindings into it, what a client of it waits for. */
    readonly queueRoutes: Record<string, pulumi.Resource[]> = {};

    /** Resolves once every child is declared; rejects, before declaring any, on invalid arguments. */
    static async create(
        name: string,
        args: MessagingTopologyArgs,
        opts: pulumi.ComponentResourceOptions = {},
    ): Promise<MessagingTopology> {
        const component = new MessagingTopology(name, args, opts);
        const pace = pacer();
        for (const vhost of args.topology.vhosts) {
            await component.declareVhost(name, vhost, args.provider, args.protect ?? true, pace);
        }
        component.registerOutputs({ vhosts: component.vhosts, queues: component.queues });
        return component;
    }

    private constructor(name: string, args: MessagingTopologyArgs, opts: pulumi.ComponentResourceOptions) {
        super("rabbitmq-platform:topology:MessagingTopology", name, {}, opts);
        if (args.topology.vhosts.length === 0) {
            throw new pulumi.ResourceError(
                "MessagingTopology `topology` must declare at least one vhost.",
                this,
            );
        }
    }

    private async declareVhost(
        name: string,
        v: NormalizedVhost,
        provider: rabbitmq.Provider,
        protect: boolean,
        pace: () => Promise<void>,
    ): Promise<void> {
        const self = { parent: this, provider };
        const resourceName = (kind: Parameters<typeof topologyResourceName>[1], object?: string) =>
            topologyResourceName(name, kind, v.name, object);
        const vhost = new rabbitmq.VHost(resourceName("vhost"), { name: v.name }, { ...self, protect });
        this.vhosts.push(vhost.name);

        const exchanges = new Map<string, rabbitmq.Exchange>();
        for (const e of v.exchanges) {
            exchanges.set(
                e.name,
                new rabbitmq.Exchange(
                    resourceName("exchange", e.name),
                    {
                        name: e.name,
                        vhost: vhost.name,
                        settings: { type: e.type, durable: true, autoDelete: false },
                    },
                    self,
                ),
            );
        }
        const queues = new Map<string, rabbitmq.Queue>();
        for (const q of v.queues) {
            const queue = new rabbitmq.Queue(
                resourceName("queue", q.name),
                {
                    name: q.name,
                    vhost: vhost.name,
                    // Quorum queues must be durable and never auto-delete; numeric arguments go through
                    // argumentsJson because `arguments` sends every value as a string.
                    settings: {
                        durable: true,
                        autoDelete: false,
                        argumentsJson: JSON.stringify(q.arguments),
                    },
                },
                { ...self, protect },
            );
            queues.set(q.name, queue);
            const route: pulumi.Resource[] = [queue];
            this.queueRoutes[`${v.name}/${q.name}`] = route;
            this.queues.push(pulumi.interpolate`${vhost.name}/${queue.name}`);
            if (q.policy !== undefined) {
                const policy = new rabbitmq.Policy(
                    resourceName("policy", q.policy.name),
                    {
                        name: q.policy.name,
                        vhost: vhost.name,
                        policy: {
                            pattern: q.policy.pattern,
                            priority: q.policy.priority,
                            applyTo: q.policy.applyTo,
                            definition: q.policy.definition,
                        },
                    },
                    self,
                );
                route.push(policy);
            }
            await pace();
        }
        for (const b of v.bindings) {
            const binding = new rabbitmq.Binding(
                resourceName("binding", bindingObjectName(b.exchange, b.queue, b.routingKey)),
                {
                    vhost: vhost.name,
                    source: exchanges.get(b.exchange)!.name,
                    destination: queues.get(b.queue)!.name,
                    destinationType: "queue",
                    routingKey: b.routingKey,
                },
                self,
            );
            this.queueRoutes[`${v.name}/${b.queue}`].push(binding);
            await pace();
        }
        for (const u of v.users) {
            const password = new random.RandomPassword(
                resourceName("password", u.name),
                { length: 32, special: true, overrideSpecial: PASSWORD_SPECIALS, minSpecial: 2 },
                { parent: this },
            );
            const user = new rabbitmq.User(
                resourceName("user", u.name),
                { name: u.name, password: password.result, tags: [] },
                self,
            );
            const grants: pulumi.Resource[] = [
                user,
                new rabbitmq.Permissions(
                    resourceName("permissions", u.name),
                    { user: user.name, vhost: vhost.name, permissions: u.permissions },
                    self,
                ),
            ];
            if (u.topicPermissions.length > 0) {
                // The provider keys topic permissions by user and vhost: one resource holds all exchanges.
                grants.push(
                    new rabbitmq.TopicPermissions(
                        resourceName("topic-permissions", u.name),
                        { user: user.name, vhost: vhost.name, permissions: u.topicPermissions },
                        self,
                    ),
                );
            }
            this.users[u.name] = {
                username: user.name,
                password: pulumi.secret(password.result),
                vhost: vhost.name,
                grants,
            };
            await pace();
        }
    }
}
