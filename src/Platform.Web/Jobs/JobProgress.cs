using System.Text.Json;
using Platform.Jobs.Portal;
using Platform.Jobs.Workers;

namespace Platform.Web.Jobs;

/// <summary>The worker's progress of a job (<see cref="JobProgressData"/>), as the job page shows it.</summary>
public sealed record JobProgress(long Step, long TotalSteps, int Epoch, int Epochs, double? Loss, double? SamplesPerSecond, double? EtaSeconds)
{
    public double Fraction => TotalSteps <= 0 ? 0 : Math.Clamp(Step / (double)TotalSteps, 0, 1);

    public static JobProgress? Parse(string? json) => JobProgressData.Parse(json) is { } p
        // A diverged run's NaN loss (or an infinite estimate) is shown as unknown, not as a number.
        ? new JobProgress(p.Step, p.TotalSteps, p.Epoch, p.Epochs, Finite(p.Loss), Finite(p.SamplesPerSecond), Finite(p.EtaSeconds))
        : null;

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;

    internal static long? Long(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? (long)v.GetDouble() : null;

    internal static double? Double(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && double.IsFinite(v.GetDouble()) ? v.GetDouble() : null;
}

/// <summary>
/// One finished epoch, from an "epoch" event: what the loss and accuracy curves plot. A pre-training
/// epoch reports its held-out masked-LM loss as the validation loss, and its perplexity.
/// </summary>
public sealed record EpochPoint(int Epoch, double TrainLoss, double? ValidationLoss, double? ValidationAccuracy, double? ValidationPerplexity = null)
{
    public static IReadOnlyList<EpochPoint> From(IEnumerable<JobEventView> events)
    {
        var points = new SortedDictionary<int, EpochPoint>();
        foreach (var e in events.Where(e => e.Type == "epoch" && e.DataJson is not null))
        {
            using var document = JsonDocument.Parse(e.DataJson!);
            var root = document.RootElement;
            if (JobProgress.Long(root, "epoch") is not { } epoch || JobProgress.Double(root, "train_loss") is not { } loss)
                continue;
            // A resumed attempt repeats an epoch: the later report wins.
            points[(int)epoch] = new EpochPoint((int)epoch, loss, JobProgress.Double(root, "validation_loss"),
                JobProgress.Double(root, "validation_accuracy"), JobProgress.Double(root, "validation_perplexity"));
        }
        return points.Values.ToList();
    }
}
