/** Injection token of the demo's {@link DemoConfig}. */
export const DEMO_CONFIG = Symbol('demo:config');

/** Injection token of the demo's prom-client registry. */
export const DEMO_METRICS = Symbol('demo:metrics');
