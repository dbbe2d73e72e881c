// Architectures register a factory under their SAELens name; createSae looks them up here, so a new
// architecture (e.g. JumpReLU) is one new file that calls registerSae.
import type { CreateSaeOptions, TrainableSae } from './api.js';
import type { SaeTrainConfig } from './config.js';

export type SaeFactory = (config: SaeTrainConfig, options: CreateSaeOptions) => Promise<TrainableSae>;

const factories = new Map<string, SaeFactory>();

export function registerSae(architecture: string, factory: SaeFactory): void {
  if (factories.has(architecture)) throw new Error(`SAE architecture "${architecture}" is registered twice`);
  factories.set(architecture, factory);
}

export function saeFactory(architecture: string): SaeFactory {
  const factory = factories.get(architecture);
  if (!factory) throw new Error(`no SAE architecture "${architecture}" is registered; registered: ${registeredArchitectures().join(', ')}`);
  return factory;
}

export function registeredArchitectures(): string[] {
  return [...factories.keys()];
}
