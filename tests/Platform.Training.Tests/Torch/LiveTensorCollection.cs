namespace Platform.Training.Tests.Torch;

/// <summary>
/// Tests that read the process-wide live-tensor count run alone: tensors created by tests running
/// in parallel would otherwise move the count under them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LiveTensorCollection
{
    public const string Name = "live tensors";

    public static long SettledCount()
    {
        // Tensors leaked by earlier tests are freed by finalisers; let them run before measuring.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return global::Platform.Training.Torch.Torch.LiveTensorCount;
    }
}
