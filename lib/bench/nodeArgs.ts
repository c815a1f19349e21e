/**
 * The node arguments Pulumi's Node.js language host starts a program with: Pulumi.yaml's `runtime.options.nodeargs`,
 * split on whitespace. The bench starts each measured program the same way, so a setting there counts in its figures.
 */
import * as path from "path";
import { readYamlFile } from "../yaml";

export function projectNodeArgs(projectDir: string): string[] {
    const project = readYamlFile(path.join(projectDir, "Pulumi.yaml")) as {
        runtime?: string | { options?: { nodeargs?: unknown } };
    };
    const nodeargs = typeof project.runtime === "object" ? project.runtime.options?.nodeargs : undefined;
    if (nodeargs === undefined) {
        return [];
    }
    if (typeof nodeargs !== "string") {
        throw new Error(`${projectDir}/Pulumi.yaml: runtime.options.nodeargs must be a string`);
    }
    return nodeargs.split(/\s+/).filter((a) => a !== "");
}
