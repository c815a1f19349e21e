/**
 * Every container image the stack runs, and where an air-gapped cluster pulls each from: the upstream reference
 * by default, the same repository under `imageRegistry` (a mirror that keeps upstream paths, as `crane copy` and
 * registry proxies lay them out), or a per-image override from `images`.
 */

/** The images besides RabbitMQ's own (whose key is `image`), named as in the `images` config key. */
export const IMAGE_ROLES = [
    "operator",
    "certManagerController",
    "certManagerWebhook",
    "certManagerCainjector",
    "certManagerStartupapicheck",
    "certManagerAcmesolver",
    "perfTest",
] as const;
export type ImageRole = (typeof IMAGE_ROLES)[number];

/** RabbitMQ's PerfTest release the in-cluster load test runs (its flags were checked against this version). */
export const PERFTEST_IMAGE = "pivotalrabbitmq/perf-test:2.25.0";

/** The upstream reference of each image, for the pinned operator and cert-manager versions. */
export function upstreamImages(versions: {
    operatorVersion: string;
    certManagerVersion: string;
}): Record<ImageRole, string> {
    const certManager = (component: string) =>
        `quay.io/jetstack/cert-manager-${component}:${versions.certManagerVersion}`;
    return {
        // The operator's release manifest names its image by the tag without the leading "v".
        operator: `rabbitmqoperator/cluster-operator:${versions.operatorVersion.replace(/^v/, "")}`,
        certManagerController: certManager("controller"),
        certManagerWebhook: certManager("webhook"),
        certManagerCainjector: certManager("cainjector"),
        certManagerStartupapicheck: certManager("startupapicheck"),
        certManagerAcmesolver: certManager("acmesolver"),
        perfTest: PERFTEST_IMAGE,
    };
}

/**
 * `reference` pulled from `registry` instead of its own registry, repository path kept. Docker Hub's implicit
 * parts are spelt out, as mirrors store them: `rabbitmq:4.0.5` is `library/rabbitmq:4.0.5` there.
 */
export function mirrored(reference: string, registry: string): string {
    const [first, ...rest] = reference.split("/");
    const hasRegistry =
        rest.length > 0 && (first.includes(".") || first.includes(":") || first === "localhost");
    const path = hasRegistry ? rest.join("/") : rest.length === 0 ? `library/${first}` : reference;
    return `${registry}/${path}`;
}

/** The image each role runs: the override, else the mirrored upstream image, else the upstream image. */
export function resolveImage(
    upstream: string,
    registry: string | undefined,
    override: string | undefined,
): string {
    return override ?? (registry === undefined ? upstream : mirrored(upstream, registry));
}

/** A reference split the way Helm charts take it (cert-manager's `image.repository` plus `tag` or `digest`). */
export function chartImage(
    reference: string,
): { repository: string; tag: string } | { repository: string; digest: string } {
    const at = reference.indexOf("@");
    if (at >= 0) {
        return { repository: reference.slice(0, at), digest: reference.slice(at + 1) };
    }
    const colon = reference.lastIndexOf(":");
    return { repository: reference.slice(0, colon), tag: reference.slice(colon + 1) };
}
