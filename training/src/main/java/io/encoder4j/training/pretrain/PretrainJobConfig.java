package io.encoder4j.training.pretrain;

import io.encoder4j.datasets.masking.MaskingConfig;
import io.encoder4j.datasets.pretraining.DataConfig;
import io.encoder4j.models.EncoderConfig;
import io.encoder4j.training.run.RunConfig;

/** A masked-language-model pretraining job, as written in YAML: one record per section. */
public record PretrainJobConfig(
        RunConfig run, DataConfig data, EncoderConfig model, MaskingConfig masking, TrainingConfig training) {

    public PretrainJobConfig {
        run = run == null ? new RunConfig(null, null, null, null) : run;
        data = data == null ? new DataConfig(null, null, null, null, null) : data;
        model = model == null
                ? new EncoderConfig(null, null, null, null, null, null, null, null, null, null, null) : model;
        masking = masking == null ? new MaskingConfig(null, null, null) : masking;
        training = training == null ? new TrainingConfig(null, null, null, null, null, null, null, null, null, null,
                null, null, null) : training;
    }

    /** The same job with the model's derived fields filled in. */
    public PretrainJobConfig withModel(EncoderConfig resolved) {
        return new PretrainJobConfig(run, data, resolved, masking, training);
    }
}
