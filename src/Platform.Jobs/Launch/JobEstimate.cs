namespace Platform.Jobs.Launch;

/// <summary>
/// A pre-launch estimate of device time. Training cost is about 6 FLOPs per parameter per token (or
/// per pixel-weighted parameter for a CNN) for each sample seen; divided by a sustained device
/// throughput. The throughputs are deliberately conservative (a mid-range GPU at 30% utilisation,
/// two CPU cores), so the estimate errs high: a quota check should not be surprised.
/// </summary>
/// <remarks>
/// Build it through <see cref="LaunchPlan.Estimate"/>, which knows the plan's epochs and a model's tokens per sample.
/// <see cref="Hours"/> are device-hours, what is billed: a job on N devices is metered N device-seconds
/// per second, and the estimate assumes no speed-up from the extra devices (the conservative end, as
/// everywhere here), so its device-hours are N times one device's (decision 0044).
/// </remarks>
public sealed record JobEstimate(long Steps, double Hours, string DeviceKind, int Devices = 1)
{
    /// <summary>The N-device estimate of a one-device estimate.</summary>
    public JobEstimate OnDevices(int devices) => this with { Hours = Hours / Devices * devices, Devices = devices };

    public const double GpuFlopsPerSecond = 15e12;
    public const double CpuFlopsPerSecond = 40e9;

    public static JobEstimate For(long parameters, long trainingSamples, int epochs, int batchSize, int tokensPerSample,
        string deviceKind)
    {
        var steps = (long)Math.Ceiling(trainingSamples / (double)Math.Max(1, batchSize)) * epochs;
        var flops = 6.0 * parameters * tokensPerSample * trainingSamples * epochs;
        var seconds = flops / (deviceKind == "cuda" ? GpuFlopsPerSecond : CpuFlopsPerSecond);
        // Validation passes and checkpoints add about a fifth.
        return new JobEstimate(steps, seconds * 1.2 / 3600.0, deviceKind);
    }
}
