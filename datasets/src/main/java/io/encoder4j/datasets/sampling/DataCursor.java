package io.encoder4j.datasets.sampling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Where a run stands in its data, saved with a checkpoint: the next batch to consume, plus what must not change for
 * that index to mean the same rows ({@link BatchOrder#resume} checks them). O(1) to save and to resume from.
 *
 * @param dataFingerprint the prepared data's fingerprint (may be null when the data has none)
 * @param seed the shuffling seed
 * @param batchSize rows per batch
 * @param nextBatch the global index of the next batch (batches {@code 0..nextBatch-1} have been consumed)
 */
public record DataCursor(String dataFingerprint, long seed, int batchSize, long nextBatch) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public DataCursor {
        if (nextBatch < 0) {
            throw new IllegalArgumentException("next_batch must not be negative, got " + nextBatch);
        }
    }

    /**
     * The next batch index for a reader with this {@code seed}, {@code batchSize} and data: the index means the same
     * rows only if none of them changed since the cursor was saved.
     *
     * @throws IllegalArgumentException if the cursor was saved with another seed or batch size, or over other data
     */
    public long nextBatchFor(long seed, int batchSize, String dataFingerprint) {
        if (this.seed != seed || this.batchSize != batchSize) {
            throw new IllegalArgumentException("the data cursor was saved with seed " + this.seed + " and batch size "
                    + this.batchSize + ", this run uses seed " + seed + " and batch size " + batchSize);
        }
        if (this.dataFingerprint != null && dataFingerprint != null && !this.dataFingerprint.equals(dataFingerprint)) {
            throw new IllegalArgumentException("the data cursor was saved over data " + this.dataFingerprint
                    + ", this run reads " + dataFingerprint);
        }
        return nextBatch;
    }

    /** The cursor after one more batch. */
    public DataCursor advance() {
        return new DataCursor(dataFingerprint, seed, batchSize, nextBatch + 1);
    }

    /** {@code {"data_fingerprint": ..., "seed": ..., "batch_size": ..., "next_batch": ...}}. */
    public ObjectNode toJson() {
        ObjectNode node = JSON.createObjectNode();
        if (dataFingerprint != null) {
            node.put("data_fingerprint", dataFingerprint);
        }
        node.put("seed", seed);
        node.put("batch_size", batchSize);
        node.put("next_batch", nextBatch);
        return node;
    }

    /** Reads what {@link #toJson()} wrote. */
    public static DataCursor fromJson(JsonNode node) {
        if (!node.path("next_batch").canConvertToLong() || !node.path("seed").canConvertToLong()
                || !node.path("batch_size").canConvertToInt()) {
            throw new IllegalArgumentException("a data cursor needs integer seed, batch_size and next_batch");
        }
        JsonNode fp = node.get("data_fingerprint");
        return new DataCursor(fp == null || fp.isNull() ? null : fp.asText(), node.get("seed").asLong(),
                node.get("batch_size").asInt(), node.get("next_batch").asLong());
    }
}
