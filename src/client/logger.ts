/**
 * KafkaJS's logger (`src/loggers/index.js`, `console.js`): levels, namespaces, the shared root level that
 * any namespaced logger's `setLogLevel` changes, `KAFKAJS_LOG_LEVEL` overriding the configured level, and
 * the JSON console format. Timestamps come from the runtime's clock, so a virtual cluster logs virtual time.
 */
import { environmentVariable } from '../runtime/index.ts';

export const logLevel = { NOTHING: 0, ERROR: 1, WARN: 2, INFO: 4, DEBUG: 5 } as const;
export type logLevel = (typeof logLevel)[keyof typeof logLevel];
type LevelNumber = number;

export interface LogEntry {
  namespace: string;
  level: logLevel;
  label: string;
  log: LoggerEntryContent;
}

export interface LoggerEntryContent {
  readonly timestamp: string;
  readonly message: string;
  [key: string]: unknown;
}

export type logCreator = (logLevel: logLevel) => (entry: LogEntry) => void;

export type Logger = {
  info: (message: string, extra?: object) => void;
  error: (message: string, extra?: object) => void;
  warn: (message: string, extra?: object) => void;
  debug: (message: string, extra?: object) => void;
  namespace: (namespace: string, logLevel?: logLevel) => Logger;
  setLogLevel: (logLevel: logLevel) => void;
};

const LEVEL_BY_NAME: Record<string, LevelNumber> = logLevel;

const evaluateLogLevel = (level: LevelNumber | null): LevelNumber | null => {
  const fromEnv = (environmentVariable('KAFKAJS_LOG_LEVEL') ?? '').toUpperCase();
  const override = LEVEL_BY_NAME[fromEnv];
  return override === undefined ? level : override;
};

/** ISO-8601 in UTC from epoch milliseconds, without the host's `Date` (banned in the client layer). */
export function isoTimestamp(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  let rest = ms - days * 86_400_000;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const millis = rest - seconds * 1000;
  // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hours)}:${pad(minutes)}:${pad(seconds)}.${pad(millis, 3)}Z`;
}

/** KafkaJS's default `logCreator`: one JSON line per entry on the console method of its level. */
export const consoleLogCreator: logCreator = () => ({ namespace, level, label, log }) => {
  const prefix = namespace ? `[${namespace}] ` : '';
  const message = JSON.stringify({ level: label, ...log, message: `${prefix}${log.message}` });
  switch (level) {
    case logLevel.INFO:
      return console.info(message);
    case logLevel.ERROR:
      return console.error(message);
    case logLevel.WARN:
      return console.warn(message);
    case logLevel.DEBUG:
      return console.log(message);
  }
};

export function createLogger(options: { level?: logLevel; logCreator?: logCreator; now: () => number }): Logger {
  let rootLevel = evaluateLogLevel(options.level ?? logLevel.INFO) ?? logLevel.INFO;
  const logFunction = (options.logCreator ?? consoleLogCreator)(rootLevel as logLevel);

  const createLevel =
    (label: string, level: LevelNumber, currentLevel: () => LevelNumber, namespace: string) =>
    (message: string, extra: object = {}): void => {
      if (level > currentLevel()) return;
      logFunction({
        namespace,
        level: level as logLevel,
        label,
        log: { timestamp: isoTimestamp(options.now()), logger: 'kafkajs', message, ...extra },
      });
    };

  const createLogFunctions = (namespace: string, namespaceLevel: LevelNumber | null): Logger => {
    const currentLevel = (): LevelNumber => namespaceLevel ?? rootLevel;
    return {
      info: createLevel('INFO', logLevel.INFO, currentLevel, namespace),
      error: createLevel('ERROR', logLevel.ERROR, currentLevel, namespace),
      warn: createLevel('WARN', logLevel.WARN, currentLevel, namespace),
      debug: createLevel('DEBUG', logLevel.DEBUG, currentLevel, namespace),
      namespace: (ns: string, level?: logLevel) => createLogFunctions(ns, evaluateLogLevel(level ?? null)),
      // KafkaJS quirk kept: a namespaced logger's setLogLevel changes the shared root level.
      setLogLevel: (level: logLevel) => {
        rootLevel = level;
      },
    };
  };
  return createLogFunctions('', null);
}
