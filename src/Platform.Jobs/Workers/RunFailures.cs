using System.Net.Sockets;
using Npgsql;
using Platform.Jobs.Queue;

namespace Platform.Jobs.Workers;

/// <summary>
/// Decides who a run's exception belongs to (decision 0019): infrastructure (the database, the artifact
/// store, the lease) interrupts the run and costs the job none of its attempts; anything else is the
/// job's own (its data, its settings, out of memory) and uses one. The one place this is decided.
/// </summary>
internal static class RunFailures
{
    public static bool IsInfrastructure(Exception exception)
    {
        // Anywhere in the chain: code that wraps a lost connection still lost the connection.
        for (var e = exception; e is not null; e = e.InnerException)
        {
            // A gang's peer died or stopped answering (decision 0043): the gang is retried, at no attempt's cost.
            if (e is NpgsqlException or SocketException or TimeoutException or LeaseLostException or StorageUnavailableException
                or Platform.Training.Distributed.DistributedException
                // The S3 store: the service or the way to it failed.
                or HttpRequestException or Amazon.Runtime.AmazonServiceException)
                return true;
        }
        return exception switch
        {
            AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsInfrastructure),
            // A file the job names that is not there, or one cut short, is the job's data.
            FileNotFoundException or DirectoryNotFoundException or EndOfStreamException or PathTooLongException => false,
            // A read-only or full file system, an I/O error, a permission the store withdrew.
            IOException or UnauthorizedAccessException => true,
            _ => false,
        };
    }
}

/// <summary>Shared storage did not answer as it must (a published checkpoint is missing, a write keeps failing).</summary>
public sealed class StorageUnavailableException(string message, Exception? inner = null) : IOException(message, inner);
