package io.encoder4j.training.cli;

import io.encoder4j.core.config.ConfigException;
import io.encoder4j.training.pretrain.PretrainJob;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bin/encoder4j <command> <job.yaml> [key=value ...]}. User errors are one line on stderr (exit code 2);
 * {@code --debug} adds the stack trace.
 */
@Command(name = "encoder4j", mixinStandardHelpOptions = true, version = "encoder4j 0.1.0",
        description = "Train encoder-only language models with efficient attention.",
        subcommands = {Main.Pretrain.class, CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {

    static final int USER_ERROR = 2;

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT,
            description = "Show stack traces of errors.")
    boolean debug;

    @Override
    public Integer call() {
        new CommandLine(this).usage(System.out);
        return USER_ERROR;
    }

    /** The job file and overrides common to every job command. */
    abstract static class JobCommand implements Callable<Integer> {

        @Parameters(index = "0", paramLabel = "JOB.yaml", description = "The YAML job file.")
        Path job;

        @Parameters(index = "1..*", paramLabel = "KEY=VALUE",
                description = "Overrides of config fields by dotted path, e.g. training.max_steps=100.")
        List<String> overrides = new ArrayList<>();
    }

    @Command(name = "pretrain", mixinStandardHelpOptions = true,
            description = "Masked-LM pretraining: tokenizer, Arrow shards, training, evaluation, run directory.")
    static final class Pretrain extends JobCommand {
        @Override
        public Integer call() throws Exception {
            PretrainJob.run(job, overrides);
            return 0;
        }
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns the exit code (0 success, 1 failure, 2 bad input). */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** As {@link #run(String...)} with the given output and error streams. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        Main main = new Main();
        CommandLine cli = new CommandLine(main).setOut(out).setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            boolean userError = e instanceof ConfigException;
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (!userError) {
                message = e.getClass().getSimpleName() + ": " + message;
            }
            commandLine.getErr().println("error: " + message.lines().findFirst().orElse(message));
            if (main.debug) {
                e.printStackTrace(commandLine.getErr());
            } else if (!userError) {
                commandLine.getErr().println("(run with --debug for the stack trace)");
            }
            return userError ? USER_ERROR : 1;
        });
        return cli.execute(args);
    }
}
