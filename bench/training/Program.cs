using System.Diagnostics;
using System.Globalization;
using Platform.Training.Bench;
using Platform.Training.Distributed;
using Platform.Training.Torch;
using Platform.Training.Torch.Optim;
using TorchApi = Platform.Training.Torch.Torch;

// Usage: TrainingBench throughput bert|cnn [--threads N] [--steps N] [--warmup N] [--batch N]
//        TrainingBench memory bert|cnn [--threads N] [--steps 2000] [--batch N]
//        TrainingBench ddp bert|cnn --rank R --world-size N [--port P] [--threads N] [--steps N] [--batch N]   (one rank; start N)
var mode = args.ElementAtOrDefault(0) ?? "throughput";
var workloadName = args.ElementAtOrDefault(1) ?? "cnn";
int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

TorchApi.NumThreads = Option("--threads", 2);
using var workload = Workload.Create(workloadName, Option("--batch", 0));
using var optimizer = AdamW.ForModel(workload.Model, 1e-4, 0.01);
workload.Model.Train();

void Step()
{
    using var scope = TorchApi.NewDisposeScope();
    optimizer.ZeroGrad();
    var loss = Functional.CrossEntropy(workload.Forward(), workload.Labels);
    loss.Backward();
    GradientClipping.ClipGradNorm(workload.Model.Parameters(), 1.0);
    optimizer.Step();
}

Console.WriteLine($"blas: {string.Join(", ", TorchApi.LoadedBlasLibraries())}; threads: {TorchApi.NumThreads}");
if (mode == "throughput")
{
    var warmup = Option("--warmup", 3);
    var steps = Option("--steps", 10);
    for (var i = 0; i < warmup; i++) Step();
    var times = new List<double>();
    var process = Process.GetCurrentProcess();
    var cpuStart = process.TotalProcessorTime;
    for (var i = 0; i < steps; i++)
    {
        var sw = Stopwatch.StartNew();
        Step();
        times.Add(sw.Elapsed.TotalSeconds);
    }
    process.Refresh();
    // CPU seconds per step are reported too: on a shared machine wall time swings with other load.
    var cpuPerStep = (process.TotalProcessorTime - cpuStart).TotalSeconds / steps;
    times.Sort();
    var median = times[times.Count / 2];
    Console.WriteLine(FormattableString.Invariant(
        $"csharp {workloadName} batch={workload.BatchSize} steps={steps} median_step_s={median:F4} samples_per_s={workload.BatchSize / median:F1} min_step_s={times[0]:F4} cpu_s_per_step={cpuPerStep:F4}"));
}
else if (mode == "memory")
{
    var steps = Option("--steps", 2000);
    // Optimiser state, the malloc arenas and the JIT's tiered re-compilation settle during warm-up.
    var warmup = Option("--warmup", 20);
    for (var i = 0; i < warmup; i++) Step();
    GC.Collect();
    GC.WaitForPendingFinalizers();
    var liveStart = TorchApi.LiveTensorCount;
    var rssStart = Rss();
    var managedStart = GC.GetTotalMemory(forceFullCollection: true);
    long liveMin = long.MaxValue, liveMax = long.MinValue;
    for (var i = 1; i <= steps; i++)
    {
        Step();
        var live = TorchApi.LiveTensorCount;
        liveMin = Math.Min(liveMin, live);
        liveMax = Math.Max(liveMax, live);
        if (i % 500 == 0) Console.WriteLine(FormattableString.Invariant($"step {i}: live_tensors={live} rss_mb={Rss() / 1048576.0:F1}"));
    }
    var rssEnd = Rss();
    var managedEnd = GC.GetTotalMemory(forceFullCollection: true);
    var growth = (rssEnd - rssStart) * 100.0 / rssStart;
    Console.WriteLine(FormattableString.Invariant(
        $"csharp memory {workloadName} warmup={warmup} steps={steps} live_start={liveStart} live_min={liveMin} live_max={liveMax} rss_start_mb={rssStart / 1048576.0:F1} rss_end_mb={rssEnd / 1048576.0:F1} rss_growth_pct={growth:F2} managed_heap_start_mb={managedStart / 1048576.0:F1} managed_heap_end_mb={managedEnd / 1048576.0:F1}"));
}

else if (mode == "ddp")
{
    // One rank of a data-parallel step: forward and backward on this rank's batch, then the gradient
    // all-reduce (bucketed, as the trainer does) and the optimiser. A barrier before the all-reduce
    // keeps waiting for a slower rank out of the communication time; it is reported on its own.
    var worldSize = Option("--world-size", 1);
    var options = new DistributedOptions(Option("--rank", 0), worldSize, "127.0.0.1", Option("--port", 29546), TimeSpan.FromMinutes(10));
    using var group = ProcessGroup.Join(options);
    var parameters = workload.Model.Parameters().ToList();
    var bytes = parameters.Sum(p => p.NumberOfElements * 4);
    var warmup = Option("--warmup", 3);
    var steps = Option("--steps", 10);
    var (compute, wait, reduce) = (new List<double>(), new List<double>(), new List<double>());
    for (var i = 0; i < warmup + steps; i++)
    {
        using var scope = TorchApi.NewDisposeScope();
        var sw = Stopwatch.StartNew();
        optimizer.ZeroGrad();
        Functional.CrossEntropy(workload.Forward(), workload.Labels).Backward();
        var computed = sw.Elapsed.TotalSeconds;
        group.Barrier();
        var waited = sw.Elapsed.TotalSeconds - computed;
        group.AllReduceGradients(parameters, 1.0 / worldSize);
        var reduced = sw.Elapsed.TotalSeconds - computed - waited;
        GradientClipping.ClipGradNorm(parameters, 1.0);
        optimizer.Step();
        if (i < warmup) continue;
        compute.Add(computed);
        wait.Add(waited);
        reduce.Add(reduced);
    }

    static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
    var (c, w, r) = (Median(compute), Median(wait), Median(reduce));
    Console.WriteLine(FormattableString.Invariant(
        $"ddp {workloadName} rank={options.Rank}/{worldSize} batch_per_rank={workload.BatchSize} gradient_mb={bytes / 1048576.0:F2} steps={steps} median_compute_s={c:F4} median_wait_s={w:F4} median_allreduce_s={r:F4} allreduce_share={r / (c + w + r):P1} global_samples_per_s={worldSize * workload.BatchSize / (c + w + r):F1}"));
}

static long Rss()
{
    foreach (var line in File.ReadLines("/proc/self/status"))
    {
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
        {
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
    }
    return 0;
}
