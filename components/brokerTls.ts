import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as apiextensions from "@pulumi/kubernetes/apiextensions";
import * as coreV1 from "@pulumi/kubernetes/core/v1";
import * as pulumi from "@pulumi/pulumi";
import { clientServiceHost } from "../lib/clusterSpec";

export interface IssuerRef {
    kind: "ClusterIssuer" | "Issuer";
    name: string;
}

export interface BrokerTlsArgs {
    /** Namespace of the RabbitmqCluster (and of the certificate Secret the operator mounts). */
    namespace: pulumi.Input<string>;
    clusterName: string;
    /**
     * An existing cert-manager issuer. Its CA must end up in the Secret's `ca.crt` (CA and Vault issuers do).
     * @default a self-signed CA made for this cluster
     */
    issuer?: IssuerRef;
    /**
     * Further names the management API is reached by from where `pulumi up` runs (a LoadBalancer address, a node
     * address); IP addresses go to the certificate's IP SANs, the rest to its DNS names.
     * @default []
     */
    extraHosts?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * What must be serving before cert-manager objects can be created (its CRDs and webhook): the cert-manager
     * chart; empty when the cluster already runs cert-manager.
     * @default []
     */
    certManager?: pulumi.Resource[];
}

const CERT_MANAGER_API = "cert-manager.io/v1";
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** The names a broker is reached by inside the cluster: its client Service and each node's stable name. */
export function brokerDnsNames(clusterName: string, namespace: string): string[] {
    return [
        clientServiceHost(clusterName, namespace),
        `${clusterName}.${namespace}.svc.cluster.local`,
        `*.${clusterName}-nodes.${namespace}.svc`,
        `*.${clusterName}-nodes.${namespace}.svc.cluster.local`,
    ];
}

/**
 * The broker's server certificate from cert-manager, and its CA certificate for clients. With no issuer given it
 * makes a self-signed CA for the cluster (selfSigned Issuer -> CA Certificate -> CA Issuer), so apps and the
 * provider verify the broker instead of skipping verification.
 */
export class BrokerTls extends pulumi.ComponentResource {
    /** The Secret (`tls.crt`, `tls.key`, `ca.crt`) the RabbitmqCluster's `spec.tls.secretName` names. */
    readonly secretName: string;
    /** Wait for this before the cluster: the operator mounts the Secret. */
    readonly certificate: apiextensions.CustomResource;
    /** PEM of the CA that signed the broker's certificate; unknown until the certificate exists. */
    readonly caCertificate: pulumi.Output<string>;

    constructor(name: string, args: BrokerTlsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("rabbitmq-platform:tls:BrokerTls", name, {}, opts);
        this.secretName = `${args.clusterName}-tls`;
        const ready = { "pulumi.com/waitFor": "condition=Ready" };
        // The self-signed chain is created at once: cert-manager retries each object until the one it refers to
        // by name is ready, and the server certificate is awaited until Ready, which needs the whole chain.
        const issuerRef = args.issuer ?? this.selfSignedCa(name, args);
        const hosts = pulumi.output(args.extraHosts ?? []);
        this.certificate = new apiextensions.CustomResource(
            `${name}-server`,
            {
                apiVersion: CERT_MANAGER_API,
                kind: "Certificate",
                metadata: { name: this.secretName, namespace: args.namespace, annotations: ready },
                spec: {
                    secretName: this.secretName,
                    commonName: pulumi
                        .output(args.namespace)
                        .apply((ns) => clientServiceHost(args.clusterName, ns)),
                    dnsNames: pulumi
                        .all([args.namespace, hosts])
                        .apply(([ns, extra]) => [
                            ...brokerDnsNames(args.clusterName, ns),
                            ...extra.filter((h) => !IPV4.test(h)),
                        ]),
                    ipAddresses: hosts.apply((extra) => extra.filter((h) => IPV4.test(h))),
                    duration: "2160h",
                    renewBefore: "720h",
                    privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
                    usages: ["server auth", "digital signature", "key encipherment"],
                    issuerRef: { ...issuerRef, group: "cert-manager.io" },
                },
            },
            { parent: this, dependsOn: args.certManager ?? [] },
        );
        // Read only once the certificate exists (its id is unknown while it is being created, so the first
        // preview skips the read instead of failing on a Secret that does not exist yet).
        const secret = coreV1.Secret.get(
            `${name}-server-secret`,
            pulumi.all([this.certificate.id, args.namespace]).apply(([, ns]) => `${ns}/${this.secretName}`),
            { parent: this },
        );
        this.caCertificate = secret.data.apply((d) =>
            Buffer.from(d?.["ca.crt"] ?? "", "base64").toString("utf8"),
        );
        this.registerOutputs({ caCertificate: this.caCertificate });
    }

    private selfSignedCa(name: string, args: BrokerTlsArgs): IssuerRef {
        const afterCertManager = { parent: this, dependsOn: args.certManager ?? [] };
        new apiextensions.CustomResource(
            `${name}-selfsigned`,
            {
                apiVersion: CERT_MANAGER_API,
                kind: "Issuer",
                metadata: { name: `${args.clusterName}-selfsigned`, namespace: args.namespace },
                spec: { selfSigned: {} },
            },
            afterCertManager,
        );
        const caSecret = `${args.clusterName}-ca`;
        new apiextensions.CustomResource(
            `${name}-ca`,
            {
                apiVersion: CERT_MANAGER_API,
                kind: "Certificate",
                metadata: { name: caSecret, namespace: args.namespace },
                spec: {
                    isCA: true,
                    commonName: `${args.clusterName} RabbitMQ CA`,
                    secretName: caSecret,
                    duration: "87600h",
                    privateKey: { algorithm: "ECDSA", size: 256 },
                    issuerRef: {
                        kind: "Issuer",
                        name: `${args.clusterName}-selfsigned`,
                        group: "cert-manager.io",
                    },
                },
            },
            afterCertManager,
        );
        new apiextensions.CustomResource(
            `${name}-ca-issuer`,
            {
                apiVersion: CERT_MANAGER_API,
                kind: "Issuer",
                metadata: { name: caSecret, namespace: args.namespace },
                spec: { ca: { secretName: caSecret } },
            },
            afterCertManager,
        );
        return { kind: "Issuer", name: caSecret };
    }
}

/**
 * The rabbitmq provider takes its CA as a file path (`cacertFile`), read where `pulumi up` runs. The CA exists
 * only in the cluster, so it is written to a file under the OS temp directory on every run that knows it.
 */
export function caCertificateFile(
    stack: string,
    clusterName: string,
    pem: pulumi.Output<string>,
): pulumi.Output<string> {
    return pem.apply((content) => {
        const file = path.join(os.tmpdir(), "rabbitmq-platform", `${stack}-${clusterName}-ca.crt`);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, content);
        return file;
    });
}
