// Looks up what a broker-side resource lives on: the RabbitmqCluster its provider reaches.

import type { PolicyResource } from "@pulumi/policy";
import { RABBITMQ_CLUSTER } from "./tokens";
import { dependencyClosure } from "./validation";

/**
 * The RabbitmqClusters a resource depends on, found through its provider and the provider's dependencies
 * (the endpoint and credentials come from the cluster's Service and Secret).
 */
export function clustersOf(r: PolicyResource, all: PolicyResource[]): PolicyResource[] {
    return [...dependencyClosure(r, all)].filter((d) => d.type === RABBITMQ_CLUSTER);
}
