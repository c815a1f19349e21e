import * as assert from "assert";
import { enforceInstallOrdering } from "../../rules/enforceInstallOrdering";
import { T, URN, find, happyStack } from "../fixtures";
import { assertViolations, runStackPolicy } from "../harness";

describe("enforce-install-ordering", function () {
    const policy = enforceInstallOrdering;

    it("passes cert-manager, operator, cluster, topology in order", async function () {
        assertViolations(await runStackPolicy(policy, happyStack()), []);
    });

    it("fails an operator that does not depend on cert-manager", async function () {
        const stack = happyStack();
        find(stack, T.configFile, "cluster-operator").dependencies = [];
        const out = await runStackPolicy(policy, stack);
        assertViolations(out, [
            "cluster-operator (kubernetes:yaml/v2:ConfigFile) does not depend on cert-manager (cert-manager (kubernetes:helm.sh/v3:Release)); the operator's webhooks need cert-manager's certificates, and cert-manager must outlive the operator on destroy. Add dependsOn: [certManager] to the operator resources.",
            "cluster-operator-env (kubernetes:apps/v1:DeploymentPatch) does not depend on cert-manager (cert-manager (kubernetes:helm.sh/v3:Release)); the operator's webhooks need cert-manager's certificates, and cert-manager must outlive the operator on destroy. Add dependsOn: [certManager] to the operator resources.",
        ]);
        assert.strictEqual(out.violations[0].urn, URN.operator);
    });

    it("fails a cluster that does not depend on the operator", async function () {
        const stack = happyStack();
        find(stack, T.cluster, "rabbitmq").dependencies = [URN.adminSecret];
        assertViolations(await runStackPolicy(policy, stack), [
            "rabbitmq (kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster) does not depend on the Cluster Operator (cluster-operator (kubernetes:yaml/v2:ConfigFile), cluster-operator-env (kubernetes:apps/v1:DeploymentPatch)); on destroy the operator can go first and the cluster's finalizer is never removed. Add dependsOn on the operator resources to the cluster.",
        ]);
    });

    it("accepts the dependency through a parent component", async function () {
        const stack = happyStack();
        stack.push({
            type: "rabbitmq-platform:index:Broker",
            name: "broker",
            inputs: {},
            dependencies: [URN.operator],
        });
        const cluster = find(stack, T.cluster, "rabbitmq");
        cluster.dependencies = [URN.adminSecret];
        cluster.parent = "urn:pulumi:test::rabbitmq-platform::rabbitmq-platform:index:Broker::broker";
        assertViolations(await runStackPolicy(policy, stack), []);
    });

    it("fails topology whose provider does not come from the cluster", async function () {
        const stack = happyStack();
        const provider = find(stack, T.provider, "rabbitmq");
        provider.dependencies = [URN.adminPassword];
        provider.propertyDependencies = { password: [URN.adminPassword] };
        const out = await runStackPolicy(policy, stack);
        // The provider and all eight broker-side resources.
        assert.strictEqual(out.violations.length, 10);
        assert.strictEqual(
            out.violations[0].message,
            "rabbitmq (pulumi:providers:rabbitmq) does not depend on a RabbitmqCluster (rabbitmq (kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster)); it could be created before the broker exists or outlive it on destroy. Make the rabbitmq provider's endpoint and credentials come from the cluster, and use that provider.",
        );
    });

    it("does not pull in siblings through a shared parent", async function () {
        const stack = happyStack();
        const root = "urn:pulumi:test::rabbitmq-platform::pulumi:pulumi:Stack::rabbitmq-platform-test";
        stack.push({ type: T.stack, name: "rabbitmq-platform-test", inputs: {} });
        for (const r of stack) {
            if (r.type !== T.stack) {
                r.parent = root;
            }
        }
        find(stack, T.cluster, "rabbitmq").dependencies = [URN.adminSecret];
        assert.strictEqual((await runStackPolicy(policy, stack)).violations.length, 1);
    });

    it("checks only the edges inside the stack when cert-manager or the broker live outside it", async function () {
        const external = happyStack().filter(
            (r) => ![T.release, T.configFile, T.deploymentPatch, T.cluster, T.pdb].includes(r.type),
        );
        assertViolations(await runStackPolicy(policy, external), []);
        const preinstalledCertManager = happyStack().filter((r) => r.type !== T.release);
        assertViolations(await runStackPolicy(policy, preinstalledCertManager), []);
    });
});
