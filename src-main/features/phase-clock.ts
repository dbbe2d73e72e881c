// Wall and CPU seconds per named part of a job, summed over its calls: the harvest bench's
// breakdown. CPU is this process's (all its threads: wasm runs on the calling thread, worker
// threads count too), so on a busy machine wall − CPU is time spent waiting for a core.
export interface PhaseTime {
  wallSeconds: number;
  cpuSeconds: number;
}

export class PhaseClock {
  readonly phases = new Map<string, PhaseTime>();

  time<T>(name: string, work: () => T): T {
    const start = this.start();
    try {
      return work();
    } finally {
      this.stop(name, start);
    }
  }

  async timeAsync<T>(name: string, work: () => Promise<T>): Promise<T> {
    const start = this.start();
    try {
      return await work();
    } finally {
      this.stop(name, start);
    }
  }

  private start(): { wall: number; cpu: NodeJS.CpuUsage } {
    return { wall: performance.now(), cpu: process.cpuUsage() };
  }

  private stop(name: string, start: { wall: number; cpu: NodeJS.CpuUsage }): void {
    const cpu = process.cpuUsage(start.cpu);
    const phase = this.phases.get(name) ?? { wallSeconds: 0, cpuSeconds: 0 };
    phase.wallSeconds += (performance.now() - start.wall) / 1000;
    phase.cpuSeconds += (cpu.user + cpu.system) / 1e6;
    this.phases.set(name, phase);
  }
}
