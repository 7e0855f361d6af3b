package io.encoder4j.training.run;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** {@code loss.png}: train and eval loss against the step, with an optional horizontal reference line. */
public final class LossPlot {

    private LossPlot() {}

    /**
     * @param reference a constant to draw (e.g. the unigram baseline), or NaN for none
     */
    public static void write(Path file, String title, List<double[]> train, List<double[]> eval, double reference,
            String referenceLabel) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(900).height(540).title(title).xAxisTitle("step")
                .yAxisTitle("loss (nats)").build();
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        if (!train.isEmpty()) {
            chart.addSeries("train", xs(train), ys(train)).setMarker(SeriesMarkers.NONE);
        }
        if (!eval.isEmpty()) {
            chart.addSeries("eval", xs(eval), ys(eval)).setMarker(SeriesMarkers.CIRCLE);
        }
        if (!Double.isNaN(reference) && !train.isEmpty()) {
            double last = Math.max(train.get(train.size() - 1)[0], eval.isEmpty() ? 0 : eval.get(eval.size() - 1)[0]);
            XYSeries ref = chart.addSeries(referenceLabel, new double[] {0, last}, new double[] {reference, reference});
            ref.setMarker(SeriesMarkers.NONE);
        }
        javax.imageio.ImageIO.write(BitmapEncoder.getBufferedImage(chart), "png", file.toFile());
    }

    private static double[] xs(List<double[]> points) {
        return points.stream().mapToDouble(p -> p[0]).toArray();
    }

    private static double[] ys(List<double[]> points) {
        return points.stream().mapToDouble(p -> p[1]).toArray();
    }
}
