// The preload script. It runs sandboxed, so it is bundled to CommonJS and may require only 'electron'.
import { exposeBridge, type ElectronPreload } from './bridge.js';

exposeBridge(require('electron') as ElectronPreload);
