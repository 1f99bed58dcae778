package io.mailflow.ingest;

/**
 * Where the Postfix parser keeps what earlier lines told it about each queued message, keyed by
 * {@code host/queueId}. Two homes: {@link PostfixQueue}, in memory with an LRU bound (replay), and
 * {@link StoredPostfixQueue}, a state store (the raw-lines processor, which must survive a
 * restart or a failover). The parser mutates the entries it is handed in place; a store-backed
 * context writes the entries of a line back once the line is parsed.
 */
interface PostfixQueueContext {
    /** The entry, or null when nothing is known about the message. */
    PostfixQueue.Entry get(String key);

    PostfixQueue.Entry getOrCreate(String key);

    /** Postfix removed the queue file: the message is gone. */
    void remove(String key);
}
