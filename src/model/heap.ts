/**
 * The young generation of the threads that carry the event path (`warden detect --replay`'s thread,
 * `warden serve`'s pipeline thread): V8's 64 MiB semi-space, which it grows to only under load.
 * Events in flight (each source's look-ahead of 256 while sources are merged by time, a batch being
 * queued, read back and judged) outlive the default 16 MiB one and were copied twice before they
 * died: on bench:detect's estate this size takes scavenging from 1.87 s to 0.72 s and the whole path
 * from 14.7 s to 12.9 s (docs/performance.md). A thread's, because the main thread's is fixed at start.
 */
export const EVENT_PATH_YOUNG_GENERATION_MB = 192;
