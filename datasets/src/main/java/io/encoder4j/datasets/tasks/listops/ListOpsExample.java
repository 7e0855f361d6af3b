package io.encoder4j.datasets.tasks.listops;

/**
 * One ListOps expression.
 *
 * @param source the expression in LRA's TSV form, with parentheses: {@code ( ( ( [MAX 2 ) 9 ) ] )}
 * @param target its value, 0 to 9
 * @param length its tokens without parentheses (operators, digits and {@code ]})
 */
public record ListOpsExample(String source, int target, int length) {}
