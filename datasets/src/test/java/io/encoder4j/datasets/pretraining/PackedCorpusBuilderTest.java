package io.encoder4j.datasets.pretraining;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.encoder4j.datasets.arrow.ArrowShardReader;
import io.encoder4j.datasets.tokenizer.TextTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackedCorpusBuilderTest {

    @TempDir
    Path dir;

    private DataConfig config(Path corpus, int seqLength) {
        return new DataConfig(List.of(corpus.toString()), new TokenizerConfig(null, 500, 2), seqLength, 0.1f,
                dir.resolve("cache").toString());
    }

    @Test
    void packsFramedBlocksOnceAndReusesThemWhileInputsAreUnchanged() throws Exception {
        // The project's own quickstart text (examples/data), first 100,000 characters.
        Path source = Path.of("../examples/data/quickstart/us-inaugural-addresses.txt");
        Path corpus = Files.writeString(dir.resolve("corpus.txt"), Files.readString(source).substring(0, 100_000));

        PreparedData first = PackedCorpusBuilder.prepare(config(corpus, 24), "data");
        assertFalse(first.reused());
        assertEquals(24, first.seqLength());
        // Every 10th block is held out.
        long total = first.trainBlocks() + first.validationBlocks();
        assertEquals(total / 10, first.validationBlocks(), 1);
        assertTrue(first.unigramBaselineNats() > 3 && first.unigramBaselineNats() < Math.log(500),
                "baseline " + first.unigramBaselineNats());

        try (TextTokenizer tokenizer = TextTokenizer.load(first.tokenizerJson());
                ArrowShardReader train = ArrowShardReader.open(first.trainDir())) {
            assertEquals(first.trainBlocks(), train.rowCount());
            int[] block = new int[24];
            StringBuilder text = new StringBuilder();
            for (int row = 0; row < 3; row++) {
                assertEquals(24, train.copyRow(row, block, 0));
                assertEquals(tokenizer.bosId(), block[0]);
                assertEquals(tokenizer.eosId(), block[23]);
                text.append(tokenizer.decode(java.util.Arrays.copyOfRange(block, 1, 23)));
            }
            // The first training block starts the corpus: its words come back in order.
            assertTrue(text.toString().startsWith("Fellow-Citizens of the Senate"), text.toString());
        }

        PreparedData again = PackedCorpusBuilder.prepare(config(corpus, 24), "data");
        assertTrue(again.reused());
        assertEquals(first.directory(), again.directory());

        PreparedData longer = PackedCorpusBuilder.prepare(config(corpus, 32), "data");
        assertFalse(longer.reused());
        assertNotEquals(first.directory(), longer.directory());
        assertEquals(first.tokenizerJson(), longer.tokenizerJson(), "the tokenizer depends only on the text");

        Files.writeString(corpus, "\nA different last paragraph.\n", java.nio.file.StandardOpenOption.APPEND);
        PreparedData changed = PackedCorpusBuilder.prepare(config(corpus, 24), "data");
        assertFalse(changed.reused());
        assertNotEquals(first.tokenizerJson(), changed.tokenizerJson());
    }
}
