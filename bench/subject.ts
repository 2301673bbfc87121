// What the benchmark measures: a subject (a Pulumi program or Terraform on its own emulator)
// and the operations each round times on it.
import type { Emulator } from "../emulator/server";
import type { SubjectResult } from "./report";

/** The two sizes every resize alternates between; the seeded and adopted LBs start at the first. */
export const SIZES = [1, 3] as const;
export const MASKING_TAG = "masking";

export interface Subject {
    id: string;
    label: string;
    tool: "pulumi" | "terraform";
    masking: SubjectResult["masking"];
    runs: number;
    emulator: Emulator;
    previewCommand: string;
    upCommand: string;
    /** The resize-only up targeted at the LB (the autopilot's and the schedule's), when the subject has one. */
    resizeCommand?: string;
    /** The first up/apply at SIZES[0]: adopts or creates the LB. Throws unless it did exactly that. */
    setup(): Promise<void>;
    /** Untimed: point the config at the next size. */
    prepare(size: number): void;
    /** Throws unless the preview/plan shows exactly the one in-place resize. */
    preview(size: number): Promise<void>;
    /** Throws unless the LB has the size afterwards. */
    up(size: number): Promise<void>;
    /** Throws unless the LB has the size afterwards and every masking server is still in the state. */
    resize?(size: number): Promise<void>;
    dispose(): Promise<void>;
}

export function failed(
    what: string,
    run: { status: number | null; stdout: string; stderr: string },
): Error {
    return new Error(
        `${what} (exit ${run.status}):\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-4000)}`,
    );
}
