import { serviceEnv } from './service-runner.ts';
import { LOCAL_SIM_API_KEY, planServices, SERVICES } from './services.ts';

/** Each service's process environment exactly as `npm start` composes it for `baseEnv`. */
function processEnvs(baseEnv: NodeJS.ProcessEnv): Map<string, NodeJS.ProcessEnv> {
  return new Map(
    planServices(baseEnv).map(({ spec, env }) => [spec.name, serviceEnv(spec, baseEnv, env)]),
  );
}

const CLAUDE_CALLERS = ['claude-worker', 'batch-poller'];
const SIM_PORT = SERVICES.find((s) => s.name === 'anthropic-sim')?.port;

describe('npm start: the local anthropic-sim or the real Anthropic API', () => {
  it('without ANTHROPIC_API_KEY runs the sim first and points the Claude callers at it', () => {
    const baseEnv = { PATH: '/usr/bin' };
    const planned = planServices(baseEnv).map(({ spec }) => spec.name);
    expect(planned[0]).toBe('anthropic-sim');
    expect(planned).toEqual(SERVICES.map((s) => s.name));

    const envs = processEnvs(baseEnv);
    expect(SIM_PORT).toBe(4010);
    expect(envs.get('anthropic-sim')?.['SIM_PORT']).toBe('4010');
    for (const name of CLAUDE_CALLERS) {
      expect(envs.get(name)).toMatchObject({
        ANTHROPIC_BASE_URL: 'http://127.0.0.1:4010',
        ANTHROPIC_API_KEY: LOCAL_SIM_API_KEY,
      });
    }
    // Nothing else talks to Claude.
    for (const [name, env] of envs) {
      if (!CLAUDE_CALLERS.includes(name)) expect(env?.['ANTHROPIC_BASE_URL']).toBeUndefined();
    }
  });

  it('without a key the Claude callers use the sim even if ANTHROPIC_BASE_URL points elsewhere', () => {
    const envs = processEnvs({ ANTHROPIC_BASE_URL: 'https://api.anthropic.com' });
    for (const name of CLAUDE_CALLERS) {
      expect(envs.get(name)?.['ANTHROPIC_BASE_URL']).toBe('http://127.0.0.1:4010');
    }
  });

  it('with ANTHROPIC_API_KEY leaves the sim out and sets no ANTHROPIC_BASE_URL', () => {
    const baseEnv = { ANTHROPIC_API_KEY: 'sk-ant-real' };
    const planned = planServices(baseEnv).map(({ spec }) => spec.name);
    expect(planned).not.toContain('anthropic-sim');
    expect(planned).toEqual(SERVICES.map((s) => s.name).filter((n) => n !== 'anthropic-sim'));

    const envs = processEnvs(baseEnv);
    for (const name of CLAUDE_CALLERS) {
      // The services' own default (the real API) applies, with the user's key.
      expect(envs.get(name)?.['ANTHROPIC_BASE_URL']).toBeUndefined();
      expect(envs.get(name)?.['ANTHROPIC_API_KEY']).toBe('sk-ant-real');
    }
    for (const { env } of planServices(baseEnv)) expect(env['ANTHROPIC_BASE_URL']).toBeUndefined();
  });

  it('with a key passes a user-given ANTHROPIC_BASE_URL through unchanged', () => {
    const baseEnv = {
      ANTHROPIC_API_KEY: 'sk-ant-real',
      ANTHROPIC_BASE_URL: 'https://gateway.example.com/anthropic',
    };
    const envs = processEnvs(baseEnv);
    for (const name of CLAUDE_CALLERS) {
      expect(envs.get(name)).toMatchObject(baseEnv);
    }
  });

  it('an empty ANTHROPIC_API_KEY counts as unset (the sim runs)', () => {
    expect(planServices({ ANTHROPIC_API_KEY: '' }).map(({ spec }) => spec.name)).toContain(
      'anthropic-sim',
    );
  });
});
