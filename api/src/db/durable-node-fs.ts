/**
 * Durable commits for embedded PGlite: 250 means committed (DESIGN §4), and committed must survive
 * an OS crash or a power cut, not only a killed process.
 *
 * PGlite (0.5.x) loses that in two places, and this file undoes both:
 * - it starts postgres with `PGlite.defaultStartParams`, which contain `-F` (fsync = off), so
 *   postgres never asks for a sync. `durableStartParams()` drops `-F` and sets
 *   `wal_sync_method=fsync`: emscripten's fdatasync (postgres's default method on Linux) is a no-op
 *   syscall that never reaches the file system, while fsync() goes through the stream's
 *   `stream_ops.fsync`.
 * - emscripten's NODEFS, the file system PGlite's `NodeFS` mounts the data directory with, has no
 *   `stream_ops.fsync`, so emscripten's fd_sync returns success without doing anything.
 *   `DurableNodeFS` mounts the same NODEFS and gives its streams an fsync that calls fsync(2) on the
 *   real file descriptor (`stream.nfd`).
 * With both, every commit fsyncs the WAL once before PGlite answers, and a checkpoint fsyncs the
 * data files it wrote (as postgres does on any file system).
 *
 * PGlite internals this relies on (checked by durable-node-fs.test.ts, which fails if an upgrade
 * changes them): the `NodeFS` class and its `init()` returning emscripten options with `preRun`;
 * `module.NODEFS.stream_ops` and `stream.nfd`; `PGlite.defaultStartParams` and the `startParams` option.
 */
import { fsyncSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { NodeFS } from '@electric-sql/pglite/nodefs';

/** An emscripten stream of NODEFS: `nfd` is the host file descriptor (absent on some special files). */
interface NodeFsStream {
  nfd?: number;
}

/** The parts of PGlite's emscripten module used here. */
interface EmscriptenModule {
  NODEFS: { stream_ops: { fsync?: (stream: NodeFsStream) => number } };
}

/** What actually syncs a host file descriptor; injectable so a test can see every call. */
export type SyncFile = (fd: number) => void;

/**
 * A failed fsync leaves no way to know what reached the disk, so PostgreSQL PANICs and recovers from
 * the WAL on restart (data_sync_retry = off). Inside PGlite a PANIC spins forever, and an error
 * thrown back into it is taken for success (both tried), so the process itself stops, before any
 * reply for the transaction goes out; the next start replays the WAL.
 */
function stopProcess(err: unknown): never {
  process.stderr.write(`e2a: fsync in the embedded database failed (${(err as Error)?.message ?? String(err)}); stopping so that the next start recovers from the WAL\n`);
  process.exit(1);
}

type InitResult = Awaited<ReturnType<NodeFS['init']>>;

export class DurableNodeFS extends NodeFS {
  constructor(
    dataDir: string,
    private readonly options: { syncFile?: SyncFile } = {},
  ) {
    super(dataDir);
  }

  override async init(...args: Parameters<NodeFS['init']>): Promise<InitResult> {
    const result = await super.init(...args);
    const syncFile = this.options.syncFile ?? fsyncSync;
    const installFsync = (mod: unknown): void => {
      (mod as EmscriptenModule).NODEFS.stream_ops.fsync = (stream) => {
        if (typeof stream.nfd !== 'number') return 0;
        try {
          syncFile(stream.nfd);
        } catch (err) {
          stopProcess(err);
        }
        return 0;
      };
    };
    const { emscriptenOpts } = result;
    return { ...result, emscriptenOpts: { ...emscriptenOpts, preRun: [...(emscriptenOpts.preRun ?? []), installFsync] } };
  }
}

/**
 * PGlite's start parameters with fsync on, commits waiting for it, and a WAL sync method that reaches
 * the disk. Later settings win over earlier ones, so these hold whatever the defaults say.
 */
export function durableStartParams(): string[] {
  return [...PGlite.defaultStartParams.filter((p) => p !== '-F'), '-c', 'fsync=on', '-c', 'synchronous_commit=on', '-c', 'wal_sync_method=fsync'];
}
