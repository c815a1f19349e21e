/**
 * The one place the program reads its configuration: every `rabbitmq-platform:*` key and the topology file,
 * validated before any resource is registered.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { YAMLException } from "js-yaml";
import { ConfigError, parsePlatformConfig, PlatformConfig, PROJECT } from "./lib/config";
import { projectRoot } from "./lib/project";
import { perfTestRoute, PerfTestRoute } from "./lib/perfTest";
import { normalizeTopology, NormalizedTopology, TopologyOptions } from "./lib/topology";
import { parseYaml } from "./lib/yaml";

export interface Settings {
    config: PlatformConfig;
    topology: NormalizedTopology;
    /** Secret; set only in external mode. */
    externalAdminPassword?: pulumi.Output<string>;
    /** The in-cluster PerfTest's route through the topology, when `perfTest.enabled`. */
    perfTestRoute?: PerfTestRoute;
}

/** `isConfigSecret` exists in the runtime but is missing from its type declarations. */
const runtimeConfig = pulumi.runtime as unknown as { isConfigSecret(key: string): boolean };

export function loadTopologyFile(file: string, options: TopologyOptions): NormalizedTopology {
    const resolved = path.resolve(projectRoot(), file);
    let text: string;
    try {
        text = fs.readFileSync(resolved, "utf8");
    } catch {
        throw new ConfigError(
            [
                {
                    key: `${PROJECT}:topologyFile`,
                    message: `cannot read ${resolved}. Fix: point it at an existing topology file`,
                },
            ],
            "stack configuration",
        );
    }
    let content: unknown;
    try {
        content = parseYaml(text, file);
    } catch (e) {
        if (!(e instanceof YAMLException)) {
            throw e;
        }
        throw new ConfigError(
            [{ key: `${file}: line ${e.mark.line + 1}`, message: `${e.reason}. Fix: correct the YAML` }],
            `topology (${file})`,
        );
    }
    return normalizeTopology(content, file, options);
}

/**
 * The validated settings, or a `pulumi.RunError` with the ConfigError's message: the Node.js host prints a
 * RunError once, without a stack (any other error is printed as an "unhandled exception" with its fields dumped).
 */
export function readSettings(): Settings {
    try {
        return validatedSettings();
    } catch (e) {
        throw e instanceof ConfigError ? new pulumi.RunError(e.message) : e;
    }
}

function validatedSettings(): Settings {
    const raw = pulumi.runtime.allConfig();
    const secretKeys = Object.keys(raw).filter((k) => runtimeConfig.isConfigSecret(k));
    const config = parsePlatformConfig(raw, secretKeys);
    const topology = loadTopologyFile(config.topologyFile, config);
    const perfTest = config.perfTest;
    return {
        config,
        topology,
        ...(perfTest?.enabled === true
            ? { perfTestRoute: perfTestRoute(topology, perfTest.vhost!, perfTest.queue!) }
            : {}),
        ...(config.mode === "external"
            ? { externalAdminPassword: new pulumi.Config(PROJECT).requireSecret("externalAdminPassword") }
            : {}),
    };
}
