package io.encoder4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * A block's parameters under stable names: DJL's names without the two-digit child-index prefixes it adds
 * ({@code 01encoder_03layer0_01attention_01query_weight} becomes {@code encoder_layer0_attention_query_weight}), in
 * the order DJL saves them. These names are what {@code parameters.json} lists and what weights are matched by when
 * they move between models.
 */
public final class NamedParameters {

    private NamedParameters() {}

    /** Readable name to parameter, in saving order. */
    public static LinkedHashMap<String, Parameter> of(Block block) {
        LinkedHashMap<String, Parameter> named = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            named.put(readableName(p.getKey()), p.getValue());
        }
        return named;
    }

    /** Readable name to shape, in saving order. */
    public static LinkedHashMap<String, List<Long>> shapes(Block block) {
        LinkedHashMap<String, List<Long>> shapes = new LinkedHashMap<>();
        of(block).forEach((name, p) -> shapes.put(name, shape(p.getArray())));
        return shapes;
    }

    /** The dimensions of an array as a list (for messages and JSON). */
    public static List<Long> shape(NDArray array) {
        return Arrays.stream(array.getShape().getShape()).boxed().toList();
    }

    /** {@code 02encoder_03layer0_01attention_01query_weight} to {@code encoder_layer0_attention_query_weight}. */
    public static String readableName(String djlName) {
        return djlName.replaceAll("(^|_)\\d{2}(?=[a-z])", "$1");
    }

    /**
     * Writes {@code values} into the parameter's existing array, in place, so that the parameter keeps its array
     * (and its gradient attachment). Shapes must be equal.
     */
    public static void copyInto(Parameter target, NDArray values) {
        NDArray array = target.getArray();
        if (!array.getShape().equals(values.getShape())) {
            throw new IllegalArgumentException("cannot copy " + values.getShape() + " into " + array.getShape());
        }
        array.set(new NDIndex("..."), values.toType(array.getDataType(), false));
    }
}
