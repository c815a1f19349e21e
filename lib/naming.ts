/** Pulumi resource names for topology objects: unique per stack by construction, readable in `pulumi preview`. */

export type TopologyKind =
    | "vhost"
    | "exchange"
    | "queue"
    | "binding"
    | "policy"
    | "user"
    | "permissions"
    | "topic-permissions"
    | "password"
    | "secret";

/**
 * `<component>-<kind>:<vhost>/<object>`. Object names cannot contain `/` (validated), so the last `/` always
 * separates the vhost from the object and two different pairs never share a name.
 */
export function topologyResourceName(
    component: string,
    kind: TopologyKind,
    vhost: string,
    object?: string,
): string {
    return `${component}-${kind}:${vhost}${object === undefined ? "" : `/${object}`}`;
}

/** A binding is identified by its source, destination and routing key. */
export function bindingObjectName(exchange: string, queue: string, routingKey: string): string {
    return `${exchange}->${queue}${routingKey === "" ? "" : `[${routingKey}]`}`;
}
