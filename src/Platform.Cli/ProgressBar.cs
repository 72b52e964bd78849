using Platform.Training.Metrics;
using Platform.Training.Training;

namespace Platform.Cli;

/// <summary>Training progress on stderr: a redrawn bar on a terminal, plain lines when redirected.</summary>
internal sealed class ProgressBar
{
    private const int Width = 30;
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private DateTime _lastDraw = DateTime.MinValue;

    public void Report(TrainingProgress progress)
    {
        if (!_interactive)
        {
            // Logs and job output get a line per tenth of the run instead of a redrawn bar.
            var tenth = Math.Max(1, progress.TotalSteps / 10);
            if (progress.Step % tenth == 0)
            {
                Console.Error.WriteLine(
                    $"step {progress.Step}/{progress.TotalSteps} epoch {progress.Epoch}/{progress.Epochs} loss {progress.Loss:F4} " +
                    $"lr {progress.LearningRate:0.0e+00} {progress.SamplesPerSecond:F1} samples/s ETA {progress.EstimatedRemaining:hh\\:mm\\:ss}");
            }

            return;
        }

        var now = DateTime.UtcNow;
        if (now - _lastDraw < TimeSpan.FromMilliseconds(100) && progress.Step != progress.TotalSteps)
        {
            return;
        }

        _lastDraw = now;
        var filled = (int)(Width * progress.Step / Math.Max(1, progress.TotalSteps));
        Console.Error.Write(
            $"\r[{new string('#', filled)}{new string('.', Width - filled)}] step {progress.Step}/{progress.TotalSteps} " +
            $"epoch {progress.Epoch}/{progress.Epochs} loss {progress.Loss:F4} lr {progress.LearningRate:0.0e+00} " +
            $"{progress.SamplesPerSecond:F1} samples/s ETA {progress.EstimatedRemaining:hh\\:mm\\:ss}   ");
    }

    public void Epoch(EpochRecord record)
    {
        if (_interactive)
        {
            Console.Error.WriteLine();
        }

        var validation = record.ValidationLoss is null
            ? "no validation split"
            : $"val loss {record.ValidationLoss:F4} acc {record.ValidationAccuracy:P2} macro-F1 {record.ValidationMacroF1:F4}";
        Console.Error.WriteLine($"epoch {record.Epoch}: train loss {record.TrainLoss:F4}, {validation}, {record.Seconds:F1} s");
    }

    public static void Log(string message) => Console.Error.WriteLine(message);
}
