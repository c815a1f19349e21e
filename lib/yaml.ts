/**
 * The project's one YAML dialect, through js-yaml (which @pulumi/pulumi loads in every program anyway): the YAML 1.2
 * core schema, so no timestamps and no merge keys, the way the Pulumi CLI reads its stack files.
 */
import * as fs from "fs";
import { CORE_SCHEMA, dump, load } from "js-yaml";

/** Parses one YAML document; a YAMLException names `filename` when given. */
export function parseYaml(text: string, filename?: string): unknown {
    return load(text, { filename, schema: CORE_SCHEMA });
}

/** Reads and parses a one-document YAML file. */
export function readYamlFile(file: string): unknown {
    return parseYaml(fs.readFileSync(file, "utf8"), file);
}

/**
 * `value` as YAML that any YAML 1.2 parser reads back as the same value: a string that would read as another type is
 * quoted (also YAML 1.1's yes/no/on/off), long strings stay on one line and a repeated object is written out again
 * rather than as an alias.
 */
export function toYaml(value: unknown): string {
    return dump(value, { schema: CORE_SCHEMA, lineWidth: -1, noRefs: true });
}
