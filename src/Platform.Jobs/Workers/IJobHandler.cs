namespace Platform.Jobs.Workers;

/// <summary>Runs one kind of job. Registered in DI; the worker picks the handler by <see cref="Kind"/>.</summary>
public interface IJobHandler
{
    string Kind { get; }

    /// <summary>
    /// Runs (or resumes) the job. Must observe <see cref="JobContext.Cancellation"/> between steps and
    /// throw <see cref="OperationCanceledException"/> once it has saved a checkpoint.
    /// </summary>
    Task<string?> RunAsync(JobContext context);
}
