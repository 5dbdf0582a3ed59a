/**
 * The broker's structured logger (pino, JSON lines on stdout).
 *
 * Every component gets a child logger with its context bound (`{ component: 'connection',
 * remote: '127.0.0.1:53122' }`), and errors are logged as `{ err }` so pino prints the message,
 * stack and cause.
 */
import pino from 'pino';

export type Logger = pino.Logger;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/** A logger that drops everything (for tests that do not look at logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
