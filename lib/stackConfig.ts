/**
 * Reads a stack's configuration the way the Pulumi CLI assembles it: project defaults from Pulumi.yaml, then the
 * stack file (Pulumi.<stack>.yaml, or any file of that format). Values become the strings Pulumi hands a program.
 */
import * as fs from "fs";
import * as path from "path";
import { readYamlFile } from "./yaml";

export interface StackConfig {
    project: string;
    /** `<namespace>:<key>` -> value as Pulumi stores it (objects and arrays as JSON). */
    config: Record<string, string>;
    /** Keys whose stack value is `secure:` (encrypted; the CLI would decrypt them). */
    secretKeys: string[];
}

interface ProjectConfigDecl {
    type?: string;
    default?: unknown;
    value?: unknown;
    secret?: boolean;
}

function asConfigString(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * @param projectDir the directory holding Pulumi.yaml.
 * @param stack the stack name (selects Pulumi.<stack>.yaml unless `configFile` is given).
 * @param configFile a stack file of the same format, read instead of Pulumi.<stack>.yaml.
 * @param secureValue what a `secure:` value becomes (the CLI decrypts it; offline there is no key).
 */
export function loadStackConfig(
    projectDir: string,
    stack: string,
    configFile?: string,
    secureValue: (key: string) => string = (key) => `offline-secret-for-${key}`,
): StackConfig {
    const projectFile = readYamlFile(path.join(projectDir, "Pulumi.yaml"));
    if (!isRecord(projectFile) || typeof projectFile.name !== "string") {
        throw new Error(`${projectDir}/Pulumi.yaml has no project name.`);
    }
    const project = projectFile.name;
    const qualify = (key: string) => (key.includes(":") ? key : `${project}:${key}`);
    const config: Record<string, string> = {};
    const required = new Set<string>();
    for (const [key, decl] of Object.entries(isRecord(projectFile.config) ? projectFile.config : {})) {
        if (isRecord(decl) && ("type" in decl || "default" in decl || "value" in decl)) {
            const d = decl as ProjectConfigDecl;
            const value = d.default ?? d.value;
            if (value === undefined) {
                required.add(qualify(key));
            } else {
                config[qualify(key)] = asConfigString(value);
            }
        } else {
            config[qualify(key)] = asConfigString(decl);
        }
    }

    const stackFile = configFile ?? path.join(projectDir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(stackFile)) {
        throw new Error(`Stack file ${stackFile} does not exist.`);
    }
    const stackDoc = readYamlFile(stackFile);
    const stackConfig = isRecord(stackDoc) && isRecord(stackDoc.config) ? stackDoc.config : {};
    const secretKeys: string[] = [];
    for (const [key, value] of Object.entries(stackConfig)) {
        const full = qualify(key);
        if (isRecord(value) && typeof value.secure === "string") {
            config[full] = secureValue(full);
            secretKeys.push(full);
        } else {
            config[full] = asConfigString(value);
        }
    }
    const missing = [...required].filter((k) => !(k in config));
    if (missing.length > 0) {
        throw new Error(
            `Stack ${stack} is missing configuration values ${missing.join(", ")} (declared without a default in Pulumi.yaml).`,
        );
    }
    return { project, config, secretKeys };
}
