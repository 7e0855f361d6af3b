package io.encoder4j.training.finetune;

import io.encoder4j.datasets.tasks.ClassificationDataConfig;
import io.encoder4j.datasets.tasks.ClassificationExample;
import io.encoder4j.datasets.tasks.ClassificationReader;
import io.encoder4j.datasets.tasks.LabelMap;
import io.encoder4j.models.HeadConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The training and validation rows of a classification job: the two files, or, without a validation file, a seeded
 * random {@code validation_fraction} of the training file's rows held out (the same rows for {@code evaluate} as for
 * the job, given the same seed).
 *
 * @param labels the single-label class names to use: the configured ones; for a held-out split, the labels of the
 *     whole file (a rare label may fall in the held-out rows only); else null (the training file's)
 */
record ClassificationSplit(List<ClassificationExample> train, List<ClassificationExample> validation,
        List<String> labels) {

    static ClassificationSplit of(FinetuneJobConfig job) {
        ClassificationDataConfig data = job.data().classification();
        FinetuneJob.requireFile("data.train", data.train());
        List<ClassificationExample> all = ClassificationReader.read(Path.of(data.train()), data);
        if (data.validation() != null) {
            FinetuneJob.requireFile("data.validation", data.validation());
            return new ClassificationSplit(all, ClassificationReader.read(Path.of(data.validation()), data),
                    data.labels());
        }
        int n = all.size();
        boolean[] isHeld = heldOut(n, job.data().validationFractionOrDefault(), job.run().seed());
        List<ClassificationExample> train = new ArrayList<>();
        List<ClassificationExample> validation = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            (isHeld[i] ? validation : train).add(all.get(i));
        }
        List<String> labels = data.labels();
        if (labels == null && job.problemType().equals(HeadConfig.SINGLE_LABEL)) {
            labels = LabelMap.fromLabels(all.stream().map(ClassificationExample::label).filter(l -> l != null)
                    .toList()).names();
        }
        return new ClassificationSplit(train, validation, labels);
    }

    /** A seeded Fisher-Yates shuffle of {@code n} row indices: the first ceil(f * n) are held out. */
    static boolean[] heldOut(int n, double fraction, long seed) {
        int held = (int) Math.max(1, Math.ceil(fraction * n));
        int[] index = new int[n];
        for (int i = 0; i < n; i++) {
            index[i] = i;
        }
        Random random = new Random(seed * 0x9E3779B97F4A7C15L + 0x5111L);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = index[i];
            index[i] = index[j];
            index[j] = t;
        }
        boolean[] isHeld = new boolean[n];
        for (int i = 0; i < held; i++) {
            isHeld[index[i]] = true;
        }
        return isHeld;
    }
}
