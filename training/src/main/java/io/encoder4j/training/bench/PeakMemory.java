package io.encoder4j.training.bench;

import ai.djl.Device;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.cuda.CudaUtils;
import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Peak growth of the process's resident set (RSS) while one piece of work runs: on the CPU engine the tensors live
 * in native memory that neither the JVM nor DJL accounts for, so the operating system's count of resident pages is
 * the one measure that sees them all.
 *
 * <p>Linux keeps the high-water mark of the resident set in {@code VmHWM} of {@code /proc/self/status}; writing
 * {@code 5} to {@code /proc/self/clear_refs} resets it to the current RSS (Linux 4.0+, see {@code proc(5)}). The
 * peak of a step is then {@code VmHWM} after it minus {@code VmRSS} before it. Where {@code clear_refs} cannot be
 * written, a thread samples {@code VmRSS} every millisecond instead (it can miss a spike shorter than that).
 * Before each measurement glibc is asked to return its free pages to the system ({@code malloc_trim(0)}), so that
 * memory freed by an earlier step and kept by the allocator does not hide this step's allocations.
 */
final class PeakMemory {

    /** How the peak is found. */
    enum Method {
        CLEAR_REFS("peak RSS growth: VmHWM after the step minus VmRSS before it, with VmHWM reset by writing 5 to "
                + "/proc/self/clear_refs; glibc malloc_trim(0) before each step"),
        SAMPLING("peak RSS growth: VmRSS of /proc/self/status sampled every 1 ms during the step minus VmRSS "
                + "before it (/proc/self/clear_refs is not writable); glibc malloc_trim(0) before each step"),
        CUDA("peak GPU memory growth: device memory in use (cudaMemGetInfo, total minus free) sampled every 1 ms "
                + "during the step minus its value before it, after emptying PyTorch's cache of freed blocks; it "
                + "counts the allocator's rounding and fragmentation, as a user's out-of-memory error does"),
        NONE("not measured: /proc/self/status is not readable on this system");

        private final String description;

        Method(String description) {
            this.description = description;
        }

        String description() {
            return description;
        }
    }

    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

    private final Method method;
    private final Function mallocTrim;
    private final Device gpu;

    private PeakMemory(Method method, Function mallocTrim) {
        this(method, mallocTrim, null);
    }

    private PeakMemory(Method method, Function mallocTrim, Device gpu) {
        this.method = method;
        this.mallocTrim = mallocTrim;
        this.gpu = gpu;
    }

    /**
     * Picks the best method for work on {@code device}: device memory for a GPU (the tensors live there, not in the
     * process's resident set), else the best the system allows.
     */
    static PeakMemory detect(Device device) {
        if (device.isGpu()) {
            return new PeakMemory(Method.CUDA, null, device);
        }
        return detect();
    }

    /** Picks the best method this system allows for CPU work. */
    static PeakMemory detect() {
        Function trim = null;
        try {
            trim = NativeLibrary.getInstance("c").getFunction("malloc_trim");
        } catch (Throwable e) { // UnsatisfiedLinkError on a libc without it (musl); JNA missing
            trim = null;
        }
        if (statusKb("VmRSS") < 0) {
            return new PeakMemory(Method.NONE, trim);
        }
        if (resetHighWaterMark() && statusKb("VmHWM") >= 0) {
            return new PeakMemory(Method.CLEAR_REFS, trim);
        }
        return new PeakMemory(Method.SAMPLING, trim);
    }

    Method method() {
        return method;
    }

    /**
     * Runs {@code step} and returns the peak growth of the resident set during it in bytes, or -1 when this system
     * offers no measure.
     */
    long measure(Runnable step) {
        if (method == Method.NONE) {
            step.run();
            return -1;
        }
        if (method == Method.CUDA) {
            // Freed blocks stay reserved in PyTorch's caching allocator and would hide this step's allocations.
            JniUtils.emptyCudaCache();
            return sample(step, () -> CudaUtils.getGpuMemory(gpu).getCommitted());
        }
        trimMalloc();
        if (method == Method.CLEAR_REFS) {
            resetHighWaterMark();
            long before = statusKb("VmRSS");
            step.run();
            long peak = statusKb("VmHWM");
            return before < 0 || peak < 0 ? -1 : Math.max(0, peak - before) * 1024;
        }
        long kb = sample(step, () -> statusKb("VmRSS"));
        return kb < 0 ? -1 : kb * 1024;
    }

    /**
     * Runs {@code step} while a thread reads {@code reading} every millisecond; returns the peak reading minus the
     * one before the step (at least 0), or -1 when the first reading failed (is negative).
     */
    private static long sample(Runnable step, LongSupplier reading) {
        long before = reading.getAsLong();
        AtomicLong peak = new AtomicLong(before);
        AtomicBoolean done = new AtomicBoolean();
        Thread sampler = new Thread(() -> {
            while (!done.get()) {
                peak.accumulateAndGet(reading.getAsLong(), Math::max);
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "encoder4j-memory-sampler");
        sampler.setDaemon(true);
        sampler.start();
        try {
            step.run();
        } finally {
            done.set(true);
            try {
                sampler.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        peak.accumulateAndGet(reading.getAsLong(), Math::max);
        return before < 0 ? -1 : Math.max(0, peak.get() - before);
    }

    /** Returns the allocator's free pages to the system where glibc allows it. */
    private void trimMalloc() {
        if (mallocTrim != null) {
            try {
                mallocTrim.invokeInt(new Object[] {0L});
            } catch (Throwable e) { // best effort: the measurement is still valid, only less tight
                // nothing to do
            }
        }
    }

    private static boolean resetHighWaterMark() {
        try {
            Files.write(CLEAR_REFS, "5".getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE);
            return true;
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** A {@code kB} field of /proc/self/status, or -1 when it cannot be read. */
    static long statusKb(String field) {
        try {
            for (String line : Files.readAllLines(STATUS, StandardCharsets.US_ASCII)) {
                if (line.startsWith(field + ":")) {
                    String[] parts = line.substring(field.length() + 1).trim().split("\\s+");
                    return Long.parseLong(parts[0]);
                }
            }
        } catch (IOException | SecurityException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
