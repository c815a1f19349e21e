import * as coreV1 from "@pulumi/kubernetes/core/v1";
import * as pulumi from "@pulumi/pulumi";
import { amqpUrl, AmqpEndpoint } from "../lib/amqpUrl";
import { pacer } from "../lib/pace";
import type { AppUserCredentials } from "./messagingTopology";

export interface AppSecretSpec {
    /** RabbitMQ user the Secret carries. */
    user: string;
    namespace: string;
    name: string;
}

export interface AppCredentialsArgs {
    /** One Secret per app user: where it goes. */
    secrets: AppSecretSpec[];
    /** Credentials per user name (MessagingTopology `users`). */
    credentials: Record<string, AppUserCredentials>;
    /** Where apps reach AMQP. */
    endpoint: pulumi.Input<AmqpEndpoint>;
    /**
     * PEM of the CA that signed the broker's certificate, written as `ca.crt` so apps verify the broker.
     * @default none (plain AMQP, or a broker with a publicly trusted certificate)
     */
    caCertificate?: pulumi.Input<string>;
    /**
     * Create the app namespaces (for dev clusters); otherwise they must already exist.
     * @default false
     */
    createNamespaces?: boolean;
}

/**
 * A Kubernetes Secret per app user, in the app's namespace, with `AMQP_URL` (vhost and password URL-encoded) and
 * the service-binding keys (host, port, username, password, vhost, type, provider, and `ca.crt` with TLS). Each
 * app gets only its own. Made with `await AppCredentials.create(...)`, which declares the Secrets a few at a time
 * (lib/pace.ts).
 */
export class AppCredentials extends pulumi.ComponentResource {
    /** Secret names per namespace. */
    readonly secretNames: Record<string, string[]> = {};
    /** The Secrets per `<namespace>/<name>`, for what reads them. */
    readonly secrets: Record<string, coreV1.Secret> = {};

    /** Resolves once every Secret is declared; rejects, before declaring any, on invalid arguments. */
    static async create(
        name: string,
        args: AppCredentialsArgs,
        opts: pulumi.ComponentResourceOptions = {},
    ): Promise<AppCredentials> {
        const component = new AppCredentials(name, args, opts);
        await component.declareSecrets(name, args);
        component.registerOutputs({ secretNames: component.secretNames });
        return component;
    }

    private constructor(name: string, args: AppCredentialsArgs, opts: pulumi.ComponentResourceOptions) {
        super("rabbitmq-platform:apps:AppCredentials", name, {}, opts);
        for (const spec of args.secrets) {
            if (args.credentials[spec.user] === undefined) {
                throw new pulumi.ResourceError(
                    `AppCredentials \`secrets\` names user ${JSON.stringify(spec.user)}, which has no credentials; declare the user in the topology.`,
                    this,
                );
            }
        }
    }

    private async declareSecrets(name: string, args: AppCredentialsArgs): Promise<void> {
        const pace = pacer();
        const namespaces = new Map<string, pulumi.Resource>();
        if (args.createNamespaces ?? false) {
            for (const ns of new Set(args.secrets.map((s) => s.namespace))) {
                namespaces.set(
                    ns,
                    new coreV1.Namespace(
                        `${name}-namespace-${ns}`,
                        { metadata: { name: ns } },
                        { parent: this },
                    ),
                );
            }
        }
        for (const spec of args.secrets) {
            const creds = args.credentials[spec.user];
            const namespace = namespaces.get(spec.namespace);
            this.secrets[`${spec.namespace}/${spec.name}`] = new coreV1.Secret(
                `${name}-${spec.namespace}-${spec.name}`,
                {
                    metadata: {
                        name: spec.name,
                        namespace: spec.namespace,
                        labels: { "app.kubernetes.io/managed-by": "rabbitmq-platform" },
                    },
                    type: "Opaque",
                    stringData: pulumi.secret(
                        pulumi
                            .all([
                                args.endpoint,
                                creds.username,
                                creds.password,
                                creds.vhost,
                                args.caCertificate,
                            ])
                            .apply(([endpoint, username, password, vhost, ca]) => ({
                                AMQP_URL: amqpUrl(endpoint, username, password, vhost),
                                host: endpoint.host,
                                port: String(endpoint.port),
                                username,
                                password,
                                vhost,
                                type: "rabbitmq",
                                provider: "rabbitmq",
                                ...(ca === undefined ? {} : { "ca.crt": ca }),
                            })),
                    ),
                },
                // The credentials only work once the user and its permissions exist.
                {
                    parent: this,
                    dependsOn: namespace === undefined ? creds.grants : [...creds.grants, namespace],
                },
            );
            (this.secretNames[spec.namespace] ??= []).push(spec.name);
            await pace();
        }
    }
}
