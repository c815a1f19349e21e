import * as assert from "assert";
import { operatorCrdFile } from "./operatorCrd";

describe("the operator's CRD from its Go module (test/operatorCrd.ts)", function () {
    const saved = { RABBITMQ_CRD: process.env.RABBITMQ_CRD, GOPROXY: process.env.GOPROXY };

    beforeEach(function () {
        delete process.env.RABBITMQ_CRD;
    });

    afterEach(function () {
        for (const [key, value] of Object.entries(saved)) {
            if (value === undefined) {
                delete process.env[key];
            } else {
                process.env[key] = value;
            }
        }
    });

    it("names the missing prerequisite when there is no go command", function () {
        assert.throws(() => operatorCrdFile("v2.22.3", ["/nonexistent/go"]), {
            message:
                "The CRD schema test needs Go 1.26 or newer (the go command, on PATH or at /usr/local/go/bin/go): it " +
                "downloads github.com/rabbitmq/cluster-operator/v2@v2.22.3 for the operator's RabbitmqCluster CRD. " +
                "Install Go (README, Prerequisites), or set RABBITMQ_CRD to that release's " +
                "rabbitmq.com_rabbitmqclusters.yaml.",
        });
    });

    it("passes on go's own reason when the module cannot be downloaded", function () {
        // A release no test downloads, so it is not in the module cache, and no proxy to ask.
        process.env.GOPROXY = "off";
        assert.throws(() => operatorCrdFile("v2.0.0"), {
            message:
                "go mod download github.com/rabbitmq/cluster-operator/v2@v2.0.0 failed:\n" +
                "github.com/rabbitmq/cluster-operator/v2@v2.0.0: module lookup disabled by GOPROXY=off\n" +
                "The CRD schema test needs that module from the Go module proxy (the operator version the stack " +
                "pins), or RABBITMQ_CRD set to its rabbitmq.com_rabbitmqclusters.yaml.",
        });
    });

    it("reads RABBITMQ_CRD instead when it is set, without running go", function () {
        process.env.RABBITMQ_CRD = "/some/crd.yaml";
        assert.strictEqual(operatorCrdFile("v2.22.3", ["/nonexistent/go"]), "/some/crd.yaml");
    });
});
