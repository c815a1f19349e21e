// The pack's policies and their enforcement levels, in one place. Per-environment differences (replica
// minimums, production shape) go through policy config (see config.<stack>.json), never through levels
// chosen here by stack name.

import type {
    EnforcementLevel,
    Policies,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import { configurePoisonMessageHandling } from "./rules/configurePoisonMessageHandling";
import { disallowClassicQueueMirroring } from "./rules/disallowClassicQueueMirroring";
import { disallowGuestUser } from "./rules/disallowGuestUser";
import { disallowPlaintextCredentials } from "./rules/disallowPlaintextCredentials";
import { disallowPrivilegedAppUsers } from "./rules/disallowPrivilegedAppUsers";
import { disallowUnrestrictedPermissions } from "./rules/disallowUnrestrictedPermissions";
import { disallowUntypedQueueArguments } from "./rules/disallowUntypedQueueArguments";
import { enforceClusterReplicaMinimum } from "./rules/enforceClusterReplicaMinimum";
import { enforceDurableExchanges } from "./rules/enforceDurableExchanges";
import { enforceInstallOrdering } from "./rules/enforceInstallOrdering";
import { enforcePinnedRabbitmqImage } from "./rules/enforcePinnedRabbitmqImage";
import { enforceProductionShape } from "./rules/enforceProductionShape";
import { enforceQuorumGroupSize } from "./rules/enforceQuorumGroupSize";
import { enforceQuorumQueues } from "./rules/enforceQuorumQueues";

/** The pack's name, as `pulumi preview` prints it. */
export const PACK_NAME = "rabbitmq-platform";

/** The level of any policy without one of its own. */
export const PACK_ENFORCEMENT_LEVEL: EnforcementLevel = "advisory";

function at<T extends ResourceValidationPolicy | StackValidationPolicy>(
    level: EnforcementLevel,
    policy: T,
): T {
    return { ...policy, enforcementLevel: level };
}

export const policies: Policies = [
    at("mandatory", enforceQuorumQueues),
    at("mandatory", disallowUntypedQueueArguments),
    at("mandatory", enforceClusterReplicaMinimum),
    at("mandatory", enforceQuorumGroupSize),
    at("advisory", configurePoisonMessageHandling),
    at("mandatory", disallowGuestUser),
    at("mandatory", disallowPlaintextCredentials),
    at("mandatory", disallowUnrestrictedPermissions),
    at("mandatory", enforceProductionShape),
    at("mandatory", enforceInstallOrdering),
    at("mandatory", enforcePinnedRabbitmqImage),
    at("mandatory", disallowClassicQueueMirroring),
    at("mandatory", enforceDurableExchanges),
    at("mandatory", disallowPrivilegedAppUsers),
];
