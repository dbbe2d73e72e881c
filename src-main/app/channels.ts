// IPC channel names shared by the main process and the preload. One channel carries every request
// (the method name is its first argument, checked against the contract); one carries events.
export const API_CALL_CHANNEL = 'sae-explorer:call';
export const API_EVENT_CHANNEL = 'sae-explorer:event';
/** The desktop app's open dialog for imports (pick.ts), outside the contract: its answer is an upload id. */
export const PICK_CHANNEL = 'sae-explorer:pick';
/** The desktop app's export of a workspace SAE into a folder the user chooses (pick.ts). */
export const EXPORT_SAE_CHANNEL = 'sae-explorer:export-sae';
/** The desktop app's folder dialog that opens another workspace (pick.ts). */
export const OPEN_WORKSPACE_CHANNEL = 'sae-explorer:open-workspace';
