import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, MAX_PROCESSES, loadConfig, processCount } from './config.js';

describe('processCount', () => {
  it('takes 1 to MAX_PROCESSES, and auto as one per core', () => {
    expect(processCount('1')).toBe(1);
    expect(processCount(' 4 ')).toBe(4);
    expect(processCount(String(MAX_PROCESSES))).toBe(MAX_PROCESSES);
    expect(processCount('auto')).toBe(Math.min(availableParallelism(), MAX_PROCESSES));
    expect(processCount('AUTO')).toBe(processCount('auto'));
  });

  it('refuses anything else', () => {
    for (const bad of ['0', '-1', '1.5', '2e1', String(MAX_PROCESSES + 1), 'two', '', ' ']) expect(processCount(bad), bad).toBeUndefined();
  });
});

describe('API_PROCESSES', () => {
  it('defaults to one process and is read once', () => {
    expect(loadConfig({}).apiProcesses).toBe(1);
    expect(loadConfig({ API_PROCESSES: '3' }).apiProcesses).toBe(3);
  });

  it('is named among the bad variables', () => {
    expect(() => loadConfig({ API_PROCESSES: 'many', PORT: 'x' })).toThrow(ConfigError);
    try {
      loadConfig({ API_PROCESSES: 'many', PORT: 'x' });
    } catch (err) {
      expect((err as ConfigError).problems.join('\n')).toMatch(/API_PROCESSES must be .* got "many"/);
      expect((err as ConfigError).problems.join('\n')).toMatch(/PORT/);
    }
  });
});
