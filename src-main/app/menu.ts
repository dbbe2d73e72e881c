// The application menu: workspace actions plus the standard edit/view/window roles.
import type { MenuItemOptions } from './electron-api.js';

export interface MenuActions {
  openWorkspace(): void;
  revealWorkspace(): void;
  /** Workspace folders for File → Open Recent, most recent first. */
  recentWorkspaces: string[];
  openRecentWorkspace(folder: string): void;
  /** Picks the folder holding the CUDA 11 / cuDNN 8 libraries for the GPU backend. */
  chooseCudaLibraryFolder(): void;
  /** Forgets it: the system's libraries only. */
  clearCudaLibraryFolder(): void;
}

export function menuTemplate(actions: MenuActions, isDev: boolean): MenuItemOptions[] {
  const view: MenuItemOptions[] = [
    { role: 'reload' },
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];
  if (isDev) view.push({ role: 'toggleDevTools' });
  return [
    {
      label: 'File',
      submenu: [
        { label: 'Open Workspace…', accelerator: 'CmdOrCtrl+O', click: actions.openWorkspace },
        {
          label: 'Open Recent',
          enabled: actions.recentWorkspaces.length > 0,
          submenu: actions.recentWorkspaces.map((folder) => ({ label: folder, click: () => actions.openRecentWorkspace(folder) })),
        },
        { label: 'Show Workspace Folder', click: actions.revealWorkspace },
        { type: 'separator' },
        { label: 'CUDA Libraries Folder…', click: actions.chooseCudaLibraryFolder },
        { label: 'Use System CUDA Libraries', click: actions.clearCudaLibraryFolder },
        { type: 'separator' },
        { role: 'quit' },
      ],
    },
    { label: 'Edit', submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }] },
    { label: 'View', submenu: view },
    { label: 'Window', submenu: [{ role: 'minimize' }, { role: 'close' }] },
  ];
}
