import * as assert from "assert";
import { parseYaml, toYaml } from "../lib/yaml";

describe("YAML (lib/yaml.ts)", function () {
    it("writes strings that other YAML readers would retype as quoted strings, and reads them back unchanged", function () {
        const value = {
            tls: "off",
            legacyBoolean: "yes",
            replicas: "3",
            hex: "0x20",
            date: "2024-01-01",
            empty: "",
            mergeKey: "<<",
            nested: { list: ["on", 1, true, null] },
        };
        const text = toYaml(value);
        for (const quoted of ["'off'", "'yes'", "'3'", "'0x20'", "'2024-01-01'", "''", "'<<'", "'on'"]) {
            assert.ok(text.includes(quoted), `${quoted} is not quoted in:\n${text}`);
        }
        assert.deepStrictEqual(parseYaml(text), value);
    });

    it("reads YAML 1.2 core: no dates, no merge keys, and names the file and line of an error", function () {
        assert.deepStrictEqual(parseYaml("d: 2024-01-01\nb: yes\n"), { d: "2024-01-01", b: "yes" });
        assert.deepStrictEqual(parseYaml("base: &b { a: 1 }\nderived:\n  <<: *b\n"), {
            base: { a: 1 },
            derived: { "<<": { a: 1 } },
        });
        assert.throws(() => parseYaml("a: [1\n", "f.yaml"), /in "f\.yaml" \(\d+:\d+\)/);
    });
});
