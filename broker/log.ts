/**
 * The broker's structured logger (pino, JSON lines on stdout).
 *
 * Every component gets a child logger with its context bound (`{ component: 'connection',
 * remote: '127.0.0.1:53122' }`), and errors are logged as `{ err }` so pino prints the message,
 * stack and cause.
 *
 * A line carries one `component`: a component's child of another component's logger is named by
 * the dotted path (`storage` → `storage.metadata`). pino itself would write the key once per
 * level of nesting in the same line (its child bindings are appended text), so the logger made
 * here keeps `component` out of the bindings: `child` records the path on the new logger and a
 * mixin writes it into each line. A `component` given in a log call's own object wins.
 */
import pino from 'pino';

export type Logger = pino.Logger;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The component path of a logger; children inherit it (pino children are prototype-linked to their parent). */
const COMPONENT = Symbol('component');
type Tagged = { [COMPONENT]?: string };
type ChildFn = (this: Logger, bindings: pino.Bindings, options?: pino.ChildLoggerOptions<never>) => Logger;

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const root = pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: (_object, _level, logger) => {
        const component = (logger as Tagged)[COMPONENT];
        return component === undefined ? {} : { component };
      },
    },
    destination,
  );
  // pino's own child, typed without its custom-levels generics (this broker defines none); it is
  // always called with the logger as `this`.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const pinoChild = root.child as unknown as ChildFn;
  const child: ChildFn = function (bindings, options) {
    const { component, ...rest } = bindings;
    const logger = pinoChild.call(this, rest, options);
    if (component !== undefined) {
      const parent = (this as Tagged)[COMPONENT];
      (logger as Tagged)[COMPONENT] = parent === undefined ? String(component) : `${parent}.${String(component)}`;
    }
    return logger;
  };
  // Every descendant inherits this method from the root.
  root.child = child as unknown as Logger['child'];
  return root;
}

/** A logger that drops everything (for tests that do not look at logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
