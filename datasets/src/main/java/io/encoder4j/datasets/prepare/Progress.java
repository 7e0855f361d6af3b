package io.encoder4j.datasets.prepare;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs tokenisation progress with its rate, at most every two seconds. */
final class Progress {

    private static final Logger LOG = LoggerFactory.getLogger(DataPreparer.class);
    private static final long EVERY_NANOS = 2_000_000_000L;

    private final String what;
    private final long started = System.nanoTime();
    private long lastLog = started;
    private long documents;
    private long tokens;

    Progress(String what) {
        this.what = what;
    }

    void add(long docs, long toks) {
        documents += docs;
        tokens += toks;
        long now = System.nanoTime();
        if (now - lastLog >= EVERY_NANOS) {
            lastLog = now;
            LOG.info("{}: {} documents, {} tokens, {} tokens/s", what, documents, tokens,
                    String.format("%,.0f", tokensPerSecond()));
        }
    }

    long documents() {
        return documents;
    }

    long tokens() {
        return tokens;
    }

    double seconds() {
        return (System.nanoTime() - started) / 1e9;
    }

    double tokensPerSecond() {
        return tokens / Math.max(1e-9, seconds());
    }
}
