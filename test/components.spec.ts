import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as rabbitmq from "@pulumi/rabbitmq";
import { AppCredentials } from "../components/appCredentials";
import { ClusterOperator } from "../components/clusterOperator";
import { MessagingTopology } from "../components/messagingTopology";
import { RabbitmqCluster } from "../components/rabbitmqCluster";
import { parsePlatformConfig } from "../lib/config";
import { projectRoot } from "../lib/project";
import { loadStackConfig } from "../lib/stackConfig";
import { setComponentMocks } from "./support";

const resourceError = (message: string) => (e: unknown) => {
    assert.ok(e instanceof pulumi.ResourceError, `expected a ResourceError, got ${String(e)}`);
    assert.strictEqual(e.message, message);
    return true;
};

function assertResourceError(construct: () => unknown, message: string): void {
    assert.throws(construct, resourceError(message));
}

/** Argument validation happens in the constructor, before any child exists: each error is exact. */
describe("component argument validation", function () {
    before(async function () {
        await setComponentMocks("components");
    });

    it("ClusterOperator refuses a version that is not an exact release tag", function () {
        assertResourceError(
            () => new ClusterOperator("op", { version: "latest", defaultImage: "rabbitmq:4.0.5-management" }),
            'ClusterOperator `version` must be an exact release tag such as v2.22.3 (got "latest").',
        );
    });

    it("RabbitmqCluster refuses to be built with no way to reach the management API", function () {
        const settings = parsePlatformConfig(loadStackConfig(projectRoot(), "dev").config);
        assertResourceError(
            () => new RabbitmqCluster("c", { settings: { ...settings, managementService: "none" } }),
            "RabbitmqCluster needs `managementEndpoint` or a `managementService` (LoadBalancer or NodePort): the rabbitmq provider must reach the management API from where `pulumi up` runs.",
        );
    });

    it("MessagingTopology refuses an empty topology", async function () {
        const provider = new rabbitmq.Provider("p", {
            endpoint: "http://127.0.0.1:15672",
            username: "u",
            password: "p",
        });
        await assert.rejects(
            MessagingTopology.create("t", { topology: { vhosts: [] }, provider }),
            resourceError("MessagingTopology `topology` must declare at least one vhost."),
        );
    });

    it("AppCredentials refuses a Secret for a user that has no credentials", async function () {
        await assert.rejects(
            AppCredentials.create("a", {
                secrets: [{ user: "ghost", namespace: "ns", name: "s" }],
                credentials: {},
                endpoint: { tls: false, host: "h", port: 5672 },
            }),
            resourceError(
                'AppCredentials `secrets` names user "ghost", which has no credentials; declare the user in the topology.',
            ),
        );
    });
});
