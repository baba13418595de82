import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/**
 * The service's Prometheus metrics (`GET /metrics`): process defaults plus what
 * an operator of an evidence store watches: the log's growth and the fixity checks.
 */
export function createMetrics(logSize: () => Promise<number>) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = {
    registry,
    logSize: new Gauge({
      name: 'custody_log_size',
      help: 'Entries in the verifiable log (tree size of the latest checkpoint)',
      registers: [registry],
      async collect() {
        this.set(await logSize());
      },
    }),
    fixityChecks: new Counter({
      name: 'custody_fixity_checks_total',
      help: 'Re-hashes of stored evidence by the scheduled sweep, by result',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    fixitySweepChecked: new Gauge({
      name: 'custody_fixity_sweep_checked',
      help: 'Items checked so far in the current (or last) fixity sweep',
      registers: [registry],
    }),
    fixitySweepLastCompleted: new Gauge({
      name: 'custody_fixity_sweep_last_completed_seconds',
      help: 'Unix time at which the last complete fixity sweep ended',
      registers: [registry],
    }),
  };
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
