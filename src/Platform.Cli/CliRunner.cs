using Platform.Training.Torch;

namespace Platform.Cli;

/// <summary>Runs a command body, turning expected failures into one line on stderr and a non-zero exit.</summary>
internal static class CliRunner
{
    public const int Failed = 1;
    public const int Cancelled = 130;

    /// <summary>A data-parallel peer died or timed out (EX_TEMPFAIL): the run can resume from its last checkpoint.</summary>
    public const int Interrupted = 75;

    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("platform-cli: cancelled");
            return Cancelled;
        }
        catch (Platform.Training.Distributed.DistributedException e)
        {
            Console.Error.WriteLine($"platform-cli: interrupted: {OneLine(e.Message)}");
            return Interrupted;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or TorchException
            or UnauthorizedAccessException or KeyNotFoundException or System.Text.Json.JsonException)
        {
            Console.Error.WriteLine($"platform-cli: error: {OneLine(e.Message)}");
            return Failed;
        }
    }

    /// <summary>Applies --device and --threads; libtorch defaults to one thread on some builds.</summary>
    public static Device Setup(string device, int? threads)
    {
        Platform.Training.Torch.Torch.NumThreads = threads ?? Platform.Training.Training.TrainingOptions.ThreadsFor(1);
        return Device.Parse(device);
    }

    private static string OneLine(string message) =>
        string.Join(" ", message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
