// How the app's two shells (the desktop app and `serve`) start the demo build when they open the demo
// workspace: one demo.build request to the compute process, whose job the renderer then shows like
// any other (the Workspace screen's jobs, the header's running-jobs badge).
import { unwrap, type ApiTransport, type DemoBuildResult } from '../../src-shared/api.js';

/** Asks for the demo to be built; the line to tell the user, or null when it is already built. Throws the request's error. */
export async function requestDemoBuild(compute: ApiTransport): Promise<string | null> {
  const { jobId } = unwrap(await compute.call('demo.build', {})) as DemoBuildResult;
  return jobId === null ? null : `building the demo workspace (job ${jobId}); the app shows its progress`;
}
