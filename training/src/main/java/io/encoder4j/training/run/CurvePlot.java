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

/**
 * A PNG of curves against the training step ({@code loss.png}, and a metric curve such as {@code accuracy.png} for
 * fine-tuning), with an optional horizontal reference line (the unigram baseline). Written to a temporary file and
 * renamed, so a crash never leaves a truncated image.
 */
public final class CurvePlot {

    /** One curve: (step, value) points; {@code markers} for sparse series such as evaluations. */
    public record Series(String name, List<double[]> points, boolean markers) {}

    private CurvePlot() {}

    /**
     * @param reference a constant to draw, or NaN for none
     */
    public static void write(Path file, String title, String yAxis, List<Series> series, double reference,
            String referenceLabel) throws IOException {
        System.setProperty("java.awt.headless", "true");
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
        Path temp = file.resolveSibling("." + file.getFileName() + ".tmp");
        javax.imageio.ImageIO.write(BitmapEncoder.getBufferedImage(chart), "png", temp.toFile());
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static double[] column(List<double[]> points, int i) {
        return points.stream().mapToDouble(p -> p[i]).toArray();
    }
}
