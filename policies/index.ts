// Entry point the Pulumi CLI runs (compiled to bin/index.js): it only assembles the pack. Constructing a
// PolicyPack starts the analyzer's gRPC server, so nothing else (tests, the offline check) may import this file.

import { PolicyPack } from "@pulumi/policy";
import { PACK_ENFORCEMENT_LEVEL, PACK_NAME, policies } from "./policies";

new PolicyPack(PACK_NAME, { policies, enforcementLevel: PACK_ENFORCEMENT_LEVEL });
