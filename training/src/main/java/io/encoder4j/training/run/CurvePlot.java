package io.encoder4j.training.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PNG of curves against the training step ({@code loss.png}, and a metric curve such as {@code accuracy.png} for
 * fine-tuning), with an optional horizontal reference line (the unigram baseline). Written to a temporary file and
 * renamed, so a crash never leaves a truncated image.
 */
public final class CurvePlot {

    /** One curve: (step, value) points; {@code markers} for sparse series such as evaluations. */
    public record Series(String name, List<double[]> points, boolean markers) {}

    private static final Logger LOG = LoggerFactory.getLogger(CurvePlot.class);
    /** Why the first plot of this process could not be drawn, or null while plots work. */
    private static volatile String fontsUnavailable;

    private CurvePlot() {}

    /**
     * @param reference a constant to draw, or NaN for none
     */
    public static void write(Path file, String title, String yAxis, List<Series> series, double reference,
            String referenceLabel) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(540).title(title).xAxisTitle("step")
                .yAxisTitle(yAxis).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        double last = 0;
        boolean any = false;
        for (Series s : series) {
            if (s.points().isEmpty()) {
                continue;
            }
            any = true;
            XYSeries xy = chart.addSeries(s.name(), column(s.points(), 0), column(s.points(), 1));
            xy.setMarker(s.markers() ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
            last = Math.max(last, s.points().get(s.points().size() - 1)[0]);
        }
        if (!Double.isNaN(reference) && any) {
            chart.addSeries(referenceLabel, new double[] {0, last}, new double[] {reference, reference})
                    .setMarker(SeriesMarkers.NONE);
        }
        if (!any) {
            return;
        }
        writePng(chart, file);
    }

    /**
     * Renders {@code chart} to {@code file} through a temporary file and a rename. Returns false, after one warning
     * per process, when this Java runtime cannot draw text: a runtime without its font libraries (a {@code jlink}
     * image on a host without {@code libharfbuzz}, or no fonts at all) fails inside AWT with a linkage or internal
     * error, and a missing picture must not end a training run or a benchmark whose numbers are already written.
     */
    public static boolean writePng(XYChart chart, Path file) throws IOException {
        if (fontsUnavailable != null) {
            return false;
        }
        System.setProperty("java.awt.headless", "true");
        Path temp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try {
            javax.imageio.ImageIO.write(BitmapEncoder.getBufferedImage(chart), "png", temp.toFile());
        } catch (LinkageError | InternalError | java.awt.AWTError e) {
            Files.deleteIfExists(temp);
            fontsUnavailable = e.toString();
            LOG.warn("Plots are not drawn: this Java runtime cannot render text ({}); the numbers they would show "
                    + "are in the run's JSON/CSV files", e.toString().lines().findFirst().orElse(""));
            return false;
        }
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return true;
    }

    private static double[] column(List<double[]> points, int i) {
        return points.stream().mapToDouble(p -> p[i]).toArray();
    }
}
