/**
 * The one place the program reads its configuration: every `rabbitmq-platform:*` key and the topology file,
 * validated before any resource is registered.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { YAMLException } from "js-yaml";
import { ConfigError, parsePlatformConfig, PlatformConfig, PROJECT } from "./lib/config";
import { quote } from "./lib/suggest";
import { IMAGE_ROLES, ImageRole, resolveImage, upstreamImages } from "./lib/images";
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
    /** Where the install steps come from: upstream by default, local copies and mirrors in air-gapped clusters. */
    sources: InstallSources;
}

export interface InstallSources {
    /** The Cluster Operator's release manifest as an absolute path or a URL, or undefined for its GitHub release. */
    operatorManifest?: string;
    /** cert-manager's chart as an absolute path (a folder or .tgz), or undefined for the jetstack repository. */
    certManagerChart?: string;
    /** The image of each role, where it differs from the upstream one (`imageRegistry`, `images`). */
    images: Partial<Record<ImageRole, string>>;
}

const isUrl = (location: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(location);

/** A local path named by `key`, resolved against the project folder; a ConfigError when it does not exist. */
function existingPath(key: string, location: string, fix: string): string {
    const resolved = path.resolve(projectRoot(), location);
    if (!fs.existsSync(resolved)) {
        throw new ConfigError(
            [
                {
                    key: `${PROJECT}:${key}`,
                    message: `names ${resolved}, which does not exist (got ${JSON.stringify(location)}). Fix: ${fix}`,
                },
            ],
            "stack configuration",
        );
    }
    return resolved;
}

/** A chart folder's Chart.yaml must carry the pinned version: a local chart must not silently change it. */
function checkChartVersion(chart: string, version: string): void {
    const chartFile = path.join(chart, "Chart.yaml");
    if (!fs.statSync(chart).isDirectory()) {
        return; // an archive: Helm reads its version, and the Release shows it
    }
    const key = `${PROJECT}:certManagerChart`;
    const found = fs.existsSync(chartFile)
        ? (parseYaml(fs.readFileSync(chartFile, "utf8"), chartFile) as { version?: unknown } | null)?.version
        : undefined;
    if (found === undefined) {
        throw new ConfigError(
            [
                {
                    key,
                    message: `names ${chart}, which has no Chart.yaml with a version. Fix: point it at cert-manager's chart folder or .tgz archive`,
                },
            ],
            "stack configuration",
        );
    }
    if (String(found) !== version) {
        throw new ConfigError(
            [
                {
                    key,
                    message:
                        `names a chart of version ${String(found)}, but certManagerVersion pins ${version}. Fix: ` +
                        `use the ${version} chart, or pulumi config set ${PROJECT}:certManagerVersion ${String(found)}`,
                },
            ],
            "stack configuration",
        );
    }
}

export function installSources(config: PlatformConfig): InstallSources {
    const operatorManifest =
        config.operatorManifest === undefined || isUrl(config.operatorManifest)
            ? config.operatorManifest
            : existingPath(
                  "operatorManifest",
                  config.operatorManifest,
                  `copy cluster-operator.yml of ${config.operatorVersion} there, or name its URL`,
              );
    const certManagerChart =
        config.certManagerChart === undefined
            ? undefined
            : existingPath(
                  "certManagerChart",
                  config.certManagerChart,
                  `copy cert-manager's ${config.certManagerVersion} chart (folder or .tgz) there`,
              );
    if (certManagerChart !== undefined) {
        checkChartVersion(certManagerChart, config.certManagerVersion);
    }
    const upstream = upstreamImages(config);
    const images: Partial<Record<ImageRole, string>> = {};
    for (const role of IMAGE_ROLES) {
        const image = resolveImage(upstream[role], config.imageRegistry, config.images?.[role]);
        if (image !== upstream[role]) {
            images[role] = image;
        }
    }
    return { operatorManifest, certManagerChart, images };
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
                    message: `must name a readable topology file; cannot read ${resolved} (got ${quote(file)}). Fix: point it at an existing topology file`,
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
            [
                {
                    key: `${file}: line ${e.mark.line + 1}`,
                    message: `${e.reason} (got ${quote(text.split("\n")[e.mark.line] ?? "")}). Fix: correct the YAML`,
                },
            ],
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
    const parsed = parsePlatformConfig(raw, secretKeys);
    // imageRegistry moves RabbitMQ's own image to the mirror too.
    const config = { ...parsed, image: resolveImage(parsed.image, parsed.imageRegistry, undefined) };
    const topology = loadTopologyFile(config.topologyFile, config);
    const perfTest = config.perfTest;
    return {
        config,
        topology,
        sources: installSources(config),
        ...(perfTest?.enabled === true
            ? { perfTestRoute: perfTestRoute(topology, perfTest.vhost!, perfTest.queue!) }
            : {}),
        ...(config.mode === "external"
            ? { externalAdminPassword: new pulumi.Config(PROJECT).requireSecret("externalAdminPassword") }
            : {}),
    };
}
