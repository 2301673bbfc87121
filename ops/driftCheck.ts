// The drift check, run: a read-only refresh preview (`pulumi refresh --preview-only`, the state
// is not written) with its event log, where Read's answers are, then what a refresh cannot see
// read with the project's own client. Changes nothing.
import { COMMAND_SCOPES } from "../config/scopes";
import { readStackFile } from "../config/stackFile";
import { programApiRead } from "../infra/digitaloceanApi";
import { driftOfRefresh, type DriftReport } from "./drift";
import { withLiveSettingsDrift } from "./driftLive";
import { pulumiFromToolchain, runWithEventLog, type Pulumi } from "./pulumiCli";
import { parsePreviewDigest } from "./pulumiJson";

export async function driftOfStack(
    stack: string,
    opts: { env?: Record<string, string | undefined>; pulumi?: Pulumi } = {},
): Promise<DriftReport> {
    const refresh = runWithEventLog(
        opts.pulumi ?? pulumiFromToolchain(),
        ["refresh", "--preview-only", "--json", "--non-interactive", "--stack", stack],
        parsePreviewDigest,
    );
    // The stack file is read only when the state records a cipher policy to compare.
    return withLiveSettingsDrift(driftOfRefresh(refresh), refresh.value, () =>
        programApiRead(opts.env ?? process.env, readStackFile(stack), COMMAND_SCOPES.drift.scopes),
    );
}
