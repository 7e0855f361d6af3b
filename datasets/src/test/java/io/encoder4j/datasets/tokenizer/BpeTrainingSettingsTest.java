package io.encoder4j.datasets.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class BpeTrainingSettingsTest {

    @Test
    void robertaSpecialsInOrder() {
        BpeTrainingSettings settings = BpeTrainingSettings.roberta(1000, 2);
        assertEquals(List.of("<s>", "<pad>", "</s>", "<unk>", "<mask>"), settings.specialTokens());
        assertEquals(1000, settings.vocabSize());
        assertEquals(2, settings.minFrequency());
    }

    @Test
    void vocabularyMustHoldMoreThanBytesAndSpecials() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> BpeTrainingSettings.roberta(261, 1));
        assertTrue(e.getMessage().contains("vocabSize must exceed"), e.getMessage());
        assertEquals(262, BpeTrainingSettings.roberta(262, 1).vocabSize());
    }

    @Test
    void rejectsBadFrequencyAndSpecials() {
        assertThrows(IllegalArgumentException.class, () -> BpeTrainingSettings.roberta(1000, 0));
        assertThrows(
                IllegalArgumentException.class, () -> new BpeTrainingSettings(1000, 1, List.of("<s>", "<s>")));
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainingSettings(1000, 1, List.of("")));
    }
}
