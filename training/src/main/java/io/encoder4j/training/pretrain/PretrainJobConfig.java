package io.encoder4j.training.pretrain;

import io.encoder4j.datasets.masking.MaskingConfig;
import io.encoder4j.datasets.pretraining.DataConfig;
import io.encoder4j.models.EncoderConfig;
import io.encoder4j.training.loop.TrainingConfig;
import io.encoder4j.training.run.RunConfig;

/** A masked-language-model pretraining job, as written in YAML: one record per section. */
public record PretrainJobConfig(
        RunConfig run, DataConfig data, EncoderConfig model, MaskingConfig masking, TrainingConfig training) {

    public PretrainJobConfig {
        run = run == null ? RunConfig.defaults() : run;
        data = data == null ? DataConfig.defaults() : data;
        model = model == null ? EncoderConfig.defaults() : model;
        masking = masking == null ? MaskingConfig.defaults() : masking;
        training = training == null ? TrainingConfig.defaults() : training;
        if (model.maxPositionEmbeddings() == null) {
            // Checked here, before any data is prepared, against the length the job will train on.
            try {
                model.validateAttention(data.seqLength());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("model." + e.getMessage(), e);
            }
        }
    }

    /** The same job with the model's derived fields filled in. */
    public PretrainJobConfig withModel(EncoderConfig resolved) {
        return new PretrainJobConfig(run, data, resolved, masking, training);
    }
}
