/**
 * The project's one YAML library, js-yaml, which @pulumi/pulumi loads in every program anyway. Files are read as YAML
 * 1.2 core (no timestamps, no merge keys: a date-like routing key stays a string) and written so that any reader
 * gets the same values back.
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
 * `value` as YAML that any YAML 1.1 or 1.2 reader reads back as the same value. It is written with js-yaml's default
 * (widest) schema, so a string that some reader would take for another type is quoted: numbers, yes/no/on/off,
 * dates, `<<`. Long strings stay on one line, and a repeated object is written out again rather than as an alias.
 */
export function toYaml(value: unknown): string {
    return dump(value, { lineWidth: -1, noRefs: true });
}
