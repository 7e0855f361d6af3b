package io.encoder4j.training.run;

import java.io.PrintStream;
import org.slf4j.Logger;

/**
 * What the user sees while a run trains. On a terminal ({@code System.console() != null}) a progress bar redrawn in
 * place, with the figures of the last logging interval; otherwise (CI, a log file) one plain line per logging
 * interval. Both only show values the loop has already read at its sync points: drawing never touches the device.
 */
public interface Progress extends AutoCloseable {

    /** The figures of one logging interval. {@code loss} is NaN when every step of the interval was skipped. */
    record Line(long step, long total, double loss, float lr, double tokensPerSecond, double elapsedSeconds,
            double etaSeconds, long skippedSteps) {}

    /** Called after every optimizer step; host-only and cheap. */
    void advance(long step);

    /** Called at every logging step. */
    void logged(Line line);

    /** A message line (evaluation results, checkpoints) that must not be overdrawn. */
    void message(String text);

    @Override
    void close();

    /** A bar on a terminal, log lines otherwise. */
    static Progress forConsole(Logger log, long total, long start) {
        return System.console() != null ? new Bar(System.out, log, total, start) : new Lines(log);
    }

    /** {@code 1h02m03s}, {@code 4m05s} or {@code 12s}. */
    static String duration(double seconds) {
        if (!Double.isFinite(seconds)) {
            return "?";
        }
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm%02ds", s / 3600, s / 60 % 60, s % 60)
                : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
    }

    /** The text of one logging interval, shared by the log line and the bar. */
    static String describe(Line l) {
        return String.format("loss %s | lr %.2e | %,.0f tok/s | elapsed %s | ETA %s%s",
                Double.isNaN(l.loss()) ? "n/a" : String.format("%.4f", l.loss()), l.lr(), l.tokensPerSecond(),
                duration(l.elapsedSeconds()), duration(l.etaSeconds()),
                l.skippedSteps() > 0 ? " | skipped " + l.skippedSteps() : "");
    }

    /** Plain lines through the logger. */
    final class Lines implements Progress {
        private final Logger log;

        Lines(Logger log) {
            this.log = log;
        }

        @Override
        public void advance(long step) {}

        @Override
        public void logged(Line l) {
            log.info("step {}/{} | {}", l.step(), l.total(), describe(l));
        }

        @Override
        public void message(String text) {
            log.info(text);
        }

        @Override
        public void close() {}
    }

    /** A one-line bar redrawn with a carriage return, at most a few times a second. */
    final class Bar implements Progress {
        private static final long REDRAW_NANOS = 250_000_000L;
        private static final int WIDTH = 24;
        private final PrintStream out;
        private final Logger log;
        private final long total;
        private final long startStep;
        private final long startNanos = System.nanoTime();
        private long step;
        private Line last;
        private long loggedAt;
        private long drawnAt;
        private boolean drawn;

        Bar(PrintStream out, Logger log, long total, long start) {
            this.out = out;
            this.log = log;
            this.total = total;
            this.startStep = start;
            this.step = start;
        }

        @Override
        public void advance(long s) {
            step = s;
            long now = System.nanoTime();
            if (now - drawnAt > REDRAW_NANOS) {
                draw(now);
            }
        }

        @Override
        public void logged(Line l) {
            last = l;
            step = l.step();
            loggedAt = System.nanoTime();
            draw(loggedAt);
        }

        @Override
        public void message(String text) {
            clear();
            log.info(text);
            draw(System.nanoTime());
        }

        private void draw(long now) {
            int filled = (int) (WIDTH * step / Math.max(1, total));
            String bar = "#".repeat(filled) + "-".repeat(WIDTH - filled);
            // Elapsed time and ETA from the host clock at every redraw; the rest from the last logging interval.
            double seconds = (now - startNanos) / 1e9;
            double eta = step > startStep ? seconds / (step - startStep) * (total - step) : Double.NaN;
            String figures = last == null ? " | ETA " + duration(eta) : " | " + describe(new Line(step, total,
                    last.loss(), last.lr(), last.tokensPerSecond(), last.elapsedSeconds() + (now - loggedAt) / 1e9,
                    eta, last.skippedSteps()));
            out.print("\r\033[2K" + String.format("step %d/%d [%s] %3d%%", step, total, bar, 100 * step / Math.max(1,
                    total)) + figures);
            out.flush();
            drawnAt = now;
            drawn = true;
        }

        private void clear() {
            if (drawn) {
                out.print("\r\033[2K");
                out.flush();
            }
        }

        @Override
        public void close() {
            if (drawn) {
                out.println();
                drawn = false;
            }
        }
    }
}
