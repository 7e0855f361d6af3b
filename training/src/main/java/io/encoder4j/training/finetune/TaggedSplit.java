package io.encoder4j.training.finetune;

import io.encoder4j.datasets.tasks.LabelMap;
import io.encoder4j.datasets.tasks.tagging.TaggedExample;
import io.encoder4j.datasets.tasks.tagging.TaggedReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The training and validation sentences of a token-classification job: the two files, or a seeded random
 * {@code validation_fraction} of the training sentences held out (as {@link ClassificationSplit} holds out rows).
 *
 * @param labels {@code data.labels}, else the sorted distinct tags of all sentences read
 */
record TaggedSplit(List<TaggedExample> train, List<TaggedExample> validation, LabelMap labels) {

    static TaggedSplit of(FinetuneJobConfig job) {
        FinetuneDataConfig data = job.data();
        List<TaggedExample> all = read("data.train", data.train(), data);
        List<TaggedExample> train = all;
        List<TaggedExample> validation;
        if (data.validation() != null) {
            validation = read("data.validation", data.validation(), data);
        } else {
            boolean[] held = ClassificationSplit.heldOut(all.size(), data.validationFractionOrDefault(),
                    job.run().seed());
            train = new ArrayList<>();
            validation = new ArrayList<>();
            for (int i = 0; i < all.size(); i++) {
                (held[i] ? validation : train).add(all.get(i));
            }
        }
        LabelMap labels;
        if (data.labels() != null) {
            labels = LabelMap.of(data.labels());
        } else {
            // Tags of the training file only when a validation file is given: an unknown validation tag is an error.
            List<String> tags = new ArrayList<>();
            for (TaggedExample e : data.validation() != null ? train : all) {
                tags.addAll(e.tags());
            }
            labels = LabelMap.fromLabels(tags);
        }
        return new TaggedSplit(train, validation, labels);
    }

    private static List<TaggedExample> read(String key, String file, FinetuneDataConfig data) {
        return TaggedReader.read(FinetuneJob.requireFile(key, file), data.tokensField(), data.tagsField(), true);
    }
}
