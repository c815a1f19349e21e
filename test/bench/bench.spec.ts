/** Pure logic of the benchmarks and the load test: graph depth, statistics, generated topologies, SVG plot. */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GraphResource, longestChain, urnName } from "../../lib/bench/graph";
import { projectNodeArgs } from "../../lib/bench/nodeArgs";
import { LatencyHistogram, median, percentile } from "../../lib/bench/stats";
import { niceMax, renderSvg } from "../../lib/loadtest/plot";
import { generateTopology, stackVariantYaml, topologyYaml } from "../../lib/bench/topogen";
import { projectRoot } from "../../lib/project";
import { normalizeTopology } from "../../lib/topology";
import { parseYaml } from "../../lib/yaml";

const P = "proj";
const urn = (type: string, name: string) => `urn:pulumi:s::${P}::${type}::${name}`;
function res(type: string, name: string, extra: Partial<GraphResource> = {}): GraphResource {
    return {
        urn: urn(type, name),
        type,
        custom: !type.startsWith(`${P}:`) && type !== "pulumi:pulumi:Stack",
        parent: null,
        provider: null,
        dependencies: [],
        ...extra,
    };
}

describe("bench and loadtest logic (lib/bench)", function () {
    describe("longest chain", function () {
        it("counts custom resources along dependencies, providers and parents, not our components", function () {
            const ns = res("k8s:Namespace", "ns");
            const cluster = res("k8s:Cluster", "cluster", { dependencies: [ns.urn] });
            const provider = res("pulumi:providers:rabbitmq", "prov", { dependencies: [cluster.urn] });
            const comp = res(`${P}:Topology`, "topo");
            const vhost = res("rabbitmq:VHost", "v", { provider: provider.urn, parent: comp.urn });
            const q1 = res("rabbitmq:Queue", "q1", { provider: provider.urn, dependencies: [vhost.urn] });
            const q2 = res("rabbitmq:Queue", "q2", { provider: provider.urn, dependencies: [vhost.urn] });
            const b = res("rabbitmq:Binding", "b", {
                provider: provider.urn,
                dependencies: [q1.urn, vhost.urn],
            });
            const chain = longestChain([ns, cluster, provider, comp, vhost, q1, q2, b], P);
            assert.equal(chain.length, 6);
            assert.deepEqual(chain.path.map(urnName), ["ns", "cluster", "prov", "v", "q1", "b"]);
        });

        it("a component's dependencies delay its children", function () {
            const a = res("k8s:A", "a");
            const comp = res(`${P}:C`, "c", { dependencies: [a.urn] });
            const child = res("k8s:B", "b", { parent: comp.urn });
            assert.equal(longestChain([a, comp, child], P).length, 2);
        });

        it("counts a remote component (another package's non-custom type) as one step", function () {
            const chart = { ...res("kubernetes:helm.sh/v4:Chart", "chart"), custom: false };
            const after = res("k8s:X", "x", { dependencies: [chart.urn] });
            assert.equal(longestChain([chart, after], P).length, 2);
        });

        it("is linear: a 20,000-long chain neither overflows nor crawls", function () {
            const rs: GraphResource[] = [];
            for (let i = 0; i < 20_000; i++) {
                rs.push(res("t:R", `r${i}`, { dependencies: i === 0 ? [] : [rs[i - 1].urn] }));
            }
            assert.equal(longestChain(rs, P).length, 20_000);
        });

        it("rejects a cycle", function () {
            const a = res("t:R", "a", { dependencies: [urn("t:R", "b")] });
            const b = res("t:R", "b", { dependencies: [a.urn] });
            assert.throws(() => longestChain([a, b], P), /cycle/);
        });

        it("ignores dependencies outside the plan", function () {
            assert.equal(longestChain([res("t:R", "a", { dependencies: ["urn:elsewhere"] })], P).length, 1);
        });
    });

    describe("statistics", function () {
        it("median of odd and even counts", function () {
            assert.equal(median([3, 1, 2]), 2);
            assert.equal(median([4, 1, 3, 2]), 2.5);
            assert.ok(Number.isNaN(median([])));
        });

        it("nearest-rank percentiles", function () {
            const v = Array.from({ length: 100 }, (_, i) => i + 1);
            assert.equal(percentile(v, 50), 50);
            assert.equal(percentile(v, 95), 95);
            assert.equal(percentile(v, 99), 99);
            assert.equal(percentile(v, 100), 100);
            assert.equal(percentile([7], 99), 7);
            assert.throws(() => percentile(v, 0), RangeError);
        });

        it("the latency histogram is within 1% of exact percentiles", function () {
            const h = new LatencyHistogram();
            const v: number[] = [];
            for (let i = 1; i <= 10_000; i++) {
                const ms = 0.5 + ((i * 7919) % 10_000) / 100;
                v.push(ms);
                h.record(ms);
            }
            for (const p of [50, 95, 99]) {
                const exact = percentile(v, p);
                assert.ok(
                    Math.abs(h.percentile(p) - exact) / exact <= 0.01,
                    `p${p}: ${h.percentile(p)} vs ${exact}`,
                );
            }
            assert.equal(h.count, 10_000);
            const other = new LatencyHistogram();
            other.record(1000);
            h.merge(other);
            assert.equal(h.count, 10_001);
            assert.equal(h.percentile(100), 1000);
        });
    });

    describe("generated topologies", function () {
        it("N quorum queues, each with its binding, policy and user permission, valid for the program", function () {
            const n = normalizeTopology(generateTopology(25), "gen", {
                quorumGroupSize: 3,
                brokerMajorVersion: 4,
            });
            const v = n.vhosts[0];
            assert.equal(v.queues.length, 25);
            assert.ok(v.queues.every((q) => q.type === "quorum" && q.policy !== undefined));
            assert.equal(v.bindings.length, 25);
            assert.equal(v.users.length, 25);
            assert.equal(v.users[3].permissions.read, `^${v.queues[3].name.replace(/\./g, "\\.")}$`);
        });

        it("YAML round-trips and the stack variant points at it", function () {
            assert.deepEqual(parseYaml(topologyYaml(3)), generateTopology(3));
            const variant = parseYaml(
                stackVariantYaml("config:\n  rabbitmq-platform:replicas: 5\n", "bin/t.yaml"),
            ) as {
                config: Record<string, unknown>;
            };
            assert.deepEqual(variant.config, {
                "rabbitmq-platform:replicas": 5,
                "rabbitmq-platform:topologyFile": "bin/t.yaml",
            });
            assert.throws(() => generateTopology(0), RangeError);
        });
    });

    describe("program start", function () {
        it("passes Pulumi.yaml's nodeargs to node as the language host does, and none when there are none", function () {
            assert.deepEqual(projectNodeArgs(projectRoot()), ["--stack-trace-limit=0"]);
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nodeargs-"));
            const write = (yaml: string) => fs.writeFileSync(path.join(dir, "Pulumi.yaml"), yaml);
            write("name: p\nruntime: nodejs\n");
            assert.deepEqual(projectNodeArgs(dir), []);
            write("name: p\nruntime:\n  name: nodejs\n  options:\n    nodeargs: ' --a  --b=1 '\n");
            assert.deepEqual(projectNodeArgs(dir), ["--a", "--b=1"]);
            write("name: p\nruntime:\n  name: nodejs\n  options:\n    nodeargs: [--a]\n");
            assert.throws(() => projectNodeArgs(dir), /runtime\.options\.nodeargs must be a string/);
            fs.rmSync(dir, { recursive: true });
        });
    });

    describe("load test plot", function () {
        it("rounds axis maxima to 1, 2 or 5 times a power of ten", function () {
            assert.equal(niceMax(0), 1);
            assert.equal(niceMax(7), 10);
            assert.equal(niceMax(9_100), 10_000);
            assert.equal(niceMax(1_500), 2_000);
            assert.equal(niceMax(0.3), 0.5);
        });

        it("draws a rate and a latency line per run, escaping labels, skipping seconds without latency", function () {
            const samples = [1, 2, 3].map((t) => ({
                t,
                published: 100 * t,
                confirmed: 100 * t,
                consumed: 90 * t,
                p50: t === 2 ? NaN : 2,
                p99: t === 2 ? NaN : 9,
            }));
            const svg = renderSvg("a <b>", [
                { label: "q&a", color: "#000", samples },
                { label: "raw", color: "#777", samples },
            ]);
            assert.ok(svg.startsWith("<svg "));
            assert.ok(svg.trimEnd().endsWith("</svg>"));
            assert.equal((svg.match(/<polyline /g) ?? []).length, 8);
            assert.ok(svg.includes("a &lt;b&gt;") && svg.includes("q&amp;a"));
            assert.ok(!svg.includes("NaN"));
        });
    });
});
