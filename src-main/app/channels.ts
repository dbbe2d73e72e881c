// IPC channel names shared by the main process and the preload. One channel carries every request
// (the method name is its first argument, checked against the contract); one carries events.
export const API_CALL_CHANNEL = 'sae-explorer:call';
export const API_EVENT_CHANNEL = 'sae-explorer:event';
