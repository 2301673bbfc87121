// The benchmark's report: each subject's setup time and operations summarised, the machine, the
// versions measured and the notes on what each figure is.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, platform, release } from "node:os";
import * as path from "node:path";
import { ROOT, toolchain } from "../sandbox/harness";
import { RESIZE_ONLY_NOTE } from "./pulumiSubjects";
import { summarizeOp, withRatios, type BenchReport, type SubjectResult } from "./report";
import type { Samples } from "./rounds";
import type { Subject } from "./subject";
import type { Peer } from "./terraform";
import { TERRAFORM_FLEET } from "./terraformSubjects";

export function benchReport(
    subjects: Subject[],
    setupMs: Map<string, number>,
    samples: Map<string, Samples>,
    peer: Peer,
    started: number,
): BenchReport {
    const results: SubjectResult[] = subjects.map((s) => ({
        id: s.id,
        label: s.label,
        tool: s.tool,
        masking: s.masking,
        setupMs: Math.round(setupMs.get(s.id)!),
        preview: summarizeOp(s.previewCommand, samples.get(s.id)!.preview),
        up: summarizeOp(s.upCommand, samples.get(s.id)!.up),
        ...(s.resize ? { resize: summarizeOp(s.resizeCommand!, samples.get(s.id)!.resize) } : {}),
    }));
    return {
        date: new Date().toISOString(),
        machine: {
            cores: cpus().length,
            cpu: cpus()[0]?.model.trim() ?? "?",
            platform: `${platform()} ${release()}`,
            node: process.version,
            loadAverage: Math.round(loadavg()[0] * 10) / 10,
        },
        versions: versions(peer),
        baseline: "minimal",
        subjects: withRatios(results, "minimal"),
        terraform: peer.ok ? { measured: true } : { measured: false, reason: peer.reason },
        notes: NOTES,
        totalSeconds: (performance.now() - started) / 1000,
    };
}

const NOTES = [
    "each operation is one fresh CLI process, timed from spawn to exit, resizing the load balancer between 1 and 3 nodes",
    "Pulumi preview/plan: `pulumi preview --json` after the stack config names the new size; up/apply: `pulumi up --yes --skip-preview`",
    "drop stack: index.ts with Pulumi.drop.yaml's config (any drop calendar left out so that the demand decides the size), adopting the load balancer by id and importing the masking droplets read-only, by id or by tag; 200 and 1,000 by tag run once",
    `resize up (targeted): \`${RESIZE_ONLY_NOTE}\`, as the autopilot and the schedule run it: the program declares only the load balancer and the engine carries the masking servers over (checked in the state after each run); its ratio is over the minimal program's up`,
    "minimal: bench/fixtures/minimal, one digitalocean.LoadBalancer with sizeUnit from config, no droplets (it creates its load balancer in the untimed setup)",
    "Terraform: bench/fixtures/terraform/main.tf, the same load balancer, adopted into the state once by an import block (untimed); plan = `terraform plan -var size_unit=N`, which refreshes the load balancer from the API and diffs (a Pulumi preview does not refresh); apply = `terraform apply -auto-approve`, which makes that same refreshing plan, then resizes",
    `Terraform with ${TERRAFORM_FLEET} droplets: bench/fixtures/terraform-fleet/main.tf, the load balancer by tag and the same ${TERRAFORM_FLEET} masking droplets adopted by import blocks with lifecycle { ignore_changes = all, prevent_destroy = true } (untimed); plan and apply as above, refreshing every droplet, or with -refresh=false (no droplet read)`,
    "API requests: as the emulator logged them during the operation, by kind; writes per resize: the write requests of one up/apply (droplets: writes aimed at masking droplets, always 0)",
];

function versions(peer: Peer): Record<string, string> {
    const pulumi = spawnSync(path.join(toolchain().bin, "pulumi"), ["version"], {
        encoding: "utf8",
    }).stdout.trim();
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
        dependencies: Record<string, string>;
    };
    return {
        pulumi: pulumi || "?",
        "pulumi-resource-digitalocean": pkg.dependencies["@pulumi/digitalocean"],
        ...(peer.ok
            ? {
                  terraform: peer.version,
                  "terraform-provider-digitalocean":
                      "ea617eca38d7 (inside the Pulumi provider 4.57.0)",
              }
            : {}),
    };
}
